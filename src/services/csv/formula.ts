/**
 * Spreadsheet formula injection guard (OWASP "CSV injection"): a cell that starts with `=`, `+`, `-`, `@`,
 * a tab or a carriage return is run as a formula by Excel / LibreOffice / Google Sheets. Exported text
 * cells get a leading `'` (shown as text, the quote hidden); the import strips that guard again, so an
 * exported file re-imports to the same values. Numbers are written as numbers and never guarded.
 */
const TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r']);

export function guardFormula(value: string): string {
  return value.length > 0 && TRIGGERS.has(value[0]!) ? `'${value}` : value;
}

export function unguardFormula(value: string): string {
  return value.length > 1 && value[0] === "'" && TRIGGERS.has(value[1]!) ? value.slice(1) : value;
}

/** A cell for CSV/XLSX output: strings guarded, numbers kept, null/undefined empty, dates ISO-8601. */
export function cell(value: unknown): string | number {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return value;
  if (value instanceof Date) return value.toISOString();
  return guardFormula(String(value));
}

/** UTF-8 byte order mark: Excel opens a CSV with it as UTF-8 (Korean text) instead of the ANSI code page. */
export const UTF8_BOM = '\uFEFF';
