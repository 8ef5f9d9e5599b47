import { decodeBase64, encodeBase64 } from '../../encoding/index.js';

/**
 * The part of RFC 8941 "Structured Field Values for HTTP" that `Signature-Input`, `Signature`
 * and `Content-Digest` use: Dictionaries whose members are Items or Inner Lists, with
 * Parameters, parsed by the algorithms of RFC 8941 §4.2 and serialised by §4.1.
 *
 * Strict and linear: one left-to-right pass, no backtracking, no regular expression over the
 * whole input; any deviation from the grammar answers `null` (RFC 8941 §4.2: "fail parsing",
 * which means the whole field is ignored). One deliberate tightening: a Dictionary or a
 * Parameters set that names the same key twice is refused instead of "last one wins", so a
 * signature can never be read one way by a proxy and another way here.
 */

export type BareItem =
  | { type: 'integer'; value: number }
  | { type: 'decimal'; value: number }
  | { type: 'string'; value: string }
  | { type: 'token'; value: string }
  | { type: 'bytes'; value: Uint8Array }
  | { type: 'boolean'; value: boolean };

/** Parameters in their order (RFC 8941 §3.1.2). */
export type Parameters = Map<string, BareItem>;

export interface Item {
  value: BareItem;
  params: Parameters;
}

export interface InnerList {
  items: Item[];
  params: Parameters;
}

/** A Dictionary member: an Item or an Inner List (RFC 8941 §3.2). */
export type Member = Item | InnerList;

/** A Dictionary in its order. */
export type Dictionary = Map<string, Member>;

/** Longest field value parsed; longer ones fail before any work. */
export const MAX_FIELD_LENGTH = 8192;

class Fail extends Error {}

const fail = (): never => {
  throw new Fail();
};

const isDigit = (c: string) => c >= '0' && c <= '9';
const isLcAlpha = (c: string) => c >= 'a' && c <= 'z';
const isAlpha = (c: string) => isLcAlpha(c) || (c >= 'A' && c <= 'Z');
/** tchar of RFC 9110 §5.6.2. */
const isTchar = (c: string) => c.length === 1 && (isAlpha(c) || isDigit(c) || "!#$%&'*+-.^_`|~".includes(c));

/** A cursor over the field value. */
function createReader(input: string) {
  let i = 0;
  return {
    get done() {
      return i >= input.length;
    },
    peek: () => input[i] ?? '',
    next: () => input[i++] ?? '',
    skipSp() {
      while (input[i] === ' ') i++;
    },
    /** OWS: SP or HTAB. */
    skipOws() {
      while (input[i] === ' ' || input[i] === '\t') i++;
    },
  };
}
type Reader = ReturnType<typeof createReader>;

/** RFC 8941 §4.2.3.3: key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" ). */
function parseKey(r: Reader): string {
  const first = r.peek();
  if (!isLcAlpha(first) && first !== '*') fail();
  let key = '';
  for (;;) {
    const c = r.peek();
    if (!(isLcAlpha(c) || isDigit(c) || c === '_' || c === '-' || c === '.' || c === '*')) return key;
    key += r.next();
  }
}

/** RFC 8941 §4.2.4: Integer (at most 15 digits) or Decimal (at most 12 + 3 digits). */
function parseNumber(r: Reader): BareItem {
  let sign = 1;
  if (r.peek() === '-') {
    r.next();
    sign = -1;
  }
  if (!isDigit(r.peek())) fail();
  let text = '';
  let decimal = false;
  while (!r.done) {
    const c = r.peek();
    if (isDigit(c)) text += r.next();
    else if (!decimal && c === '.') {
      if (text.length > 12) fail();
      decimal = true;
      text += r.next();
    } else break;
    if (!decimal && text.length > 15) fail();
    if (decimal && text.length > 16) fail();
  }
  if (!decimal) return { type: 'integer', value: sign * Number(text) };
  if (text.endsWith('.') || text.length - text.indexOf('.') - 1 > 3) fail();
  return { type: 'decimal', value: sign * Number(text) };
}

/** RFC 8941 §4.2.5: a String of printable ASCII with `\"` and `\\` escapes only. */
function parseString(r: Reader): BareItem {
  r.next(); // the opening DQUOTE
  let out = '';
  for (;;) {
    if (r.done) fail();
    const c = r.next();
    if (c === '\\') {
      if (r.done) fail();
      const e = r.next();
      if (e !== '"' && e !== '\\') fail();
      out += e;
    } else if (c === '"') {
      return { type: 'string', value: out };
    } else {
      const code = c.charCodeAt(0);
      if (code < 0x20 || code > 0x7e) fail();
      out += c;
    }
  }
}

/** RFC 8941 §4.2.6: Token. */
function parseToken(r: Reader): BareItem {
  let out = r.next();
  for (;;) {
    const c = r.peek();
    if (!(isTchar(c) || c === ':' || c === '/')) return { type: 'token', value: out };
    out += r.next();
  }
}

/** RFC 8941 §4.2.7: Byte Sequence `:base64:` (strict base64, padding as written). */
function parseBytes(r: Reader): BareItem {
  r.next(); // ':'
  let text = '';
  for (;;) {
    if (r.done) fail();
    const c = r.next();
    if (c === ':') break;
    if (!(isAlpha(c) || isDigit(c) || c === '+' || c === '/' || c === '=')) fail();
    text += c;
  }
  // decodeBase64 also accepts base64url; the loop above has already refused '-' and '_'.
  const value = decodeBase64(text);
  if (value === null) fail();
  return { type: 'bytes', value: value as Uint8Array };
}

