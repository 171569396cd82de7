/**
 * Sign-in throttling: failed password sign-ins are counted per client IP and per e-mail in a fixed window;
 * past the limit every attempt for that IP or e-mail answers 429 (without checking the password) until
 * the window ends. A successful sign-in clears the e-mail's counter (not the IP's).
 *
 * In memory, per process: enough for one app process (a restart forgives). The IP limit is higher than
 * the e-mail limit by default because a conference venue puts hundreds of buyers behind one NAT address.
 */
export interface ThrottleLimits {
  maxPerEmail: number;
  maxPerIp: number;
  windowMs: number;
}

interface Counter {
  count: number;
  resetAt: number;
}

const MAX_KEYS = 100_000;

export class LoginThrottle {
  private readonly counters = new Map<string, Counter>();

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  private live(key: string, now: number): Counter | undefined {
    const c = this.counters.get(key);
    if (c && c.resetAt <= now) {
      this.counters.delete(key);
      return undefined;
    }
    return c;
  }

  /** Seconds until the caller may try again, or 0 when not throttled. */
  retryAfter(ip: string, email: string): number {
    const now = this.clock();
    let until = 0;
    const byIp = this.live(`ip:${ip}`, now);
    if (byIp && byIp.count >= this.limits.maxPerIp) until = Math.max(until, byIp.resetAt);
    const byEmail = this.live(`email:${email.toLowerCase()}`, now);
    if (byEmail && byEmail.count >= this.limits.maxPerEmail) until = Math.max(until, byEmail.resetAt);
    return until ? Math.max(1, Math.ceil((until - now) / 1000)) : 0;
  }

  recordFailure(ip: string, email: string): void {
    const now = this.clock();
    for (const key of [`ip:${ip}`, `email:${email.toLowerCase()}`]) {
      const c = this.live(key, now);
      if (c) c.count += 1;
      else this.counters.set(key, { count: 1, resetAt: now + this.limits.windowMs });
    }
    if (this.counters.size > MAX_KEYS) this.prune(now);
  }

  recordSuccess(email: string): void {
    this.counters.delete(`email:${email.toLowerCase()}`);
  }

  private prune(now: number): void {
    for (const [k, c] of this.counters) if (c.resetAt <= now) this.counters.delete(k);
    // Still too many (an attack with many distinct keys): drop the oldest entries (Map keeps insertion order).
    for (const k of this.counters.keys()) {
      if (this.counters.size <= MAX_KEYS / 2) break;
      this.counters.delete(k);
    }
  }
}
