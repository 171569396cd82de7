/**
 * A product's option groups with their options, edited together as a form (spec §6.5 nested sync): one card
 * per group, a table of options inside each group that is not a free-text (custom response) group.
 *
 * Server contract (unchanged from the raw-JSON editor): GET → `{ groups, canWrite }`; POST `groups` = JSON of
 * the same array. Entries with an id are updated, entries without one are created, entries missing from the
 * list are soft-deleted by the service. Errors come back keyed by position (`groups.0.customResponsePattern`,
 * `groups.1.options.2.stock`); they are re-keyed to the rows that were posted (so deleting a row afterwards
 * does not move a message onto its neighbour) and shown next to the input plus in a summary at the top.
 *
 * Conventions of the models the form follows: stock 0 = unlimited and per-user / per-product limits 0 = no
 * limit (the columns are NOT NULL), so those inputs show 0 as empty with a "무제한" placeholder and send an
 * empty input as 0. Group windows are nullable: empty = the product's window. Dates are edited in the
 * browser's time zone (datetime-local); an unchanged date is sent back as the original ISO string.
 */
import React, { useEffect, useMemo, useState } from 'react';
import { ApiClient, useNotice, type ActionProps } from 'adminjs';
import {
  Badge,
  Box,
  Button,
  CheckBox,
  FormGroup,
  FormMessage,
  H3,
  H4,
  Input,
  Label,
  MessageBox,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  Text,
  TextArea,
} from '@adminjs/design-system';

const api = new ApiClient();

// ---------------------------------------------------------------------------------------------------------
// wire shape (what the service returns / accepts)

interface WireOption {
  id?: string;
  priority?: number;
  nameKo?: string;
  nameEn?: string;
  maxQuantityPerUser?: number;
  additionalPrice?: number;
  stock?: number;
}

const DATE_KEYS = ['responseModifiableEndsAt', 'visibleStartsAt', 'visibleEndsAt', 'orderableStartsAt', 'orderableEndsAt'] as const;
type DateKey = (typeof DATE_KEYS)[number];

interface WireGroup {
  id?: string;
  priority?: number;
  nameKo?: string;
  nameEn?: string;
  minQuantityPerProduct?: number;
  maxQuantityPerProduct?: number;
  maxQuantityPerUser?: number;
  isCustomResponse?: boolean;
  customResponsePattern?: string | null;
  placeholderMode?: PlaceholderMode;
  responseModifiableEndsAt?: string | null;
  visibleStartsAt?: string | null;
  visibleEndsAt?: string | null;
  orderableStartsAt?: string | null;
  orderableEndsAt?: string | null;
  options?: WireOption[];
}

// ---------------------------------------------------------------------------------------------------------
// form state: every input is a string; rows carry a client key that survives reordering / deletion

interface OptionRow {
  key: string;
  id?: string;
  nameKo: string;
  nameEn: string;
  priority: string;
  additionalPrice: string;
  stock: string;
  maxQuantityPerUser: string;
}

interface GroupRow {
  key: string;
  id?: string;
  nameKo: string;
  nameEn: string;
  priority: string;
  minQuantityPerProduct: string;
  maxQuantityPerProduct: string;
  maxQuantityPerUser: string;
  isCustomResponse: boolean;
  customResponsePattern: string;
  placeholderMode: PlaceholderMode;
  dates: Record<DateKey, string>;
  /** The loaded ISO value of each date, sent back as is while the input still shows it. */
  origDates: Record<DateKey, string | null>;
  options: OptionRow[];
}

let seq = 0;
const newKey = () => `r${++seq}`;

const pad = (n: number) => String(n).padStart(2, '0');
/** ISO → `YYYY-MM-DDTHH:mm` in the browser's time zone (what datetime-local shows). */
function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Blank for 0 where 0 means "no limit". */
const numText = (n: number | undefined | null, zeroIsBlank = false) => (n === undefined || n === null || (zeroIsBlank && n === 0) ? (zeroIsBlank ? '' : '0') : String(n));

/** Empty → 0; an integer → number; anything else is sent as typed so the server names the problem. */
function numValue(s: string): number | string {
  const t = s.trim();
  if (t === '') return 0;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : t;
}

