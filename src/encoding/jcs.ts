/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): one byte string for one JSON value, so that a
 * hash or signature over it does not depend on key order, whitespace or number spelling.
 *
 * - Primitives are serialised as ECMAScript's `JSON.stringify` does (RFC 8785 §3.2.2): numbers
 *   by Number.prototype.toString (ECMA-262 §7.1.12.1, the "shortest round-trip" form, `-0` as
 *   `0`), strings with the minimal escapes (`\"`, `\\`, `\b \f \n \r \t`, other controls as
 *   lowercase `\u00xx`; everything else, `/` and U+007F included, as itself).
 * - Object members are sorted by their names as arrays of UTF-16 code units (§3.2.3), which is
 *   exactly JavaScript's default string comparison; array order is kept.
 * - Input is limited to I-JSON (RFC 7493, §3.1 of RFC 8785): finite numbers only, no lone
 *   surrogates in strings or names. Anything else cannot be canonicalised and is refused.
 * - The result has no whitespace; its UTF-8 encoding is the canonical byte string (§3.2.4).
 */

/** How deep arrays and objects may nest: bounded recursion, and a cycle ends here too. */
export const JCS_MAX_DEPTH = 64;

/** A lone (unpaired) UTF-16 surrogate: not I-JSON, and not representable in UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function refuse(path: string, what: string): never {
  throw new TypeError(`canonicalizeJson: ${path} ${what}`);
}

function serializeString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) refuse(path, 'contains a lone UTF-16 surrogate (not I-JSON)');
  // ES2019 "well-formed JSON.stringify" escapes exactly what RFC 8785 §3.2.2.2 asks for, once
  // lone surrogates (the only place the two differ) are refused above.
  return JSON.stringify(s);
}

function serialize(value: unknown, path: string, depth: number, out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      // RFC 8785 §3.2.2.3: NaN and Infinity have no JSON form.
      if (!Number.isFinite(value)) refuse(path, 'is not a finite number');
      // Number.prototype.toString is ECMA-262 §7.1.12.1; -0 prints as "0" there.
      out.push(String(value));
      return;
    case 'string':
      out.push(serializeString(value, path));
      return;
    case 'object':
      break;
    default:
      refuse(path, `is a ${typeof value}, not a JSON value`);
  }
  if (depth >= JCS_MAX_DEPTH) refuse(path, `nests deeper than ${JCS_MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      // Index access (not forEach) so a hole reads as undefined and is refused, not skipped.
      serialize(value[i], `${path}[${i}]`, depth + 1, out);
    }
    out.push(']');
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) refuse(path, 'is not a plain object');
  const record = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units: RFC 8785 §3.2.3 to the letter.
  const names = Object.keys(record).sort();
  out.push('{');
  names.forEach((name, i) => {
    if (i > 0) out.push(',');
    out.push(serializeString(name, `${path} member name`), ':');
    serialize(record[name], `${path}.${name}`, depth + 1, out);
  });
  out.push('}');
}

/**
 * The RFC 8785 canonical form of a JSON value, as a string (encode it as UTF-8 for the bytes).
 * A value outside I-JSON (a non-finite number, a lone surrogate, `undefined`, a function, a
 * class instance, an array hole, nesting past {@link JCS_MAX_DEPTH}) is a caller's mistake and
 * throws `TypeError`; parse untrusted input first (see `core/transactions.ts`).
 *
 * @example
 * canonicalizeJson({ b: [1e30, 4.50], a: '€' }) // '{"a":"€","b":[1e+30,4.5]}'
 */
export function canonicalizeJson(value: unknown): string {
  const out: string[] = [];
  serialize(value, '$', 0, out);
  return out.join('');
}
