/** A KRW amount in lists and detail pages: `35,000원`. */
import React from 'react';
import { useTranslation, type BasePropertyProps } from 'adminjs';
import { ValueGroup } from '@adminjs/design-system';

const MoneyValue: React.FC<BasePropertyProps> = ({ property, record, where }) => {
  const { translateProperty } = useTranslation();
  const raw = record?.params?.[property.path];
  const text = raw === null || raw === undefined || raw === '' || !Number.isFinite(Number(raw)) ? '' : `${Math.trunc(Number(raw)).toLocaleString('ko-KR')}원`;
  if (where === 'show') return <ValueGroup label={translateProperty(property.label, property.resourceId)}>{text || '-'}</ValueGroup>;
  return <span data-money={property.path}>{text}</span>;
};

export default MoneyValue;
