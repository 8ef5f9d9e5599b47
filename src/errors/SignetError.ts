import { ERROR_CODES, type ErrorCode, type ReasonCode } from './codes.js';

/**
 * The typed error of Signet: a stable `code` from the one table, its HTTP `status`, a human
 * `message`, and for `verification_failed` the precise `reason` (kept off public answers).
 *
 * @example
 * throw new SignetError('not_found', 'No such credential.');
 */
export class SignetError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly reason: ReasonCode | undefined;
  /** For 429 `rate_limited`: when to try again, seconds (the `Retry-After` header). */
  readonly retryAfterSec: number | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options?: { reason?: ReasonCode; cause?: unknown; retryAfterSec?: number },
  ) {
    super(
      message ?? ERROR_CODES[code].message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'SignetError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.reason = options?.reason;
    this.retryAfterSec = options?.retryAfterSec;
  }
}

/** True when `e` is a {@link SignetError}, optionally of one code. */
export function isSignetError(e: unknown, code?: ErrorCode): e is SignetError {
  return e instanceof SignetError && (code === undefined || e.code === code);
}
