/**
 * The panel's custom React components. AdminJS bundles them itself (rollup + babel) from these source
 * files — on the first request in development/test, at start in production (into `.adminjs/`) — so they
 * are referenced by absolute path and never compiled by tsc into another folder.
 */
import { fileURLToPath } from 'node:url';
import type { ComponentLoader } from 'adminjs';

const file = (name: string) => fileURLToPath(new URL(`./components/${name}.tsx`, import.meta.url));

export const COMPONENT_FILES = {
  Dashboard: file('dashboard'),
  RefundView: file('refund-view'),
  ExportView: file('export-view'),
  ImportView: file('import-view'),
  NotifyView: file('notify-view'),
  TotpPage: file('totp-page'),
  AuditHistory: file('audit-history'),
  ProductOptions: file('product-options'),
  ApiKeyNew: file('api-key-new'),
  OrderItems: file('order-items'),
  MoneyValue: file('money-value'),
  SeoulTime: file('seoul-time'),
  CheckinPage: file('checkin-page'),
  OrderList: file('order-list'),
  StatusFilter: file('status-filter'),
  DocumentPreview: file('document-preview'),
  TagAssign: file('tag-assign'),
  ChangeOptionView: file('change-option-view'),
  CompOrder: file('comp-order'),
  CompCancel: file('comp-cancel'),
} as const;

export type ComponentName = keyof typeof COMPONENT_FILES;

export function registerComponents(loader: ComponentLoader): Record<ComponentName, string> {
  const out = {} as Record<ComponentName, string>;
  for (const [name, path] of Object.entries(COMPONENT_FILES) as Array<[ComponentName, string]>) out[name] = loader.add(name, path);
  loader.override('Login', fileURLToPath(new URL('./components/login.tsx', import.meta.url)));
  return out;
}