function fromWire(groups: WireGroup[]): GroupRow[] {
  return groups.map((g) => {
    const origDates = Object.fromEntries(DATE_KEYS.map((k) => [k, g[k] ?? null])) as Record<DateKey, string | null>;
    return {
      key: newKey(),
      id: g.id,
      nameKo: g.nameKo ?? '',
      nameEn: g.nameEn ?? '',
      priority: numText(g.priority),
      minQuantityPerProduct: numText(g.minQuantityPerProduct),
      maxQuantityPerProduct: numText(g.maxQuantityPerProduct, true),
      maxQuantityPerUser: numText(g.maxQuantityPerUser, true),
      isCustomResponse: !!g.isCustomResponse,
      customResponsePattern: g.customResponsePattern ?? '',
      placeholderMode: g.placeholderMode ?? 'hidden',
      dates: Object.fromEntries(DATE_KEYS.map((k) => [k, toLocalInput(origDates[k])])) as Record<DateKey, string>,
      origDates,
      options: (g.options ?? []).map((o) => ({
        key: newKey(),
        id: o.id,
        nameKo: o.nameKo ?? '',
        nameEn: o.nameEn ?? '',
        priority: numText(o.priority),
        additionalPrice: numText(o.additionalPrice),
        stock: numText(o.stock, true),
        maxQuantityPerUser: numText(o.maxQuantityPerUser, true),
      })),
    };
  });
}

