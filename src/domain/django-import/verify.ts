/**
 * What a Django import must prove before it commits (pure comparisons; the runner loads both sides):
 * every Django row is here, every order's money is the same in both ledgers, every product has sold the
 * same number of units. Any difference fails the whole run.
 */

/** Per order, from its payment-history ledger (soft-deleted rows ignored). */
export interface LedgerTotals {
  /** Σ of `completed` rows (what was charged) */
  paid: number;
  /** paid − balance */
  refunded: number;
  /** the newest row's price (money still held) */
  balance: number;
}

export interface TableCount {
  table: string;
  target: string;
  /** rows in the Django table */
  source: number;
  /** of those, rows present here after the run */
  present: number;
  inserted: number;
  updated: number;
}

export interface Difference {
  kind: 'count' | 'ledger' | 'sold' | 'constraint';
  key: string;
  django: string | number;
  ours: string | number;
}

export function compareCounts(counts: TableCount[]): Difference[] {
  return counts
    .filter((c) => c.present !== c.source)
    .map((c) => ({ kind: 'count' as const, key: `${c.table} → ${c.target}`, django: c.source, ours: c.present }));
}

const fmtLedger = (t: LedgerTotals | undefined) => (t ? `paid ${t.paid} / refunded ${t.refunded} / balance ${t.balance}` : 'missing');

/** Orders whose paid / refunded / balance differ (an order missing on one side is a difference). */
export function compareLedgers(django: ReadonlyMap<string, LedgerTotals>, ours: ReadonlyMap<string, LedgerTotals>): Difference[] {
  const out: Difference[] = [];
  for (const id of new Set([...django.keys(), ...ours.keys()])) {
    const a = django.get(id);
    const b = ours.get(id);
    if (a && b && a.paid === b.paid && a.refunded === b.refunded && a.balance === b.balance) continue;
    out.push({ kind: 'ledger', key: `order ${id}`, django: fmtLedger(a), ours: fmtLedger(b) });
  }
  return out.sort((x, y) => x.key.localeCompare(y.key));
}

/** Products whose sold count (paid + used units) differs; missing entries count as 0. */
export function compareSold(django: ReadonlyMap<string, number>, ours: ReadonlyMap<string, number>, productIds: Iterable<string>): Difference[] {
  const out: Difference[] = [];
  for (const id of productIds) {
    const a = django.get(id) ?? 0;
    const b = ours.get(id) ?? 0;
    if (a !== b) out.push({ kind: 'sold', key: `product ${id}`, django: a, ours: b });
  }
  return out.sort((x, y) => x.key.localeCompare(y.key));
}

export function formatDifferences(diffs: Difference[], limit = 50): string {
  const lines = diffs.slice(0, limit).map((d) => `  ${d.kind.padEnd(10)} ${d.key}: Django ${d.django}, ours ${d.ours}`);
  if (diffs.length > limit) lines.push(`  … and ${diffs.length - limit} more`);
  return lines.join('\n');
}
