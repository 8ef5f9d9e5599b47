import { utf8Text } from '../../encoding/index.js';

/**
 * A strict, bounded CBOR decoder (RFC 8949) for the small subset WebAuthn uses: unsigned and
 * negative integers, byte and text strings, arrays, maps, `true` / `false` / `null`. Definite
 * lengths only, no tags, no floats, no duplicate map keys, depth at most {@link MAX_DEPTH}
 * (CTAP2 canonical CBOR is a subset of this). Every declared length and item count is checked
 * against the bytes left before any work, so decoding is linear in the input.
 */

/** A decoded CBOR value. Maps keep their keys (integers or text) in a `Map`. */
export type CborValue = number | Uint8Array | string | boolean | null | CborValue[] | CborMap;
export type CborMap = Map<number | string, CborValue>;

/** Deepest nesting accepted (a COSE key is depth 2, an attestation object with x5c depth 4). */
const MAX_DEPTH = 8;

/**
 * Decodes one CBOR item starting at `offset`; returns it with the offset just past it, or `null`
 * for anything malformed or outside the subset.
 *
 * @example
 * decodeCborItem(new Uint8Array([0xa1, 0x01, 0x02]), 0) // { value: Map { 1 => 2 }, end: 3 }
 */
export function decodeCborItem(bytes: Uint8Array, offset: number): { value: CborValue; end: number } | null {
  const state = { pos: offset };
  const value = readItem(bytes, state, 0);
  return value === undefined ? null : { value, end: state.pos };
}

/**
 * Decodes a whole byte string as exactly one CBOR item (no trailing bytes).
 *
 * @example
 * decodeCbor(new Uint8Array([0x80])) // []
 */
export function decodeCbor(bytes: Uint8Array): CborValue | null {
  const item = decodeCborItem(bytes, 0);
  return item !== null && item.end === bytes.length ? item.value : null;
}

// `undefined` means "malformed": every caller returns it straight up.
function readItem(bytes: Uint8Array, state: { pos: number }, depth: number): CborValue | undefined {
  if (depth > MAX_DEPTH || state.pos >= bytes.length) return undefined;
  const initial = bytes[state.pos++]!;
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (major === 7) {
    if (info === 20) return false;
    if (info === 21) return true;
    if (info === 22) return null;
    return undefined; // undefined, simple values, floats and "break" are outside the subset
  }
  const arg = readArgument(bytes, state, info);
  if (arg === undefined) return undefined;
  const left = bytes.length - state.pos;
  switch (major) {
    case 0:
      return arg;
    case 1:
      return -1 - arg;
    case 2:
    case 3: {
      if (arg > left) return undefined;
      const slice = bytes.subarray(state.pos, state.pos + arg);
      state.pos += arg;
      if (major === 2) return slice;
      return utf8Text(slice) ?? undefined;
    }
    case 4: {
      if (arg > left) return undefined; // each item takes at least one byte
      const out: CborValue[] = [];
      for (let i = 0; i < arg; i++) {
        const v = readItem(bytes, state, depth + 1);
        if (v === undefined) return undefined;
        out.push(v);
      }
      return out;
    }
    case 5: {
      if (arg * 2 > left) return undefined;
      const out: CborMap = new Map();
      for (let i = 0; i < arg; i++) {
        const k = readItem(bytes, state, depth + 1);
        if (typeof k !== 'number' && typeof k !== 'string') return undefined;
        if (out.has(k)) return undefined;
        const v = readItem(bytes, state, depth + 1);
        if (v === undefined) return undefined;
        out.set(k, v);
      }
      return out;
    }
    default:
      return undefined; // major 6: tags
  }
}

function readArgument(bytes: Uint8Array, state: { pos: number }, info: number): number | undefined {
  if (info < 24) return info;
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  if (size === 0 || state.pos + size > bytes.length) return undefined; // 28-31: reserved / indefinite
  let value = 0;
  for (let i = 0; i < size; i++) value = value * 256 + bytes[state.pos + i]!;
  state.pos += size;
  // Integers past 2^53 lose precision in a JS number; nothing in WebAuthn needs them.
  return Number.isSafeInteger(value) ? value : undefined;
}
