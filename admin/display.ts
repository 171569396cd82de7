/**
 * How every resource shows money and times (list and detail pages): KRW amounts as `35,000원`, times as
 * Asia/Seoul wall-clock. Applied to all resources at once (by column type and money column names), so a
 * resource added later gets it too; a property's own components win.
 */
import type { ResourceWithOptions } from 'adminjs';
import type { ComponentName } from './components.js';

const MONEY = new Set(['price', 'additionalPrice', 'donationPrice', 'donationMinPrice', 'donationMaxPrice', 'currentPaidPrice', 'firstPaidPrice', 'amount']);

type Props = Record<string, { type?: string; components?: Record<string, string> } & Record<string, unknown>>;

function attributesOf(resource: unknown): Record<string, { type?: { key?: string } }> {
  const r = resource as { rawAttributes?: Record<string, never>; SequelizeModel?: { rawAttributes?: Record<string, never> } };
  return r.rawAttributes ?? r.SequelizeModel?.rawAttributes ?? {};
}

export function applyDisplayComponents(resources: ResourceWithOptions[], components: Record<ComponentName, string>): void {
  for (const r of resources) {
    const props = ((r.options.properties ??= {}) as Props);
    const names = new Map<string, 'money' | 'time'>();
    for (const [name, attr] of Object.entries(attributesOf(r.resource))) {
      if (MONEY.has(name)) names.set(name, 'money');
      else if (attr.type?.key === 'DATE') names.set(name, 'time');
    }
    for (const [name, p] of Object.entries(props)) {
      if (MONEY.has(name) && p.type !== 'string') names.set(name, 'money');
      else if (p.type === 'datetime') names.set(name, 'time');
    }
    for (const [name, kind] of names) {
      const c = kind === 'money' ? components.MoneyValue : components.SeoulTime;
      props[name] = { ...(props[name] ?? {}), components: { list: c, show: c, ...(props[name]?.components ?? {}) } };
    }
  }
}
