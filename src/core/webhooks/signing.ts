import { timingSafeEqual } from 'node:crypto';
import { hmacSha256 } from '../../crypto/index.js';
import { decodeBase64, encodeBase64, utf8Bytes } from '../../encoding/index.js';
import { fail, invalid, type Parsed, type Verified } from '../../errors/codes.js';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, spec "Signature scheme"):
 *
 *     signed content      = webhook-id + "." + webhook-timestamp + "." + body
 *     webhook-signature   = "v1," + base64(HMAC-SHA256(key, signed content)), space-separated,
 *                           one per active secret (two during rotation)
 *     secret              = "whsec_" + base64(key bytes)
 *
 * The receiver accepts a message when any of its `v1` signatures matches one of its secrets and
 * the timestamp is within its tolerance (the spec suggests five minutes).
 */

/** The header names, lowercase (Node hands them over that way). */
export const WEBHOOK_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** Key bytes of a secret Signet generates (the spec allows 24 to 64). */
export const WEBHOOK_SECRET_BYTES = 32;

/** A message id: `msg_` and what the spec allows in a header value. */
export const WEBHOOK_ID = /^[A-Za-z0-9_-]{1,64}$/;

const SECRET_TEXT = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

/**
 * A new webhook secret, `whsec_` + base64 of 32 random bytes; shown to the app once.
 *
 * @example
 * generateWebhookSecret(deps.random) // 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
 */
export function generateWebhookSecret(random: (n: number) => Uint8Array): string {
  return `${WEBHOOK_SECRET_PREFIX}${encodeBase64(random(WEBHOOK_SECRET_BYTES))}`;
}

/**
 * Strict parser of a `whsec_` secret: the prefix, then canonical base64 of 24 to 64 key bytes.
 *
 * @example
 * const key = parseWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'); // { ok: true, value: Uint8Array(24) }
 */
export function parseWebhookSecret(input: unknown): Parsed<Uint8Array> {
  if (typeof input !== 'string' || !SECRET_TEXT.test(input))
    return invalid('webhook secret must be "whsec_" followed by base64');
  const key = decodeBase64(input.slice(WEBHOOK_SECRET_PREFIX.length));
  if (key === null || key.length < 24 || key.length > 64)
    return invalid('webhook secret must carry 24 to 64 bytes of base64 key');
  return { ok: true, value: key };
}

function keyOf(secret: string): Uint8Array {
  const key = parseWebhookSecret(secret);
  if (!key.ok) throw new TypeError(`signWebhook: ${key.message}`);
  return key.value;
}

function signedContent(id: string, timestamp: number, body: string | Uint8Array): Uint8Array {
  const head = utf8Bytes(`${id}.${timestamp}.`);
  const rest = typeof body === 'string' ? utf8Bytes(body) : body;
  return Buffer.concat([head, rest]);
}

export interface WebhookSignInput {
  /** The message id (`webhook-id`): the same on every attempt, so receivers can deduplicate. */
  id: string;
  /** Unix seconds of this attempt (`webhook-timestamp`). */
  timestamp: number;
  /** The exact body sent. */
  body: string | Uint8Array;
  /** The active `whsec_` secrets, newest first: one, or two during rotation. */
  secrets: string[];
}

/**
 * The three Standard Webhooks headers for one delivery attempt. Misuse (no secret, more than
 * two, a malformed secret or id, a timestamp that is not whole seconds) throws `TypeError`.
 *
 * @example
 * signWebhook({ id: 'msg_2b…', timestamp: 1767225600, body, secrets: [secret] })
 * // { 'webhook-id': 'msg_2b…', 'webhook-timestamp': '1767225600', 'webhook-signature': 'v1,K5oZ…=' }
 */
export function signWebhook(input: WebhookSignInput): Record<string, string> {
  const { id, timestamp, body, secrets } = input;
  if (typeof id !== 'string' || !WEBHOOK_ID.test(id))
    throw new TypeError('signWebhook: id must be 1-64 characters of A-Z, a-z, 0-9, "_" and "-"');
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new TypeError('signWebhook: timestamp must be Unix seconds');
  if (!Array.isArray(secrets) || secrets.length === 0 || secrets.length > 2)
    throw new TypeError('signWebhook: give one or two secrets');
  const content = signedContent(id, timestamp, body);
  const signature = secrets.map((s) => `v1,${encodeBase64(hmacSha256(keyOf(s), content))}`).join(' ');
  return {
    [WEBHOOK_HEADERS.id]: id,
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: signature,
  };
}

/** Longest `webhook-signature` read (a few signatures); longer is refused before any work. */
const MAX_SIGNATURE_HEADER = 1024;

function header(headers: Record<string, string | string[] | undefined>, name: string): string | null {
  let found: string | null = null;
  let count = 0;
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== name) continue;
    const v = headers[key];
    if (v === undefined) continue;
    count++;
    found = typeof v === 'string' ? v : Array.isArray(v) && v.length === 1 ? (v[0] ?? null) : null;
  }
  return count === 1 ? found : null;
}

export interface WebhookVerifyInput {
  headers: Record<string, string | string[] | undefined>;
  /** The exact body received. */
  body: string | Uint8Array;
  /** The receiver's `whsec_` secrets (one, or two during rotation). */
  secrets: string[];
  /** Now, Unix milliseconds. */
  now: number;
  /** Allowed distance of `webhook-timestamp` from now, ms (the spec suggests 5 minutes). */
  toleranceMs: number;
}

/**
 * The receiving side (for apps using Signet as a library, and for tests): the headers present
 * once, any `v1` signature matching any secret in constant time (`signature_invalid`
 * otherwise), then the timestamp within tolerance (`timestamp_skew`).
 *
 * @example
 * const r = verifyWebhook({ headers: req.headers, body: rawBody, secrets: [secret], now: Date.now(), toleranceMs: 300_000 });
 */
export function verifyWebhook(input: WebhookVerifyInput): Verified<{ id: string; timestamp: number }> {
  const keys = input.secrets.map(keyOf);
  const id = header(input.headers, WEBHOOK_HEADERS.id);
  const ts = header(input.headers, WEBHOOK_HEADERS.timestamp);
  const sigs = header(input.headers, WEBHOOK_HEADERS.signature);
  if (id === null || ts === null || sigs === null || !WEBHOOK_ID.test(id) || !/^[0-9]{1,12}$/.test(ts))
    return fail('signature_invalid');
  if (sigs.length > MAX_SIGNATURE_HEADER) return fail('signature_invalid');
  const timestamp = Number(ts);
  const content = signedContent(id, timestamp, input.body);
  const expected = keys.map((k) => hmacSha256(k, content));
  let matched = false;
  for (const part of sigs.split(' ')) {
    if (!part.startsWith('v1,')) continue;
    const received = decodeBase64(part.slice(3));
    if (received === null) continue;
    for (const e of expected) {
      if (e.length === received.length && timingSafeEqual(e, received)) matched = true;
    }
  }
  if (!matched) return fail('signature_invalid');
  if (Math.abs(input.now - timestamp * 1000) > input.toleranceMs) return fail('timestamp_skew');
  return { ok: true, id, timestamp };
}
