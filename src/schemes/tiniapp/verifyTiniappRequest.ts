import { equalHexMac } from '../../crypto/index.js';
import { fail, type Verified } from '../../errors/codes.js';
import {
  TINIAPP_CLIENT_ID,
  TINIAPP_HEADERS,
  TINIAPP_SIGNATURE,
  TINIAPP_TIMESTAMP,
  tiniappMac,
  tiniappPayloadBytes,
} from './payload.js';

/** The replay record the verifier needs: `remember` is false when the key was already there. */
export interface TiniappReplayStore {
  remember(key: string, ttlMs: number): Promise<boolean>;
}

/** A received request and the app's verification settings. */
export interface TiniappVerifyInput {
  /** Request headers, as Node gives them (`IncomingHttpHeaders`) or any plain object; names are matched case-insensitively. */
  headers: Record<string, string | string[] | undefined>;
  /** The exact body bytes received; when given, the payload uses them and `path` is ignored. */
  body?: Uint8Array;
  /** The request target as received (path and query), used when there is no body. */
  path?: string;
  /** The server's base path (e.g. `/signet`), stripped from `path` before signing. */
  basePath?: string;
  /** The app's active secrets, at most two (during rotation); each is tried in constant time. */
  secrets: string[];
  /** Now, in Unix milliseconds (the clock is passed in). */
  now: number;
  /** Allowed distance between `now` and the timestamp, either way, in milliseconds. */
  skewMs: number;
  /** Where accepted signatures are remembered for `2 * skewMs`; no replay check without it. */
  replay?: TiniappReplayStore;
}

const HEADER_NAME_LENGTH = TINIAPP_HEADERS.clientId.length;

/**
 * Reads the three Tiniapp headers in one pass, matching names case-insensitively. A header
 * given twice (two names differing in case, or an array of more than one value) reads as
 * missing: two values leave the question of which one was checked. Node itself joins a
 * repeated custom header into `a, b`, which the strict formats below then refuse.
 */
function readHeaders(headers: Record<string, string | string[] | undefined>): {
  clientId: string | null;
  timestamp: string | null;
  signature: string | null;
} {
  const found = {
    clientId: null as string | null,
    timestamp: null as string | null,
    signature: null as string | null,
  };
  const seen = { clientId: 0, timestamp: 0, signature: 0 };
  for (const key of Object.keys(headers)) {
    // The three names have one length: most headers are passed over unread.
    if (key.length !== HEADER_NAME_LENGTH) continue;
    const lower = key.toLowerCase();
    const which =
      lower === TINIAPP_HEADERS.clientId
        ? 'clientId'
        : lower === TINIAPP_HEADERS.timestamp
          ? 'timestamp'
          : lower === TINIAPP_HEADERS.signature
            ? 'signature'
            : null;
    if (which === null) continue;
    const value = headers[key];
    if (value === undefined) continue;
    seen[which]++;
    found[which] = Array.isArray(value)
      ? value.length === 1 && typeof value[0] === 'string'
        ? value[0]
        : null
      : typeof value === 'string'
        ? value
        : null;
  }
  return {
    clientId: seen.clientId === 1 ? found.clientId : null,
    timestamp: seen.timestamp === 1 ? found.timestamp : null,
    signature: seen.signature === 1 ? found.signature : null,
  };
}

/**
 * The path the client signed: the request target less the server's base path, so that the
 * seed's `https://api.tiki.vn/tiniapp-open-api/order?…` is signed as `/order?…`.
 */
function signedPath(path: string, basePath: string | undefined): string {
  const base = (basePath ?? '').replace(/\/+$/, '');
  if (base === '' || !path.startsWith(base)) return path;
  const rest = path.slice(base.length);
  if (rest === '' || rest.startsWith('?')) return `/${rest}`;
  return rest.startsWith('/') ? rest : path;
}

function checkOptions(input: TiniappVerifyInput): void {
  const { secrets, now, skewMs, body, path } = input;
  if (
    !Array.isArray(secrets) ||
    secrets.length > 2 ||
    !secrets.every((s) => typeof s === 'string' && s.length > 0)
  ) {
    throw new TypeError('verifyTiniappRequest: secrets must be an array of at most two non-empty strings');
  }
  if (!Number.isFinite(now))
    throw new TypeError('verifyTiniappRequest: now must be a finite number of milliseconds');
  if (!Number.isFinite(skewMs) || skewMs < 0)
    throw new TypeError('verifyTiniappRequest: skewMs must be >= 0');
  if (body !== undefined && !(body instanceof Uint8Array))
    throw new TypeError('verifyTiniappRequest: body must be a Uint8Array');
  if (body === undefined && typeof path !== 'string') {
    throw new TypeError('verifyTiniappRequest: give the body bytes, or the path when there is no body');
  }
}

/**
 * Verifies a Tiniapp-signed request (docs/api.md "Server-API authentication"), in this
 * order (STYLE.md habit 5: signature first, then trust what it signs):
 *  1. the three `X-Tiniapp-*` headers, each present once and well-formed (client id, Unix ms
 *     digits, 64 lowercase hex) — else `signature_invalid`;
 *  2. the HMAC over `base64url(timestamp.clientId.bodyOrPath)` with each active secret, compared
 *     in constant time — none matches: `signature_invalid`;
 *  3. the clock: `|now - timestamp| <= skewMs`, a future timestamp as much as a past one —
 *     else `timestamp_skew`;
 *  4. replay: `remember('tiniapp:' + clientId + ':' + signature, 2 * skewMs)` — a signature
 *     seen before: `replayed`. (Any accepted timestamp is within `skewMs` of now, so after
 *     `2 * skewMs` it can no longer pass step 3 on a clock that moves forward.)
 * Which app the client id names is the caller's business: it hands over that app's secrets.
 * Bad options (no body and no path, more than two secrets, a negative skew) throw `TypeError`.
 *
 * @example
 * const result = await verifyTiniappRequest({ headers: request.headers, body: rawBody, secrets, now: clock(), skewMs: 300_000, replay });
 * if (!result.ok) reply.code(401); // result.code: 'signature_invalid' | 'timestamp_skew' | 'replayed'
 */
export async function verifyTiniappRequest(
  input: TiniappVerifyInput,
): Promise<Verified<{ clientId: string; timestamp: number }>> {
  checkOptions(input);
  const { clientId, timestamp, signature } = readHeaders(input.headers);
  if (
    clientId === null ||
    timestamp === null ||
    signature === null ||
    !TINIAPP_CLIENT_ID.test(clientId) ||
    !TINIAPP_TIMESTAMP.test(timestamp) ||
    !TINIAPP_SIGNATURE.test(signature)
  ) {
    return fail('signature_invalid');
  }
  const ms = Number(timestamp);
  if (!Number.isSafeInteger(ms)) return fail('signature_invalid');

  const rest = input.body ?? signedPath(input.path as string, input.basePath);
  const payload = tiniappPayloadBytes(timestamp, clientId, rest);
  let matched = false;
  // Every secret is tried (no early exit), so timing does not tell which one matched.
  for (const secret of input.secrets) {
    if (equalHexMac(tiniappMac(payload, secret).signature, signature)) matched = true;
  }
  if (!matched) return fail('signature_invalid');

  if (Math.abs(input.now - ms) > input.skewMs) return fail('timestamp_skew');

  if (input.replay && !(await input.replay.remember(`tiniapp:${clientId}:${signature}`, 2 * input.skewMs))) {
    return fail('replayed');
  }
  return { ok: true, clientId, timestamp: ms };
}
