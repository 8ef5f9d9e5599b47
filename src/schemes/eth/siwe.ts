import { utf8Bytes } from '../../encoding/index.js';
import { fail, invalid, type Parsed, type Verified } from '../../errors/codes.js';
import { toChecksumAddress, type EthAddress } from './address.js';
import { recoverPersonalSignAddress } from './personalSign.js';

/**
 * Sign-In with Ethereum (EIP-4361). A strict, linear parser of the message text to its fields,
 * the inverse formatter, and a verifier that checks the signature first and the claims after
 * (STYLE.md habit 5). The grammar followed is the EIP's ABNF ("Message Format" section).
 */

/** The fields of an EIP-4361 message; optional fields are absent (never `null`) when not in the text. */
export interface SiweMessage {
  /** RFC 3986 URI scheme written before the domain (`https://example.com wants you …`). */
  scheme?: string;
  /** RFC 3986 authority: `[userinfo@]host[:port]`. */
  domain: string;
  /** The signer, spelled in EIP-55 mixed case as the EIP requires. */
  address: string;
  statement?: string;
  uri: string;
  version: '1';
  chainId: number;
  nonce: string;
  issuedAt: string;
  expirationTime?: string;
  notBefore?: string;
  requestId?: string;
  resources?: string[];
}

/** Longest message text accepted (bounds all work before it starts). */
export const MAX_SIWE_MESSAGE_LENGTH = 64 * 1024;

const HEADER_SUFFIX = ' wants you to sign in with your Ethereum account:';
const UNRESERVED = 'A-Za-z0-9\\-._~';
const SUB_DELIMS = "!$&'()*+,;=";
const PCT = '%[0-9A-Fa-f]{2}';
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const USERINFO = new RegExp(`^(?:[${UNRESERVED}${SUB_DELIMS}:]|${PCT})*$`);
const REG_NAME = new RegExp(`^(?:[${UNRESERVED}${SUB_DELIMS}]|${PCT})+$`);
const IP_LITERAL = new RegExp(`^\\[(?:[0-9A-Fa-f:.]+|[vV][0-9A-Fa-f]+\\.[${UNRESERVED}${SUB_DELIMS}:]+)\\]$`);
const PORT = /^[0-9]*$/;
const URI_REST = new RegExp(`^(?:[${UNRESERVED}${SUB_DELIMS}:@/?#\\[\\]]|${PCT})*$`);
const STATEMENT = new RegExp(`^[${UNRESERVED}${SUB_DELIMS}:/?#\\[\\]@ ]+$`);
const REQUEST_ID = new RegExp(`^(?:[${UNRESERVED}${SUB_DELIMS}:@]|${PCT})*$`);
const NONCE = /^[A-Za-z0-9]{8,}$/;
const CHAIN_ID = /^(?:0|[1-9][0-9]{0,15})$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** RFC 3986 `authority`, with a non-empty host. */
function isAuthority(s: string): boolean {
  if (s.length === 0 || s.length > 1024) return false;
  let rest = s;
  const at = rest.indexOf('@');
  if (at !== -1) {
    if (!USERINFO.test(rest.slice(0, at))) return false;
    rest = rest.slice(at + 1);
  }
  let host = rest;
  let port = '';
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) return false;
    host = rest.slice(0, close + 1);
    const after = rest.slice(close + 1);
    if (after.length > 0) {
      if (after[0] !== ':') return false;
      port = after.slice(1);
    }
    if (!IP_LITERAL.test(host)) return false;
  } else {
    const colon = rest.indexOf(':');
    if (colon !== -1) {
      host = rest.slice(0, colon);
      port = rest.slice(colon + 1);
    }
    if (!REG_NAME.test(host)) return false;
  }
  return PORT.test(port);
}

