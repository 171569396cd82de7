/**
 * A failed delivery of one notification (e-mail, Kakao alimtalk, SMS). `transient`: trying again later may
 * help (connection problems, timeouts, "try later" replies) — the only errors that are retried.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}
