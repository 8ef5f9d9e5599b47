import { decodeHex, utf8Bytes } from '../encoding/index.js';
import { invalid, type Parsed } from '../errors/codes.js';
import type { OfflineInput, ParsedKeyCache } from './types.js';

/**
 * Field readers every scheme folder shares: the envelope of a credential body, its optional
 * label, and the message of a `verify --batch` line. Strict, bounded, never throwing.
 */

/**
 * Checks a credential body is an object of the given `type` and returns it for field reads.
 *
 * @example
 * const body = readCredentialBody(input, 'eos'); if (!body.ok) return body;
 */
export function readCredentialBody(input: unknown, type: string): Parsed<Record<string, unknown>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return invalid('body must be an object');
  const body = input as Record<string, unknown>;
  return body['type'] === type ? { ok: true, value: body } : invalid(`type must be "${type}"`);
}

/** Longest credential label, in UTF-16 code units. */
export const MAX_LABEL = 128;

/**
 * Reads an optional credential label: at most 128 characters, no control characters.
 *
 * @example
 * readLabel('Pixel 8') // { ok: true, value: 'Pixel 8' }
 */
export function readLabel(input: unknown): Parsed<string | null> {
  if (input === undefined || input === null) return { ok: true, value: null };
  if (typeof input !== 'string' || input.length > MAX_LABEL || /[\u0000-\u001f\u007f]/.test(input)) {
    return invalid('label must be a string of at most 128 characters without control characters');
  }
  return { ok: true, value: input };
}

/**
 * Reads exactly one of `message` (UTF-8 text) / `messageHex` (bytes, `0x` optional) from a batch
 * line, at most `maxBytes` bytes.
 *
 * @example
 * readOfflineMessage({ scheme: 'eth', message: 'hello' }, 65536) // { ok: true, value: <68 65 6c 6c 6f> }
 */
export function readOfflineMessage(input: OfflineInput, maxBytes: number): Parsed<Uint8Array> {
  if ((input.message === undefined) === (input.messageHex === undefined)) {
    return invalid('give exactly one of message and messageHex');
  }
  const limit = `at most ${Math.round(maxBytes / 1024)} KiB`;
  if (input.message !== undefined) {
    // A UTF-16 length over the limit is over it in UTF-8 too: no encoding of a huge string.
    if (typeof input.message !== 'string' || input.message.length > maxBytes) {
      return invalid(`message must be a string of ${limit}`);
    }
    const bytes = utf8Bytes(input.message);
    return bytes.length > maxBytes ? invalid(`message must be ${limit}`) : { ok: true, value: bytes };
  }
  const bytes =
    typeof input.messageHex === 'string'
      ? decodeHex(input.messageHex, { allowPrefix: true, maxLength: maxBytes * 2 })
      : null;
  return bytes === null ? invalid(`messageHex must be hex of ${limit}`) : { ok: true, value: bytes };
}

/**
 * Parses a batch line's key through `keys` when given: the text is looked up under
 * `scheme + NUL + text` (so a key of one scheme is never handed to another), parsed on a miss,
 * and a parsed key is kept; a failure is returned as the parser gave it and not kept.
 *
 * @example
 * const key = parseKeyCached(keys, 'eos', input.publicKey, parseEosPublicKey);
 */
export function parseKeyCached<T, F extends { ok: false }>(
  keys: ParsedKeyCache | undefined,
  scheme: string,
  text: unknown,
  parse: (text: unknown) => { ok: true; value: T } | F,
): { ok: true; value: T } | F {
  if (keys === undefined || typeof text !== 'string') return parse(text);
  let failure: F | undefined;
  const hit = keys.get(`${scheme}\u0000${text}`, () => {
    const parsed = parse(text);
    if (parsed.ok) return parsed.value;
    failure = parsed;
    return null;
  });
  if (hit !== null && hit !== undefined) return { ok: true, value: hit as T };
  return failure ?? parse(text);
}
