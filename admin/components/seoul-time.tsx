/** A time in lists and detail pages as Asia/Seoul wall-clock (`2026-12-06 14:05 (KST)`), whatever the browser's zone. */
import React from 'react';
import { useTranslation, type BasePropertyProps } from 'adminjs';
import { ValueGroup } from '@adminjs/design-system';

const FORMAT = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

export function seoul(v: unknown): string {
  if (v === null || v === undefined || v === '') return '';
  const d = new Date(String(v));
  if (Number.isNaN(d.getTime())) return '';
  const year = d.getUTCFullYear();
  if (year <= 1 || year >= 9999) return '제한 없음'; // an unbounded window bound (0001-01-01 / 9999-12-31)
  const p = Object.fromEntries(FORMAT.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} (KST)`;
}

const SeoulTime: React.FC<BasePropertyProps> = ({ property, record, where }) => {
  const { translateProperty } = useTranslation();
  const text = seoul(record?.params?.[property.path]);
  if (where === 'show') return <ValueGroup label={translateProperty(property.label, property.resourceId)}>{text || '-'}</ValueGroup>;
  return <span data-time={property.path}>{text}</span>;
};

export default SeoulTime;