function dateValue(g: GroupRow, k: DateKey): string | null {
  const local = g.dates[k];
  if (!local) return null;
  if (g.origDates[k] && toLocalInput(g.origDates[k]) === local) return g.origDates[k];
  const d = new Date(local); // datetime-local text parses as local time
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

/**
 * The posted array. A free-text group has no options (the service refuses options on it), so its list is
 * sent empty — existing options of a group switched to free text are deleted on save (the form says so).
 * The pattern only means something on a free-text group and is validated whenever present, so a hidden
 * pattern of a choice group is sent as null rather than failing invisibly.
 */
function toWire(groups: GroupRow[]): WireGroup[] {
  return groups.map((g) => ({
    ...(g.id ? { id: g.id } : {}),
    nameKo: g.nameKo,
    nameEn: g.nameEn,
    priority: numValue(g.priority) as number,
    minQuantityPerProduct: numValue(g.minQuantityPerProduct) as number,
    maxQuantityPerProduct: numValue(g.maxQuantityPerProduct) as number,
    maxQuantityPerUser: numValue(g.maxQuantityPerUser) as number,
    isCustomResponse: g.isCustomResponse,
    customResponsePattern: g.isCustomResponse ? g.customResponsePattern || null : null,
    placeholderMode: g.placeholderMode,
    ...Object.fromEntries(DATE_KEYS.map((k) => [k, dateValue(g, k)])),
    options: g.isCustomResponse
      ? []
      : g.options.map((o) => ({
          ...(o.id ? { id: o.id } : {}),
          nameKo: o.nameKo,
          nameEn: o.nameEn,
          priority: numValue(o.priority) as number,
          additionalPrice: numValue(o.additionalPrice) as number,
          stock: numValue(o.stock) as number,
          maxQuantityPerUser: numValue(o.maxQuantityPerUser) as number,
        })),
  }));
}

type PlaceholderMode = 'hidden' | 'optional' | 'required';
/** placeholder_mode: whether the shop shows a "선택해주세요" empty choice, and whether no choice passes */
const PLACEHOLDER_CHOICES: Array<[PlaceholderMode, string]> = [
  ['hidden', 'hidden — 표시 안 함 (첫 옵션 선택)'],
  ['optional', 'optional — 표시, 선택 안 해도 통과'],
  ['required', 'required — 표시, 선택 필수'],
];

const emptyGroup = (priority: number): GroupRow => ({
  key: newKey(),
  nameKo: '',
  nameEn: '',
  priority: String(priority),
  minQuantityPerProduct: '0',
  maxQuantityPerProduct: '',
  maxQuantityPerUser: '',
  isCustomResponse: false,
  customResponsePattern: '',
  placeholderMode: 'hidden',
  dates: { responseModifiableEndsAt: '', visibleStartsAt: '', visibleEndsAt: '', orderableStartsAt: '', orderableEndsAt: '' },
  origDates: { responseModifiableEndsAt: null, visibleStartsAt: null, visibleEndsAt: null, orderableStartsAt: null, orderableEndsAt: null },
  options: [],
});

const emptyOption = (priority: number): OptionRow => ({ key: newKey(), nameKo: '', nameEn: '', priority: String(priority), additionalPrice: '0', stock: '', maxQuantityPerUser: '' });

const nextPriority = (rows: Array<{ priority: string }>) => rows.reduce((m, r) => Math.max(m, Number(r.priority) || 0), -1) + 1;

// ---------------------------------------------------------------------------------------------------------
// labels and errors

const LABELS: Record<string, string> = {
  id: 'ID',
  nameKo: '이름 (한국어)',
  nameEn: '이름 (영어)',
  priority: '우선순위',
  minQuantityPerProduct: '최소 선택',
  maxQuantityPerProduct: '최대 선택',
  maxQuantityPerUser: '1인당 최대',
  isCustomResponse: '자유 입력',
  customResponsePattern: '입력 패턴 (정규표현식)',
  placeholderMode: '"선택해주세요" 표시',
  responseModifiableEndsAt: '응답 수정 마감',
  visibleStartsAt: '노출 시작',
  visibleEndsAt: '노출 종료',
  orderableStartsAt: '판매 시작',
  orderableEndsAt: '판매 종료',
  additionalPrice: '추가 금액 (원)',
  stock: '재고',
  groupId: '옵션 그룹',
  productId: '상품',
  groups: '옵션 목록',
};

/** Errors re-keyed to rows: `<groupKey>/<optionKey or ''>/<field>`; anything else stays under its own key. */
type KeyedErrors = Record<string, string>;
const ek = (gk: string, ok: string | null, field: string) => `${gk}/${ok ?? ''}/${field}`;

function rekey(server: Record<string, string>, posted: GroupRow[]): KeyedErrors {
  const out: KeyedErrors = {};
  for (const [k, v] of Object.entries(server)) {
    const mo = /^groups\.(\d+)\.options\.(\d+)\.(.+)$/.exec(k);
    const mg = /^groups\.(\d+)\.(.+)$/.exec(k);
    const g = posted[Number((mo ?? mg)?.[1])];
    if (mo && g && g.options[Number(mo[2])]) out[ek(g.key, g.options[Number(mo[2])]!.key, mo[3]!)] = v;
    else if (mg && g) out[ek(g.key, null, mg[2]!)] = v;
    else out[k] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// product window (what an empty group window means)

function windowText(start: unknown, end: unknown): string {
  const fmt = (v: unknown, edge: 'start' | 'end') => {
    if (v === undefined || v === null || v === '') return '제한 없음';
    const d = new Date(String(v));
    if (Number.isNaN(d.getTime())) return '제한 없음';
    const y = d.getUTCFullYear();
    if ((edge === 'start' && y <= 1) || (edge === 'end' && y >= 9999)) return '제한 없음';
    return toLocalInput(d.toISOString()).replace('T', ' ');
  };
  return `${fmt(start, 'start')} ~ ${fmt(end, 'end')}`;
}

// ---------------------------------------------------------------------------------------------------------
// small pieces

const Field: React.FC<{ id: string; label: string; error?: string; hint?: string; width?: string; children: React.ReactNode }> = ({ id, label, error, hint, width = '25%', children }) => (
  <Box width={['100%', '50%', width]} pr="lg" data-field={id}>
    <FormGroup error={!!error} mb="lg">
      <Label htmlFor={id}>{label}</Label>
      {children}
      {error ? (
        <FormMessage data-testid={`error:${id}`} style={{ height: 'auto' }}>
          {error}
        </FormMessage>
      ) : hint ? (
        <FormMessage color="grey60" style={{ height: 'auto' }}>
          {hint}
        </FormMessage>
      ) : null}
    </FormGroup>
  </Box>
);

const CellInput: React.FC<{ id: string; label: string; value: string; error?: string; disabled: boolean; type?: string; placeholder?: string; onChange: (v: string) => void }> = ({ id, label, value, error, disabled, type = 'text', placeholder, onChange }) => (
  <FormGroup error={!!error} mb="0" data-field={id}>
    <Input id={id} name={id} aria-label={label} type={type} value={value} placeholder={placeholder} disabled={disabled} onChange={(e: React.ChangeEvent<HTMLInputElement>) => onChange(e.target.value)} />
    {error && (
      <FormMessage data-testid={`error:${id}`} style={{ height: 'auto' }}>
        {error}
      </FormMessage>
    )}
  </FormGroup>
);

// ---------------------------------------------------------------------------------------------------------

const ProductOptions: React.FC<ActionProps> = ({ resource, record }) => {
  const [groups, setGroups] = useState<GroupRow[]>([]);
  const [baseline, setBaseline] = useState<string>('[]');
  const [loadedIds, setLoadedIds] = useState<{ groups: string[]; options: string[] }>({ groups: [], options: [] });
  const [product, setProduct] = useState<Record<string, unknown>>(record?.params ?? {});
  const [canWrite, setCanWrite] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<KeyedErrors>({});
  const [json, setJson] = useState<string | null>(null);
  const [jsonError, setJsonError] = useState<string | null>(null);
  const addNotice = useNotice();
  const ro = !canWrite;

  const reset = (wire: WireGroup[]) => {
    const rows = fromWire(wire);
    setGroups(rows);
    setBaseline(JSON.stringify(toWire(rows)));
    setLoadedIds({ groups: wire.map((g) => g.id).filter((x): x is string => !!x), options: wire.flatMap((g) => (g.options ?? []).map((o) => o.id)).filter((x): x is string => !!x) });
  };

  useEffect(() => {
    void api.recordAction({ resourceId: resource.id, recordId: String(record?.id), actionName: 'options' }).then((r) => {
      const d = r.data as { groups?: WireGroup[]; canWrite?: boolean; record?: { params?: Record<string, unknown> } };
      reset(d.groups ?? []);
      if (d.record?.params) setProduct(d.record.params);
      setCanWrite(!!d.canWrite);
      setLoaded(true);
    });
  }, [resource.id, record?.id]);

  const wire = useMemo(() => toWire(groups), [groups]);
  const dirty = JSON.stringify(wire) !== baseline;
  const pendingDeletes = useMemo(() => {
    const g = new Set(groups.map((x) => x.id).filter(Boolean));
    const o = new Set(groups.flatMap((x) => (x.isCustomResponse ? [] : x.options.map((y) => y.id))).filter(Boolean));
    return { groups: loadedIds.groups.filter((id) => !g.has(id)).length, options: loadedIds.options.filter((id) => !o.has(id)).length };
  }, [groups, loadedIds]);

  const err = (gk: string, ok: string | null, field: string) => errors[ek(gk, ok, field)];
  const clearErr = (gk: string, ok: string | null, field: string) =>
    setErrors((e) => {
      if (!(ek(gk, ok, field) in e)) return e;
      const { [ek(gk, ok, field)]: _, ...rest } = e;
      return rest;
    });

  const setGroup = (gk: string, patch: Partial<GroupRow>, field?: string) => {
    setGroups((gs) => gs.map((g) => (g.key === gk ? { ...g, ...patch } : g)));
    if (field) clearErr(gk, null, field);
  };
  const setDate = (gk: string, k: DateKey, v: string) => {
    setGroups((gs) => gs.map((g) => (g.key === gk ? { ...g, dates: { ...g.dates, [k]: v } } : g)));
    clearErr(gk, null, k);
  };
  const setOption = (gk: string, okey: string, patch: Partial<OptionRow>, field: string) => {
    setGroups((gs) => gs.map((g) => (g.key === gk ? { ...g, options: g.options.map((o) => (o.key === okey ? { ...o, ...patch } : o)) } : g)));
    clearErr(gk, okey, field);
  };
  const addOption = (gk: string) => setGroups((gs) => gs.map((g) => (g.key === gk ? { ...g, options: [...g.options, emptyOption(nextPriority(g.options))] } : g)));
  const removeOption = (gk: string, okey: string) => setGroups((gs) => gs.map((g) => (g.key === gk ? { ...g, options: g.options.filter((o) => o.key !== okey) } : g)));
  const addGroup = () => setGroups((gs) => [...gs, emptyGroup(nextPriority(gs))]);
  const removeGroup = (gk: string) => setGroups((gs) => gs.filter((g) => g.key !== gk));

  const save = async () => {
    setBusy(true);
    const posted = groups;
    try {
      const form = new FormData();
      form.set('groups', JSON.stringify(toWire(posted)));
      const r = await api.recordAction({ resourceId: resource.id, recordId: String(record?.id), actionName: 'options', data: form, method: 'post' });
      const d = r.data as { errors?: Record<string, string>; groups?: WireGroup[]; notice?: { message: string; type: string } };
      if (d.notice) addNotice({ message: d.notice.message, type: d.notice.type as 'success' | 'error' });
      setErrors(rekey(d.errors ?? {}, posted));
      if (d.groups) {
        reset(d.groups);
        setJson(null);
      }
    } catch (e) {
      setErrors({ groups: `저장하지 못했습니다: ${e instanceof Error ? e.message : String(e)}` });
    } finally {
      setBusy(false);
    }
  };

  const applyJson = () => {
    try {
      const parsed = JSON.parse(json ?? '') as unknown;
      if (!Array.isArray(parsed)) throw new Error('배열([...])이어야 합니다.');
      setGroups(fromWire(parsed as WireGroup[]));
      setErrors({});
      setJsonError(null);
      setJson(null);
    } catch (e) {
      setJsonError(`JSON 형식이 올바르지 않습니다: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  // the summary: every error with where it is, linked to its input
  const summary = Object.entries(errors).map(([k, message]) => {
    const m = /^([^/]+)\/([^/]*)\/(.+)$/.exec(k);
    if (!m) return { k, where: LABELS[k] ?? k, message, target: null as string | null };
    const gi = groups.findIndex((g) => g.key === m[1]);
    const g = groups[gi];
    if (!g) return { k, where: LABELS[m[3]!] ?? m[3]!, message, target: null };
    const oi = m[2] ? g.options.findIndex((o) => o.key === m[2]) : -1;
    const o = oi >= 0 ? g.options[oi] : undefined;
    const where = [`그룹 ${gi + 1}${g.nameKo ? ` «${g.nameKo}»` : ''}`, ...(o ? [`옵션 ${oi + 1}${o.nameKo ? ` «${o.nameKo}»` : ''}`] : []), LABELS[m[3]!] ?? m[3]!].join(' › ');
    const target = o ? `groups.${gi}.options.${oi}.${m[3]}` : `groups.${gi}.${m[3]}`;
    return { k, where, message, target };
  });

  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;

  return (
    <Box variant="container" data-testid="product-options">
      <H3>옵션 그룹과 옵션</H3>
      <Text mb="default">
        상품 노출 기간: {windowText(product.visibleStartsAt, product.visibleEndsAt)} · 판매 기간: {windowText(product.orderableStartsAt, product.orderableEndsAt)}
      </Text>
      <Text mb="lg" color="grey60">
        그룹의 기간을 비우면 상품 기간을 따릅니다. 시각은 이 브라우저의 시간대({tz}) 기준입니다. 재고·수량 제한을 비우면(0) 무제한입니다. 변경은 “저장”을 눌러야 반영되고, 목록에서 삭제한 그룹·옵션은 저장할 때 삭제됩니다.
      </Text>

      {summary.length > 0 && (
        <MessageBox mb="xl" variant="danger" message="입력값을 확인해주세요." data-testid="option-errors">
          {summary.map((s) => (
            <div key={s.k} data-testid="option-error">
              {s.target ? (
                <a href={`#${s.target}`} onClick={(e) => { e.preventDefault(); document.getElementById(s.target!)?.focus(); }}>
                  <b>{s.where}</b>
                </a>
              ) : (
                <b>{s.where}</b>
              )}
              : {s.message}
            </div>
          ))}
        </MessageBox>
      )}

      {loaded && groups.length === 0 && (
        <MessageBox mb="xl" variant="info" message={canWrite ? '옵션 그룹이 없습니다. “그룹 추가”로 만드세요.' : '옵션 그룹이 없습니다.'} />
      )}

      {groups.map((g, gi) => {
        const p = `groups.${gi}`;
        const deletedOptions = g.isCustomResponse ? g.options.filter((o) => o.id).length : 0;
        return (
          <Box key={g.key} variant="card" mb="xl" p="xl" data-testid={`option-group-${gi}`} style={{ border: '1px solid #e0e0e0' }}>
            <Box display="flex" alignItems="center" justifyContent="space-between" mb="lg">
              <H4 mb="0">
                그룹 {gi + 1}
                {g.nameKo ? ` · ${g.nameKo}` : ''} {!g.id && <Badge variant="info" size="sm" ml="sm">새 그룹</Badge>}{' '}
                {g.isCustomResponse && <Badge variant="secondary" size="sm" ml="sm">자유 입력</Badge>}
              </H4>
              {canWrite && (
                <Button type="button" variant="outlined" color="danger" size="sm" onClick={() => removeGroup(g.key)} data-testid={`remove-group-${gi}`}>
                  그룹 삭제
                </Button>
              )}
            </Box>
            {err(g.key, null, 'id') && <MessageBox mb="lg" variant="danger" size="sm" message={err(g.key, null, 'id')!} />}

            <Box display="flex" flexWrap="wrap">
              <Field id={`${p}.nameKo`} label={LABELS.nameKo!} error={err(g.key, null, 'nameKo')} width="37.5%">
                <Input id={`${p}.nameKo`} name={`${p}.nameKo`} required value={g.nameKo} disabled={ro} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setGroup(g.key, { nameKo: e.target.value }, 'nameKo')} />
              </Field>
              <Field id={`${p}.nameEn`} label={LABELS.nameEn!} error={err(g.key, null, 'nameEn')} width="37.5%">
                <Input id={`${p}.nameEn`} name={`${p}.nameEn`} value={g.nameEn} disabled={ro} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setGroup(g.key, { nameEn: e.target.value }, 'nameEn')} />
              </Field>
              <Field id={`${p}.priority`} label={LABELS.priority!} hint="작을수록 먼저 표시" error={err(g.key, null, 'priority')}>
                <Input id={`${p}.priority`} name={`${p}.priority`} type="number" step={1} value={g.priority} disabled={ro} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setGroup(g.key, { priority: e.target.value }, 'priority')} />
              </Field>

              <Field id={`${p}.minQuantityPerProduct`} label={LABELS.minQuantityPerProduct!} hint="0 = 선택 사항, 1 이상 = 필수" error={err(g.key, null, 'minQuantityPerProduct')}>
                <Input id={`${p}.minQuantityPerProduct`} name={`${p}.minQuantityPerProduct`} type="number" min={0} step={1} value={g.minQuantityPerProduct} disabled={ro} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setGroup(g.key, { minQuantityPerProduct: e.target.value }, 'minQuantityPerProduct')} />
              </Field>
              <Field id={`${p}.maxQuantityPerProduct`} label={LABELS.maxQuantityPerProduct!} hint="상품 1개당 고를 수 있는 수, 비우면 무제한" error={err(g.key, null, 'maxQuantityPerProduct')}>
                <Input id={`${p}.maxQuantityPerProduct`} name={`${p}.maxQuantityPerProduct`} type="number" min={0} step={1} placeholder="무제한" value={g.maxQuantityPerProduct} disabled={ro} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setGroup(g.key, { maxQuantityPerProduct: e.target.value }, 'maxQuantityPerProduct')} />
              </Field>
              <Field id={`${p}.maxQuantityPerUser`} label={LABELS.maxQuantityPerUser!} hint="비우면 무제한" error={err(g.key, null, 'maxQuantityPerUser')}>
                <Input id={`${p}.maxQuantityPerUser`} name={`${p}.maxQuantityPerUser`} type="number" min={0} step={1} placeholder="무제한" value={g.maxQuantityPerUser} disabled={ro} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setGroup(g.key, { maxQuantityPerUser: e.target.value }, 'maxQuantityPerUser')} />
              </Field>
              <Field id={`${p}.responseModifiableEndsAt`} label={LABELS.responseModifiableEndsAt!} hint="비우면 구매 후 수정 불가" error={err(g.key, null, 'responseModifiableEndsAt')}>
                <Input id={`${p}.responseModifiableEndsAt`} name={`${p}.responseModifiableEndsAt`} type="datetime-local" value={g.dates.responseModifiableEndsAt} disabled={ro} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setDate(g.key, 'responseModifiableEndsAt', e.target.value)} />
              </Field>

              <Box width="100%" pr="lg" mb="lg" display="flex" alignItems="center" data-field={`${p}.isCustomResponse`}>
                <CheckBox id={`${p}.isCustomResponse`} name={`${p}.isCustomResponse`} checked={g.isCustomResponse} disabled={ro} onChange={() => !ro && setGroup(g.key, { isCustomResponse: !g.isCustomResponse }, 'isCustomResponse')} />
                <Label inline htmlFor={`${p}.isCustomResponse`} ml="default" mb="0">
                  {LABELS.isCustomResponse} — 구매자가 직접 입력하는 그룹 (예: 배지에 새길 이름). 옵션 목록 대신 입력 패턴을 씁니다.
                </Label>
              </Box>
              {g.isCustomResponse && (
                <Field id={`${p}.customResponsePattern`} label={LABELS.customResponsePattern!} hint="입력값 앞부분이 이 패턴과 맞아야 합니다. 예: .+ (아무 글자나 1자 이상)" error={err(g.key, null, 'customResponsePattern')} width="75%">
                  <Input id={`${p}.customResponsePattern`} name={`${p}.customResponsePattern`} value={g.customResponsePattern} disabled={ro} style={{ fontFamily: 'monospace' }} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setGroup(g.key, { customResponsePattern: e.target.value }, 'customResponsePattern')} />
                </Field>
              )}
              <Field id={`${p}.placeholderMode`} label={LABELS.placeholderMode!} hint="optional만 선택하지 않아도 통과합니다" error={err(g.key, null, 'placeholderMode')}>
                <select
                  id={`${p}.placeholderMode`}
                  name={`${p}.placeholderMode`}
                  value={g.placeholderMode}
                  disabled={ro}
                  style={{ padding: '8px', width: '100%' }}
                  onChange={(e: React.ChangeEvent<HTMLSelectElement>) => setGroup(g.key, { placeholderMode: e.target.value as PlaceholderMode }, 'placeholderMode')}
                >
                  {PLACEHOLDER_CHOICES.map(([value, label]) => (
                    <option key={value} value={value}>
                      {label}
                    </option>
                  ))}
                </select>
              </Field>
            </Box>

            <Text mb="sm" fontWeight="bold">
              그룹 기간 (비우면 상품 기간)
            </Text>
            <Box display="flex" flexWrap="wrap">
              {(['visibleStartsAt', 'visibleEndsAt', 'orderableStartsAt', 'orderableEndsAt'] as const).map((k) => (
                <Field key={k} id={`${p}.${k}`} label={LABELS[k]!} error={err(g.key, null, k)} hint={g.dates[k] ? undefined : '상품 기간'}>
                  <Input id={`${p}.${k}`} name={`${p}.${k}`} type="datetime-local" value={g.dates[k]} disabled={ro} onChange={(e: React.ChangeEvent<HTMLInputElement>) => setDate(g.key, k, e.target.value)} />
                </Field>
              ))}
            </Box>

            {g.isCustomResponse ? (
              deletedOptions > 0 && (
                <MessageBox variant="warning" size="sm" message={`자유 입력 그룹에는 옵션이 없습니다. 저장하면 이 그룹의 기존 옵션 ${deletedOptions}개가 삭제됩니다 (체크를 해제하면 유지).`} />
              )
            ) : (
              <Box mt="default">
                <Text mb="sm" fontWeight="bold">
                  옵션 ({g.options.length}개)
                </Text>
                <Table width="100%" data-testid={`options-table-${gi}`}>
                  <TableHead>
                    <TableRow>
                      <TableCell>{LABELS.nameKo}</TableCell>
                      <TableCell>{LABELS.nameEn}</TableCell>
                      <TableCell width="90px">{LABELS.priority}</TableCell>
                      <TableCell width="130px">{LABELS.additionalPrice}</TableCell>
                      <TableCell width="110px">재고 (비우면 무제한)</TableCell>
                      <TableCell width="110px">1인당 최대 (비우면 무제한)</TableCell>
                      {canWrite && <TableCell width="80px" />}
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {g.options.length === 0 && (
                      <TableRow>
                        <TableCell colSpan={canWrite ? 7 : 6}>
                          <Text color="grey60">옵션이 없습니다.{canWrite ? ' “옵션 추가”로 만드세요.' : ''}</Text>
                        </TableCell>
                      </TableRow>
                    )}
                    {g.options.map((o, oi) => {
                      const op = `${p}.options.${oi}`;
                      const cell = (field: keyof Omit<OptionRow, 'key' | 'id'>, extra: { type?: string; placeholder?: string } = {}) => (
                        <TableCell p="sm" style={{ verticalAlign: 'top' }}>
                          <CellInput id={`${op}.${field}`} label={LABELS[field]!} value={o[field]} error={err(g.key, o.key, field)} disabled={ro} {...extra} onChange={(v) => setOption(g.key, o.key, { [field]: v }, field)} />
                        </TableCell>
                      );
                      return (
                        <TableRow key={o.key} data-testid={`option-row-${gi}-${oi}`}>
                          {cell('nameKo')}
                          {cell('nameEn')}
                          {cell('priority', { type: 'number' })}
                          {cell('additionalPrice', { type: 'number' })}
                          {cell('stock', { type: 'number', placeholder: '무제한' })}
                          {cell('maxQuantityPerUser', { type: 'number', placeholder: '무제한' })}
                          {canWrite && (
                            <TableCell p="sm" style={{ verticalAlign: 'top' }}>
                              <Button type="button" variant="text" color="danger" size="sm" onClick={() => removeOption(g.key, o.key)} data-testid={`remove-option-${gi}-${oi}`}>
                                삭제
                              </Button>
                            </TableCell>
                          )}
                        </TableRow>
                      );
                    })}
                  </TableBody>
                </Table>
                {(['id', 'groupId'] as const).flatMap((f) => g.options.map((o) => err(g.key, o.key, f)).filter(Boolean)).map((m, i) => (
                  <Text key={i} color="error" mt="sm">
                    {m}
                  </Text>
                ))}
                {canWrite && (
                  <Button type="button" mt="default" size="sm" variant="outlined" onClick={() => addOption(g.key)} data-testid={`add-option-${gi}`}>
                    옵션 추가
                  </Button>
                )}
              </Box>
            )}
          </Box>
        );
      })}

      {canWrite && (
        <Box display="flex" alignItems="center" flexWrap="wrap" mt="lg">
          <Button type="button" variant="outlined" onClick={addGroup} data-testid="add-group">
            그룹 추가
          </Button>
          <Button type="button" variant="contained" ml="default" onClick={save} disabled={busy || !loaded} data-testid="save-options">
            {busy ? '저장 중…' : '저장'}
          </Button>
          {dirty && (
            <Text ml="lg" color="grey60" data-testid="options-dirty">
              저장하지 않은 변경이 있습니다.
              {pendingDeletes.groups + pendingDeletes.options > 0 && ` 저장하면 삭제: 그룹 ${pendingDeletes.groups}개, 옵션 ${pendingDeletes.options}개.`}
            </Text>
          )}
          <Box flexGrow={1} />
          <Button
            type="button"
            variant="text"
            size="sm"
            onClick={() => {
              setJsonError(null);
              setJson(json === null ? JSON.stringify(wire, null, 2) : null);
            }}
          >
            {json === null ? '고급: JSON' : 'JSON 닫기'}
          </Button>
        </Box>
      )}
      {canWrite && json !== null && (
        <Box mt="lg" data-testid="options-json">
          <Text color="grey60" mb="sm">
            개발자용: 폼과 같은 내용의 JSON입니다. 고친 뒤 “폼에 적용”을 누르고 “저장”하세요. id가 있는 항목은 수정, 없는 항목은 생성됩니다.
          </Text>
          {jsonError && <MessageBox mb="default" variant="danger" size="sm" message={jsonError} />}
          <TextArea value={json} onChange={(e: React.ChangeEvent<HTMLTextAreaElement>) => setJson(e.target.value)} rows={20} width="100%" style={{ fontFamily: 'monospace' }} />
          <Button type="button" mt="default" size="sm" onClick={applyJson}>
            폼에 적용
          </Button>
        </Box>
      )}
    </Box>
  );
};

export default ProductOptions;
