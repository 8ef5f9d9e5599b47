import { findScheme } from '../schemes/registry.js';
import type { OfflineInput } from '../schemes/types.js';
import { createKeyCache } from './keyCache.js';

/**
 * Offline batch verification for library users and `signet verify --batch` (docs/api.md, CLI):
 * one input object a line, one result a line. A verifier keeps a bounded LRU of parsed keys
 * keyed by the key's text, so a batch that names the same keys on many lines parses each key
 * once (parsing an RSA key costs several verifications; an EOS key, a base58 decode and a point
 * decompression). Signatures only: no clock window, no replay record.
 */

/** One line's result: `{ valid: true }` or `{ valid: false, code }` with a stable code. */
export type BatchResult = { valid: true } | { valid: false; code: string };

/** Longest accepted line, in UTF-16 code units; a longer one is `invalid_request` without parsing. */
export const MAX_BATCH_LINE = 1 << 20;

/** Default number of parsed keys a verifier keeps. */
export const DEFAULT_KEY_CACHE_SIZE = 4096;

export interface VerifierOptions {
  /** Parsed keys kept (least recently used dropped first), default 4096; 0 turns the cache off. */
  cacheSize?: number;
}

export interface Verifier {
  /** Verifies one already-parsed line object (`{ scheme, publicKey?, ... }`); never throws. */
  verify(input: unknown): BatchResult;
  /** Verifies one line of JSON text; a malformed line is `invalid_request`. Never throws. */
  verifyLine(line: string): BatchResult;
  /** Parsed keys held now. */
  readonly cachedKeys: number;
}

const INVALID: BatchResult = Object.freeze({ valid: false, code: 'invalid_request' });
const VALID: BatchResult = Object.freeze({ valid: true });

/**
 * Makes a verifier with its own key cache. Keep one for a whole batch (or a process): the cache
 * is what makes repeated keys cheap.
 *
 * @example
 * const verifier = createVerifier();
 * verifier.verifyLine('{"scheme":"eth","address":"0x…","message":"hi","signature":"0x…"}'); // { valid: true }
 */
export function createVerifier(options: VerifierOptions = {}): Verifier {
  const size = options.cacheSize ?? DEFAULT_KEY_CACHE_SIZE;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`createVerifier: cacheSize must be a non-negative integer, got ${size}`);
  }
  const cache = size === 0 ? undefined : createKeyCache<unknown>(size);

  function verify(input: unknown): BatchResult {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return INVALID;
    const scheme = findScheme((input as OfflineInput).scheme);
    if (!scheme?.verifyOffline) return INVALID;
    try {
      const result = scheme.verifyOffline(input as OfflineInput, cache);
      return result.ok ? VALID : { valid: false, code: result.code };
    } catch {
      // A verifier bug must not stop the batch; it is reported as the line's failure.
      return INVALID;
    }
  }

  return {
    verify,
    verifyLine(line) {
      if (line.length > MAX_BATCH_LINE) return INVALID;
      let input: unknown;
      try {
        input = JSON.parse(line);
      } catch {
        return INVALID;
      }
      return verify(input);
    },
    get cachedKeys() {
      return cache?.size ?? 0;
    },
  };
}

/**
 * Verifies lines of JSON text in order, yielding one result per non-blank line (a line of
 * whitespace only is skipped, a trailing `\r` ignored). Pass an async iterable to stream: only
 * the current line is held, so memory stays flat however long the input.
 *
 * @example
 * for await (const result of verifyBatch(readline.createInterface({ input: fs.createReadStream(file) }))) {
 *   console.log(JSON.stringify(result));
 * }
 */
export async function* verifyBatch(
  lines: Iterable<string> | AsyncIterable<string>,
  options: VerifierOptions & { verifier?: Verifier } = {},
): AsyncGenerator<BatchResult, void, undefined> {
  const verifier = options.verifier ?? createVerifier(options);
  for await (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    yield verifier.verifyLine(line);
  }
}
