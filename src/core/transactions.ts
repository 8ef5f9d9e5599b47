import { sha256 } from '../crypto/hash.js';
import { encodeBase64Url } from '../encoding/base64.js';
import { utf8Bytes } from '../encoding/bytes.js';
import { canonicalizeJson } from '../encoding/jcs.js';
import { invalid, type Parsed } from '../errors/codes.js';

/**
 * Signed transactions (docs/api.md "Signed transactions"): a challenge may carry a
 * `transaction`, a JSON object of at most 4 KiB, bound by base64url(SHA-256(JCS(transaction)))
 * — the `txn` claim of the token that a completed transaction challenge yields.
 */

/** Largest transaction, in bytes of its RFC 8785 canonical UTF-8 form. */
export const MAX_TRANSACTION_BYTES = 4096;

/** Deepest nesting a transaction may have (well below JCS's own bound). */
export const MAX_TRANSACTION_DEPTH = 16;

/** A transaction that passed {@link parseTransaction}: the value, its canonical text and its hash. */
export interface ParsedTransaction {
  /** The object as given (a plain JSON object), to echo in the verify answer. */
  transaction: Record<string, unknown>;
  /** Its RFC 8785 canonical form (the bytes hashed are this string's UTF-8). */
  canonical: string;
  /** base64url(SHA-256(UTF-8(canonical))), no padding: the token's `txn` claim. */
  hash: string;
}

/** A lone UTF-16 surrogate (not I-JSON, RFC 7493 §2.1). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Walks an untrusted value and names the first thing that is not I-JSON, or returns null.
 * Bounded: depth at most {@link MAX_TRANSACTION_DEPTH}, and the walk stops once the values seen
 * could not fit in {@link MAX_TRANSACTION_BYTES} (every value costs at least one byte).
 */
function findProblem(value: unknown, path: string, depth: number, budget: { left: number }): string | null {
  if (--budget.left < 0) return `transaction must be at most ${MAX_TRANSACTION_BYTES} bytes`;
  if (value === null || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${path} must be a finite number`;
  if (typeof value === 'string') {
    budget.left -= value.length;
    return LONE_SURROGATE.test(value) ? `${path} must not contain a lone surrogate` : null;
  }
  if (typeof value !== 'object') return `${path} must be a JSON value`;
  if (depth >= MAX_TRANSACTION_DEPTH) return `transaction must nest at most ${MAX_TRANSACTION_DEPTH} levels`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) return `${path}[${i}] must be a JSON value`;
      const p = findProblem(value[i], `${path}[${i}]`, depth + 1, budget);
      if (p !== null) return p;
    }
    return null;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return `${path} must be a plain JSON object`;
  for (const [name, member] of Object.entries(value)) {
    budget.left -= name.length;
    if (LONE_SURROGATE.test(name)) return `${path} member names must not contain a lone surrogate`;
    const p = findProblem(member, `${path}.${name}`, depth + 1, budget);
    if (p !== null) return p;
  }
  return null;
}

/**
 * Strict parser of the `transaction` field of `POST /v1/challenges`: a plain JSON object (not
 * an array, not a primitive), I-JSON throughout, nesting at most 16 levels, whose canonical
 * form is at most 4096 bytes. Returns the object with its canonical form and hash.
 * (Duplicate member names are already resolved by the JSON parser that made the object; the
 * hash covers the object as Signet read it, which the verify answer echoes.)
 *
 * @example
 * const tx = parseTransaction({ amount: 125000, currency: 'VND', to: 'X' });
 * if (tx.ok) tx.value.hash; // base64url SHA-256 of '{"amount":125000,"currency":"VND","to":"X"}'
 */
export function parseTransaction(input: unknown): Parsed<ParsedTransaction> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return invalid('transaction must be a JSON object');
  }
  const problem = findProblem(input, 'transaction', 0, { left: MAX_TRANSACTION_BYTES });
  if (problem !== null) return invalid(problem);
  // MAX_TRANSACTION_DEPTH is below JCS_MAX_DEPTH and the walk above refused everything else
  // canonicalizeJson throws on, so this does not throw.
  const canonical = canonicalizeJson(input);
  const bytes = utf8Bytes(canonical);
  if (bytes.length > MAX_TRANSACTION_BYTES) {
    return invalid(`transaction must be at most ${MAX_TRANSACTION_BYTES} bytes`);
  }
  return {
    ok: true,
    value: {
      transaction: input as Record<string, unknown>,
      canonical,
      hash: encodeBase64Url(sha256(bytes)),
    },
  };
}

/**
 * base64url(SHA-256(JCS(tx))) of a transaction object (docs/api.md: the token's `txn` claim).
 * Throws `TypeError` when `tx` is not a valid transaction (parse untrusted input with
 * {@link parseTransaction}, which returns the same hash).
 *
 * @example
 * transactionHash({ amount: 125000, currency: 'VND', to: 'X' }) // 43 base64url characters
 */
export function transactionHash(tx: unknown): string {
  const parsed = parseTransaction(tx);
  if (!parsed.ok) throw new TypeError(`transactionHash: ${parsed.message}`);
  return parsed.value.hash;
}

/** What a transaction challenge keeps in `Challenge.data`: the object as given and its hash. */
export interface BoundTransaction {
  transaction: Record<string, unknown>;
  txn: string;
}

/**
 * The `Challenge.data` fields of a transaction challenge (merged with any other data the
 * scheme keeps).
 *
 * @example
 * const tx = parseTransaction(body.transaction); if (!tx.ok) return tx;
 * await issueChallenge(deps, app, 'device', userId, transactionChallengeData(tx.value));
 */
export function transactionChallengeData(parsed: ParsedTransaction): BoundTransaction {
  return { transaction: parsed.transaction, txn: parsed.hash };
}

/**
 * Reads a challenge's bound transaction back: `null` for a plain challenge (no `transaction`
 * and no `txn`), the transaction for a transaction challenge, and `'invalid'` when the stored
 * data is inconsistent (one field without the other, or a hash that is not the transaction's):
 * a corrupted or tampered row must not complete anything.
 *
 * @example
 * const bound = readBoundTransaction(challenge.data);
 * if (bound === 'invalid') throw new SignetError('challenge_unknown');
 */
export function readBoundTransaction(
  data: Record<string, unknown> | null,
): BoundTransaction | null | 'invalid' {
  const transaction = data?.['transaction'];
  const txn = data?.['txn'];
  if (transaction === undefined && txn === undefined) return null;
  const parsed = parseTransaction(transaction);
  if (!parsed.ok || typeof txn !== 'string' || parsed.value.hash !== txn) return 'invalid';
  return { transaction: parsed.value.transaction, txn };
}

/** The EIP-4361 resource URI that binds a transaction to a Sign-In with Ethereum message. */
export const TRANSACTION_RESOURCE_PREFIX = 'urn:signet:txn:';

/**
 * The Sign-In with Ethereum `Resources:` entry for a transaction (`urn:signet:txn:<txn>`), so the
 * wallet shows, and the signature covers, the transaction's hash.
 *
 * @example
 * transactionResource(tx.value.hash) // 'urn:signet:txn:3q2-7w…'
 */
export function transactionResource(txn: string): string {
  if (typeof txn !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(txn))
    throw new TypeError('transactionResource: txn must be a base64url SHA-256 (43 characters)');
  return `${TRANSACTION_RESOURCE_PREFIX}${txn}`;
}