/** RFC 8941 §4.2.3.1: Bare Item. */
function parseBareItem(r: Reader): BareItem {
  const c = r.peek();
  if (c === '-' || isDigit(c)) return parseNumber(r);
  if (c === '"') return parseString(r);
  if (isAlpha(c) || c === '*') return parseToken(r);
  if (c === ':') return parseBytes(r);
  if (c === '?') {
    r.next();
    const b = r.next();
    if (b === '1') return { type: 'boolean', value: true };
    if (b === '0') return { type: 'boolean', value: false };
  }
  return fail();
}

/** RFC 8941 §4.2.3.2: Parameters (a repeated key is refused, see the module note). */
function parseParameters(r: Reader): Parameters {
  const params: Parameters = new Map();
  while (r.peek() === ';') {
    r.next();
    r.skipSp();
    const key = parseKey(r);
    let value: BareItem = { type: 'boolean', value: true };
    if (r.peek() === '=') {
      r.next();
      value = parseBareItem(r);
    }
    if (params.has(key)) fail();
    params.set(key, value);
  }
  return params;
}

/** RFC 8941 §4.2.1.2: Inner List. */
function parseInnerList(r: Reader): InnerList {
  r.next(); // '('
  const items: Item[] = [];
  for (;;) {
    r.skipSp();
    if (r.done) fail();
    if (r.peek() === ')') {
      r.next();
      return { items, params: parseParameters(r) };
    }
    const value = parseBareItem(r);
    items.push({ value, params: parseParameters(r) });
    const c = r.peek();
    if (c !== ' ' && c !== ')') fail();
  }
}

/** RFC 8941 §4.2.2: Dictionary. */
function parseDictionaryMembers(r: Reader): Dictionary {
  const dict: Dictionary = new Map();
  while (!r.done) {
    const key = parseKey(r);
    let member: Member;
    if (r.peek() === '=') {
      r.next();
      member = r.peek() === '(' ? parseInnerList(r) : { value: parseBareItem(r), params: parseParameters(r) };
    } else {
      member = { value: { type: 'boolean', value: true }, params: parseParameters(r) };
    }
    if (dict.has(key)) fail();
    dict.set(key, member);
    r.skipOws();
    if (r.done) return dict;
    if (r.next() !== ',') fail();
    r.skipOws();
    if (r.done) fail(); // a trailing comma
  }
  return dict;
}

/**
 * Parses a Dictionary field value (RFC 8941 §4.2 with type "dictionary"); `null` on anything
 * the grammar does not allow, on a repeated key, or on a value longer than
 * {@link MAX_FIELD_LENGTH}. An empty value is an empty Dictionary.
 *
 * @example
 * parseDictionary('sig1=:aGk=:') // Map { 'sig1' => { value: { type: 'bytes', … }, params: Map {} } }
 */
export function parseDictionary(input: unknown): Dictionary | null {
  if (typeof input !== 'string' || input.length > MAX_FIELD_LENGTH) return null;
  const r = createReader(input);
  try {
    r.skipSp();
    const dict = parseDictionaryMembers(r);
    // parseDictionaryMembers stops only at the end, or fails.
    return dict;
  } catch (e) {
    if (e instanceof Fail) return null;
    throw e;
  }
}

/** True for an Inner List member. */
export function isInnerList(member: Member): member is InnerList {
  return 'items' in member;
}

/** RFC 8941 §4.1.3.1 Bare Item serialisation. */
export function serializeBareItem(item: BareItem): string {
  switch (item.type) {
    case 'integer':
      if (!Number.isSafeInteger(item.value) || Math.abs(item.value) > 999_999_999_999_999) {
        throw new RangeError('serializeBareItem: integer out of range');
      }
      return String(item.value);
    case 'decimal': {
      const rounded = Math.round(item.value * 1000) / 1000;
      return Number.isInteger(rounded) ? `${rounded}.0` : String(rounded);
    }
    case 'string':
      if (!/^[\x20-\x7e]*$/.test(item.value))
        throw new TypeError('serializeBareItem: string is not printable ASCII');
      return `"${item.value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    case 'token':
      return item.value;
    case 'bytes':
      return `:${encodeBase64(item.value)}:`;
    case 'boolean':
      return item.value ? '?1' : '?0';
  }
}

/** RFC 8941 §4.1.1.2 Parameters serialisation (`;key` for a true boolean). */
export function serializeParameters(params: Parameters): string {
  let out = '';
  for (const [key, value] of params) {
    out += `;${key}`;
    if (!(value.type === 'boolean' && value.value)) out += `=${serializeBareItem(value)}`;
  }
  return out;
}

/**
 * RFC 8941 §4.1.1.1 Inner List serialisation: `("a" "b");created=1`.
 *
 * @example
 * serializeInnerList({ items: [{ value: { type: 'string', value: '@method' }, params: new Map() }], params: new Map() }) // '("@method")'
 */
export function serializeInnerList(list: InnerList): string {
  const items = list.items.map((i) => serializeBareItem(i.value) + serializeParameters(i.params));
  return `(${items.join(' ')})${serializeParameters(list.params)}`;
}