/** RFC 3986 `URI` (absolute, with scheme); an authority after `//` is checked as such. */
function isUri(s: string): boolean {
  if (s.length === 0 || s.length > 4096) return false;
  const colon = s.indexOf(':');
  if (colon < 1 || !SCHEME.test(s.slice(0, colon))) return false;
  const rest = s.slice(colon + 1);
  if (!URI_REST.test(rest)) return false;
  const hash = rest.indexOf('#');
  if (hash !== -1 && rest.indexOf('#', hash + 1) !== -1) return false;
  if (rest.startsWith('//')) {
    const m = /^\/\/([^/?#]*)/.exec(rest);
    const authority = m?.[1] ?? '';
    // An empty authority is allowed by RFC 3986 (`file:///x`); a non-empty one must be valid.
    if (authority.length > 0 && !isAuthority(authority)) return false;
  }
  return true;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Parses an RFC 3339 `date-time` (section 5.6) to Unix milliseconds, or `null`. Impossible dates
 * (`2100-02-31`, hour 24) are refused; so is the leap second `:60`, which no clock here can hold.
 *
 * @example
 * parseRfc3339('2021-09-30T16:25:24.000Z') // 1633019124000
 */
export function parseRfc3339(text: string): number | null {
  if (typeof text !== 'string' || text.length > 64) return null;
  const m = DATE_TIME.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (month < 1 || month > 12) return null;
  const days = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  if (day < 1 || day > days || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  const zone = m[8] as string;
  if (zone !== 'Z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(1, 4).padEnd(3, '0'));
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, millis));
  date.setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  return date.getTime() - offsetMinutes * 60_000;
}

function checkAddress(address: string): boolean {
  return ADDRESS.test(address) && toChecksumAddress(address) === address;
}

/**
 * Strict, linear parser of an EIP-4361 message. Every line is checked against the ABNF in order;
 * anything else (a missing or reordered field, a trailing line break, CR, a non-EIP-55 address,
 * an impossible date) is a parse failure.
 *
 * @example
 * const parsed = parseSiweMessage(text);
 * if (parsed.ok) parsed.value.nonce;
 */
export function parseSiweMessage(text: unknown): Parsed<SiweMessage> {
  if (typeof text !== 'string') return invalid('message must be a string');
  if (text.length > MAX_SIWE_MESSAGE_LENGTH) return invalid('message is too long');
  // Lines are read lazily with a cursor: a refusal costs only what was read up to it, and no
  // array of every line is built for a message that fails on its first line.
  let pos = 0;
  const peek = (): string | undefined => {
    if (pos > text.length) return undefined;
    const end = text.indexOf('\n', pos);
    return text.slice(pos, end === -1 ? text.length : end);
  };
  const next = (): string | undefined => {
    const line = peek();
    if (line !== undefined) pos += line.length + 1;
    return line;
  };

  const header = next() as string;
  if (!header.endsWith(HEADER_SUFFIX)) return invalid('message must start with the EIP-4361 preamble');
  const out: Partial<SiweMessage> = {};
  let domain = header.slice(0, header.length - HEADER_SUFFIX.length);
  const sep = domain.indexOf('://');
  if (sep !== -1) {
    const scheme = domain.slice(0, sep);
    if (!SCHEME.test(scheme)) return invalid('message scheme is not an RFC 3986 scheme');
    out.scheme = scheme;
    domain = domain.slice(sep + 3);
  }
  if (!isAuthority(domain)) return invalid('message domain is not an RFC 3986 authority');
  out.domain = domain;

  const address = next();
  if (address === undefined || !checkAddress(address)) {
    return invalid('message address must be an EIP-55 checksummed address');
  }
  out.address = address;
  if (next() !== '') return invalid('message needs an empty line after the address');
  const statementOrEmpty = next();
  if (statementOrEmpty === undefined) return invalid('message is truncated');
  if (statementOrEmpty !== '') {
    if (!STATEMENT.test(statementOrEmpty)) return invalid('message statement has a forbidden character');
    out.statement = statementOrEmpty;
    if (next() !== '') return invalid('message needs an empty line after the statement');
  }

  const field = (prefix: string): string | null => {
    const line = peek();
    if (line === undefined || !line.startsWith(prefix)) return null;
    next();
    return line.slice(prefix.length);
  };

  const uri = field('URI: ');
  if (uri === null || !isUri(uri)) return invalid('message URI is missing or not an RFC 3986 URI');
  out.uri = uri;
  if (field('Version: ') !== '1') return invalid('message version must be 1');
  out.version = '1';
  const chainId = field('Chain ID: ');
  if (chainId === null || !CHAIN_ID.test(chainId) || !Number.isSafeInteger(Number(chainId))) {
    return invalid('message chain id is missing or not a number');
  }
  out.chainId = Number(chainId);
  const nonce = field('Nonce: ');
  if (nonce === null || !NONCE.test(nonce)) return invalid('message nonce must be 8+ letters and digits');
  out.nonce = nonce;
  const issuedAt = field('Issued At: ');
  if (issuedAt === null || parseRfc3339(issuedAt) === null) return invalid('message Issued At is invalid');
  out.issuedAt = issuedAt;
  const expirationTime = field('Expiration Time: ');
  if (expirationTime !== null) {
    if (parseRfc3339(expirationTime) === null) return invalid('message Expiration Time is invalid');
    out.expirationTime = expirationTime;
  }
  const notBefore = field('Not Before: ');
  if (notBefore !== null) {
    if (parseRfc3339(notBefore) === null) return invalid('message Not Before is invalid');
    out.notBefore = notBefore;
  }
  const requestId = field('Request ID: ');
  if (requestId !== null) {
    if (!REQUEST_ID.test(requestId)) return invalid('message Request ID has a forbidden character');
    out.requestId = requestId;
  }
  if (peek() === 'Resources:') {
    next();
    const resources: string[] = [];
    while (peek() !== undefined) {
      const r = field('- ');
      if (r === null || !isUri(r)) return invalid('message resource is not "- " and an RFC 3986 URI');
      resources.push(r);
    }
    out.resources = resources;
  }
  if (peek() !== undefined) return invalid('message has an unexpected or out-of-order line');
  return { ok: true, value: out as SiweMessage };
}

function optionalString(o: Record<string, unknown>, key: string): string | undefined | null {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : null;
}

/**
 * Strict parser of SIWE fields given as an object (untrusted `unknown`): each field is checked
 * as the text parser checks it. `null` counts as absent; unknown keys are ignored.
 *
 * @example
 * parseSiweFields({ domain: 'example.com', address, uri: 'https://example.com', version: '1',
 *   chainId: 1, nonce: 'abcdefgh12', issuedAt: '2024-01-01T00:00:00Z' })
 */
export function parseSiweFields(input: unknown): Parsed<SiweMessage> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return invalid('fields must be an object');
  }
  const o = input as Record<string, unknown>;
  const out: Partial<SiweMessage> = {};
  const scheme = optionalString(o, 'scheme');
  if (scheme === null || (scheme !== undefined && !SCHEME.test(scheme))) return invalid('scheme is invalid');
  if (scheme !== undefined) out.scheme = scheme;
  if (typeof o.domain !== 'string' || !isAuthority(o.domain)) return invalid('domain is invalid');
  out.domain = o.domain;
  if (typeof o.address !== 'string' || !checkAddress(o.address)) {
    return invalid('address must be an EIP-55 checksummed address');
  }
  out.address = o.address;
  const statement = optionalString(o, 'statement');
  if (statement === null || (statement !== undefined && !STATEMENT.test(statement))) {
    return invalid('statement is invalid');
  }
  if (statement !== undefined) out.statement = statement;
  if (typeof o.uri !== 'string' || !isUri(o.uri)) return invalid('uri is invalid');
  out.uri = o.uri;
  if (o.version !== '1') return invalid('version must be "1"');
  out.version = '1';
  if (typeof o.chainId !== 'number' || !Number.isSafeInteger(o.chainId) || o.chainId < 0) {
    return invalid('chainId must be a non-negative integer');
  }
  out.chainId = o.chainId;
  if (typeof o.nonce !== 'string' || o.nonce.length > 1024 || !NONCE.test(o.nonce)) {
    return invalid('nonce must be 8+ letters and digits');
  }
  out.nonce = o.nonce;
  if (typeof o.issuedAt !== 'string' || parseRfc3339(o.issuedAt) === null)
    return invalid('issuedAt is invalid');
  out.issuedAt = o.issuedAt;
  for (const key of ['expirationTime', 'notBefore'] as const) {
    const v = optionalString(o, key);
    if (v === null || (v !== undefined && parseRfc3339(v) === null)) return invalid(`${key} is invalid`);
    if (v !== undefined) out[key] = v;
  }
  const requestId = optionalString(o, 'requestId');
  if (requestId === null || (requestId !== undefined && !REQUEST_ID.test(requestId))) {
    return invalid('requestId is invalid');
  }
  if (requestId !== undefined) out.requestId = requestId;
  if (o.resources !== undefined && o.resources !== null) {
    if (!Array.isArray(o.resources) || o.resources.length > 1024)
      return invalid('resources must be an array');
    const resources: string[] = [];
    for (const r of o.resources as unknown[]) {
      if (typeof r !== 'string' || !isUri(r)) return invalid('each resource must be an RFC 3986 URI');
      resources.push(r);
    }
    out.resources = resources;
  }
  return { ok: true, value: out as SiweMessage };
}

/**
 * Formats fields as the EIP-4361 message text (the exact bytes a wallet signs). The fields are
 * checked first and a bad field throws `TypeError`; `{ unchecked: true }` skips the check, for
 * tests that need a deliberately broken message.
 *
 * @example
 * formatSiweMessage({ domain: 'example.com', address, uri: 'https://example.com/login',
 *   version: '1', chainId: 1, nonce: 'abcdefgh12', issuedAt: '2024-01-01T00:00:00Z' })
 */
export function formatSiweMessage(fields: SiweMessage, options: { unchecked?: boolean } = {}): string {
  if (!options.unchecked) {
    const checked = parseSiweFields(fields);
    if (!checked.ok) throw new TypeError(`formatSiweMessage: ${checked.message}`);
  }
  const prefix = fields.scheme ? `${fields.scheme}://${fields.domain}` : fields.domain;
  const lines = [`${prefix}${HEADER_SUFFIX}`, fields.address, ''];
  if (fields.statement !== undefined && fields.statement !== null) lines.push(fields.statement, '');
  else lines.push('');
  lines.push(
    `URI: ${fields.uri}`,
    `Version: ${fields.version}`,
    `Chain ID: ${fields.chainId}`,
    `Nonce: ${fields.nonce}`,
    `Issued At: ${fields.issuedAt}`,
  );
  if (fields.expirationTime) lines.push(`Expiration Time: ${fields.expirationTime}`);
  if (fields.notBefore) lines.push(`Not Before: ${fields.notBefore}`);
  if (fields.requestId !== undefined && fields.requestId !== null)
    lines.push(`Request ID: ${fields.requestId}`);
  if (fields.resources) {
    lines.push('Resources:');
    for (const r of fields.resources) lines.push(`- ${r}`);
  }
  return lines.join('\n');
}

/** What the relying party expects of a SIWE message. */
export interface SiweExpectations {
  /**
   * The app's origins (`https://host[:port]`). The message domain must be the host[:port] of one
   * of them (and its scheme, when the message writes one, that origin's scheme), and the URI must
   * have one of them as its origin; they may be two different origins of the app.
   */
  origins: readonly string[];
  /** The issued challenge; the message nonce must equal it. */
  nonce: string;
  /** Allowed chain ids; absent means any chain. An empty array allows none. */
  chainIds?: readonly number[];
  /** The current time, Unix milliseconds (passed in: schemes never read the clock). */
  now: number;
  /** When given, the signer must be this address (any accepted spelling): else `address_mismatch`. */
  address?: string;
}

function defaultPort(protocol: string): string | null {
  return protocol === 'https:' ? '443' : protocol === 'http:' ? '80' : null;
}

function domainMatches(fields: SiweMessage, origin: URL): boolean {
  if (fields.scheme !== undefined && `${fields.scheme.toLowerCase()}:` !== origin.protocol) return false;
  const domain = fields.domain.toLowerCase();
  if (domain === origin.host) return true;
  const port = defaultPort(origin.protocol);
  return port !== null && origin.port === '' && domain === `${origin.hostname}:${port}`;
}

function uriMatches(uri: string, origin: URL): boolean {
  try {
    return new URL(uri).origin === origin.origin;
  } catch {
    return false;
  }
}

/**
 * Verifies a Sign-In with Ethereum message and its `personal_sign` signature. Order (STYLE.md
 * habit 5): parse (`message_invalid`), signature recovers to the message address
 * (`signature_invalid`), expected signer (`address_mismatch`), domain (`domain_mismatch`),
 * URI (`uri_mismatch`), chain id (`chain_id_mismatch`), nonce (`nonce_mismatch`), then
 * times: `now >= expirationTime` is `message_expired`, `now < notBefore` is
 * `message_not_yet_valid`. `issuedAt` is not compared with `now` (as in the reference library).
 * Throws `TypeError` for an origin that is not a URL (configuration, not input).
 *
 * @example
 * verifySiwe({ message, signature, expected: { origins: ['https://example.com'], nonce, now: Date.now() } })
 * // { ok: true, address: '0x…', fields: { … } } or { ok: false, code: 'nonce_mismatch' }
 */
export function verifySiwe(input: {
  message: unknown;
  signature: unknown;
  expected: SiweExpectations;
}): Verified<{ address: EthAddress; fields: SiweMessage }> {
  const origins = parseOrigins(input.expected);
  const parsed = parseSiweMessage(input.message);
  if (!parsed.ok) return fail('message_invalid');
  const fields = parsed.value;

  if (typeof input.signature !== 'string' && !(input.signature instanceof Uint8Array)) {
    return fail('signature_invalid');
  }
  const recovered = recoverPersonalSignAddress(utf8Bytes(input.message as string), input.signature);
  const claimed = fields.address.toLowerCase() as EthAddress;
  if (recovered === null || recovered !== claimed) return fail('signature_invalid');
  return checkSiweClaims(fields, input.expected, origins);
}

/**
 * The claims half of {@link verifySiwe}, for a message whose signature was verified some other
 * way: by the signer's contract wallet (EIP-1271 / EIP-6492, src/core/contractWallets.ts). It
 * parses the message and checks, in verifySiwe's order, `address_mismatch` through
 * `message_not_yet_valid`. **It checks no signature**: call it only after one has verified for
 * the message's address.
 *
 * @example
 * // after the wallet contract at the message's address accepted the signature:
 * verifySiweClaims({ message, expected: { address, origins, nonce, now } })
 */
export function verifySiweClaims(input: {
  message: unknown;
  expected: SiweExpectations;
}): Verified<{ address: EthAddress; fields: SiweMessage }> {
  const origins = parseOrigins(input.expected);
  const parsed = parseSiweMessage(input.message);
  if (!parsed.ok) return fail('message_invalid');
  return checkSiweClaims(parsed.value, input.expected, origins);
}

function parseOrigins(expected: SiweExpectations): URL[] {
  const origins = expected.origins.map((o) => {
    try {
      return new URL(o);
    } catch {
      throw new TypeError(`verifySiwe: origin ${JSON.stringify(o)} is not a URL`);
    }
  });
  if (!Number.isFinite(expected.now)) throw new TypeError('verifySiwe: expected.now must be a number');
  return origins;
}

function checkSiweClaims(
  fields: SiweMessage,
  expected: SiweExpectations,
  origins: URL[],
): Verified<{ address: EthAddress; fields: SiweMessage }> {
  const claimed = fields.address.toLowerCase() as EthAddress;
  if (expected.address !== undefined && expected.address.toLowerCase() !== claimed) {
    return fail('address_mismatch');
  }

  if (!origins.some((o) => domainMatches(fields, o))) return fail('domain_mismatch');
  if (!origins.some((o) => uriMatches(fields.uri, o))) return fail('uri_mismatch');
  if (expected.chainIds !== undefined && !expected.chainIds.includes(fields.chainId)) {
    return fail('chain_id_mismatch');
  }
  if (fields.nonce !== expected.nonce) return fail('nonce_mismatch');
  if (
    fields.expirationTime !== undefined &&
    expected.now >= (parseRfc3339(fields.expirationTime) as number)
  ) {
    return fail('message_expired');
  }
  if (fields.notBefore !== undefined && expected.now < (parseRfc3339(fields.notBefore) as number)) {
    return fail('message_not_yet_valid');
  }
  return { ok: true, address: claimed, fields };
}
