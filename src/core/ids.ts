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
