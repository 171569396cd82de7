/**
 * Notification templates (spec §6.6): `{{ var }}` / `{{ var.attr }}` placeholders (Django-template style; a
 * `|filter` suffix is tolerated and ignored). Pure: variable discovery, rendering, missing-variable check.
 *
 * Rendering is plain text (e-mail `text/plain`): a value is inserted as it is; a missing or null value
 * renders as "" (as Django does); objects render as JSON.
 */

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

/** `escape` (e.g. HTML escaping for HTML document templates) is applied to every inserted value. */
export function renderTemplate(text: string, context: Record<string, unknown>, escape: (s: string) => string = (s) => s): string {
  return text.replace(PLACEHOLDER, (_all, root: string, path: string) => escape(display(lookup(context, root, path))));
}
