/**
 * Notification templates (spec §6.6): `{{ var }}` / `{{ var.attr }}` placeholders (Django-template style; a
 * `|filter` suffix is tolerated and ignored). Pure: variable discovery, rendering, missing-variable check.
 *
 * Rendering is plain text (e-mail `text/plain`, Kakao, SMS): a value is inserted as it is; a missing or null
 * value renders as "" (as Django does); objects render as JSON. HTML bodies are rendered with every value
 * HTML-escaped (`{ html: true }`), as Django auto-escapes: buyer input (names, answers) cannot inject markup.
 * Amounts are put in the context already formatted (`formatAmount`: "23,000").
 */
import { escapeHtml } from '../html.js';

// A variable name: letters (any script, so Korean option-group names work), digits, "_"; then `.attr` parts.
const PLACEHOLDER = /\{\{\s*([\p{L}\p{N}_]+)((?:\.[\p{L}\p{N}_]+)*)\s*(?:\|[^{}]*)?\}\}/gu;

/** Root names of every placeholder in the texts, sorted and unique. */
export function templateVariables(...texts: string[]): string[] {
  const out = new Set<string>();
  for (const t of texts) for (const m of t.matchAll(PLACEHOLDER)) out.add(m[1]!);
  return [...out].sort();
}

/** Variables the context does not define (key absent; a null value counts as defined). Sorted. */
export function missingVariables(variables: readonly string[], context: Record<string, unknown>): string[] {
  return variables.filter((v) => !Object.prototype.hasOwnProperty.call(context, v)).sort();
}

function lookup(context: Record<string, unknown>, root: string, path: string): unknown {
  let value: unknown = Object.prototype.hasOwnProperty.call(context, root) ? context[root] : undefined;
  for (const part of path.split('.').filter(Boolean)) {
    if (value === null || value === undefined || typeof value !== 'object') return undefined;
    value = Object.prototype.hasOwnProperty.call(value, part) ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

function display(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

export { escapeHtml };

export function renderTemplate(text: string, context: Record<string, unknown>, opts: { html?: boolean } = {}): string {
  return text.replace(PLACEHOLDER, (_all, root: string, path: string) => {
    const value = display(lookup(context, root, path));
    return opts.html ? escapeHtml(value) : value;
  });
}

/** KRW amount with thousands separators: 1234567 → "1,234,567" (null → null). */
export function formatAmount(value: number | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return Math.trunc(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** The plain-text fallback of an HTML body: tags dropped, entities of escapeHtml undone, blank runs collapsed. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(br|\/p|\/div|\/h\d|\/li|\/tr)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|#39);/g, (m) => ({ '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" })[m]!)
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
