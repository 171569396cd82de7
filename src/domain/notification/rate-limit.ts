/**
 * Even spacing of sends per key (channel): at most `perMinute` per rolling minute, one every
 * 60 000 / perMinute ms (as Celery's "60/m" task rate limit spaces tasks, no burst). Pure: the caller gives
 * "now" and gets the time its send may start; that slot is reserved, so concurrent callers queue up.
 * 0 = unlimited. Why not a library: the schedule must be driven by an injected clock so tests measure it.
 */
export class SendSpacing {
  private readonly next = new Map<string, number>();

  constructor(private readonly perMinute: (key: string) => number) {}

  /** Reserve the next slot of `key` at or after `nowMs`; returns its start time (ms). */
  reserve(key: string, nowMs: number): number {
    const rate = this.perMinute(key);
    if (!rate || rate <= 0) return nowMs;
    const interval = 60_000 / rate;
    const at = Math.max(nowMs, this.next.get(key) ?? nowMs);
    this.next.set(key, at + interval);
    return at;
  }
}
