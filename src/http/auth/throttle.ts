/**
 * Sign-in throttling: failed password sign-ins are counted per client IP and per e-mail in a fixed window;
 * past the limit every attempt for that IP or e-mail answers 429 (without checking the password) until
 * the window ends. A successful sign-in clears the e-mail's counter (not the IP's).
 *
 * The counts live in PostgreSQL (`auth_attempts`, src/services/auth-attempts.ts): every web process of a
 * cluster and the admin panel's login share them, so N processes do not allow N times the limit and a
 * restart forgives nothing. The IP limit is higher than the e-mail limit by default because a conference
 * venue puts hundreds of buyers behind one NAT address.
 */
import type { Sequelize } from 'sequelize';
import { clearFailures, lockedUntil, recordFailures } from '../../services/auth-attempts.js';

export interface ThrottleLimits {
  maxPerEmail: number;
  maxPerIp: number;
  windowMs: number;
}

const ipKey = (ip: string) => `login-ip:${ip}`;
const emailKey = (email: string) => `login-email:${email.trim().toLowerCase()}`;

export class LoginThrottle {
  constructor(
    private readonly sequelize: Sequelize,
    private readonly limits: ThrottleLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Seconds until the caller may try again, or 0 when not throttled. */
  async retryAfter(ip: string, email: string): Promise<number> {
    const now = this.clock();
    const until = await lockedUntil(
      this.sequelize,
      [
        { key: ipKey(ip), max: this.limits.maxPerIp },
        { key: emailKey(email), max: this.limits.maxPerEmail },
      ],
      new Date(now),
    );
    return until ? Math.max(1, Math.ceil((until.getTime() - now) / 1000)) : 0;
  }

  async recordFailure(ip: string, email: string): Promise<void> {
    await recordFailures(this.sequelize, [ipKey(ip), emailKey(email)], new Date(this.clock()), this.limits.windowMs);
  }

  async recordSuccess(email: string): Promise<void> {
    await clearFailures(this.sequelize, emailKey(email));
  }
}
