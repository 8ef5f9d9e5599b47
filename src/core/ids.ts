const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A uniformly random string of `[A-Za-z0-9]` (rejection sampling: no modulo bias). Used for app
 * ids, secrets and `eth` challenges, which EIP-4361 requires to be alphanumeric.
 *
 * @example
 * randomAlphanumeric(deps.random, 32)
 */
export function randomAlphanumeric(random: (n: number) => Uint8Array, length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      // 248 = 4 * 62: bytes at or above it would favour the first characters.
      if (byte < 248) out += ALPHANUMERIC[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A random id with a readable prefix, e.g. `cred_3kT...`. */
export function randomId(random: (n: number) => Uint8Array, prefix: string, length = 22): string {
  return `${prefix}_${randomAlphanumeric(random, length)}`;
}

/**
 * A unique id that sorts by time: the prefix, `at` (Unix ms) as 9 base-36 digits (fixed width, so
 * the text order is the time order until the year 5188), then random characters. Audit records
 * take these: each append lands at the right edge of the unique index on ids instead of at a
 * random page of it, so appends cost the same at 1M records as at none (issue 13, audit growth).
 *
 * @example
 * timeOrderedId(deps.random, 'au', deps.clock()) // 'au_mq1x2k3l0' + 16 random characters
 */
export function timeOrderedId(
  random: (n: number) => Uint8Array,
  prefix: string,
  at: number,
  length = 16,
): string {
  return `${prefix}_${timeKey(at)}${randomAlphanumeric(random, length)}`;
}

/** `at` (Unix ms, 0 or more) as 9 base-36 digits, fixed width. */
export function timeKey(at: number): string {
  return Math.max(0, Math.floor(at)).toString(36).padStart(9, '0');
}
