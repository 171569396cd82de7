/**
 * Registration-desk days: Asia/Seoul calendar dates ('YYYY-MM-DD'), periods with an inclusive end.
 * Pure ("now" is a parameter).
 */
const SEOUL_OFFSET_MS = 9 * 3600 * 1000; // Asia/Seoul has no daylight saving time

export function seoulDate(now: Date): string {
  return new Date(now.getTime() + SEOUL_OFFSET_MS).toISOString().slice(0, 10);
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function isIsoDate(s: unknown): s is string {
  if (typeof s !== 'string' || !DATE_RE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Do two inclusive periods share a day? */
export function periodsOverlap(a: { start: string; end: string }, b: { start: string; end: string }): boolean {
  return a.start <= b.end && b.start <= a.end;
}
