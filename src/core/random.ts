import { randomFillSync } from 'node:crypto';

/**
 * Cryptographically secure random bytes, drawn from a pool that OpenSSL refills 4 KiB at a
 * time. A login takes a handful of small draws (ids, the challenge, the token's jti); one
 * `randomBytes` call each cost ~70 µs per login in the server profile, a pooled draw is a copy.
 * Bytes are handed out once and never reused. (Node's own `randomUUID` pools the same way.)
 *
 * @example
 * const random = createRandomSource();
 * random(32) // a fresh Uint8Array of 32 random bytes
 */
export function createRandomSource(poolSize = 4096): (length: number) => Uint8Array {
  const pool = Buffer.allocUnsafe(poolSize);
  let offset = poolSize;
  return (length) => {
    if (!Number.isInteger(length) || length < 0)
      throw new RangeError('random: length must be a whole number');
    if (length > poolSize) return randomFillSync(new Uint8Array(length));
    if (offset + length > poolSize) {
      randomFillSync(pool);
      offset = 0;
    }
    const out = new Uint8Array(length);
    out.set(pool.subarray(offset, offset + length));
    // Zero what was handed out, so no copy of it stays in the pool.
    pool.fill(0, offset, offset + length);
    offset += length;
    return out;
  };
}
