import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalizeJson, JCS_MAX_DEPTH } from '../../src/encoding/jcs.js';

interface Example {
  name: string;
  input: string;
  output: string;
}
const rfc = JSON.parse(readFileSync(new URL('../vectors/jcs/rfc8785.json', import.meta.url), 'utf8')) as {
  examples: (Example & { section: string })[];
  numbers: { ieee754: string; json: string | null; note: string }[];
};
const cyberphone = JSON.parse(
  readFileSync(new URL('../vectors/jcs/cyberphone.json', import.meta.url), 'utf8'),
) as { cases: Example[] };

function doubleFromHex(hex: string): number {
  return Buffer.from(hex, 'hex').readDoubleBE(0);
}

/** Reference order of RFC 8785 §3.2.3, spelled out: compare UTF-16 code units one by one. */
function compareCodeUnits(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

describe('JCS: RFC 8785 vectors', () => {
  for (const e of rfc.examples) {
    it(`§${e.section}: ${e.name}`, () => {
      assert.equal(canonicalizeJson(JSON.parse(e.input)), e.output);
    });
  }

  it('§3.2.4: the canonical bytes are the UTF-8 of the canonical text (€ as e2 82 ac)', () => {
    const bytes = Buffer.from(canonicalizeJson(JSON.parse(rfc.examples[0]!.input)), 'utf8');
    assert.ok(bytes.includes(Buffer.from('22e282ac245c7530303066', 'hex')), '"€$\\u000f as UTF-8');
  });

  for (const n of rfc.numbers) {
    it(`Appendix B: ${n.ieee754} ${n.note || n.json}`, () => {
      const value = doubleFromHex(n.ieee754);
      if (n.json === null) {
        assert.throws(() => canonicalizeJson(value), TypeError);
        assert.throws(() => canonicalizeJson({ n: [value] }), TypeError);
      } else {
        assert.equal(canonicalizeJson(value), n.json);
        assert.equal(canonicalizeJson([value]), `[${n.json}]`);
      }
    });
  }
  it('has all of Appendix B (26 rows, 2 of them errors)', () => {
    assert.equal(rfc.numbers.length, 26);
    assert.equal(rfc.numbers.filter((n) => n.json === null).length, 2);
  });
});

describe('JCS: the RFC authors’ reference test data', () => {
  for (const c of cyberphone.cases) {
    it(c.name, () => assert.equal(canonicalizeJson(JSON.parse(c.input)), c.output));
  }
});

describe('JCS: refusals (not I-JSON, not JSON)', () => {
  const cases: [string, unknown][] = [
    ['NaN', Number.NaN],
    ['-Infinity', { a: -Infinity }],
    ['a lone high surrogate in a string', { a: 'x\uD800' }],
    ['a lone low surrogate in a name', { '\uDC00': 1 }],
    ['undefined', { a: undefined }],
    ['a function', [() => 1]],
    ['a bigint', { a: 1n }],
    ['a symbol', Symbol('s')],
    ['a Date', { at: new Date(0) }],
    ['a Map', new Map()],
    ['an array hole', [1, , 3]],
  ];
  for (const [name, value] of cases) {
    it(name, () => assert.throws(() => canonicalizeJson(value), TypeError));
  }

  it(`nesting past ${JCS_MAX_DEPTH} levels, and a cycle`, () => {
    let deep: unknown = 0;
    for (let i = 0; i < JCS_MAX_DEPTH; i++) deep = [deep];
    assert.equal(canonicalizeJson(deep).length, 2 * JCS_MAX_DEPTH + 1, 'exactly the limit passes');
    assert.throws(() => canonicalizeJson([deep]), TypeError);
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    assert.throws(() => canonicalizeJson(cycle), TypeError);
  });

  it('keeps what I-JSON allows: paired surrogates, U+007F, "/", -0 as 0, null-prototype objects', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare['b'] = -0;
    bare['a'] = '\uD83D\uDE00\u007f/';
    assert.equal(canonicalizeJson(bare), '{"a":"\uD83D\uDE00\u007f/","b":0}');
  });
});

/** JSON values as JSON.parse makes them (no -0: JSON.parse('-0') is -0, but JCS prints it 0). */
const json = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

function shuffleKeys(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rand));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, rand)]));
}

describe('JCS: properties', () => {
  it('round trip: parsing the canonical text gives the same value, and canonicalising again the same text', () => {
    fc.assert(
      fc.property(json, (v) => {
        const c = canonicalizeJson(v);
        assert.deepEqual(JSON.parse(c), v);
        assert.equal(canonicalizeJson(JSON.parse(c)), c);
      }),
    );
  });

  it('member order does not matter; whitespace does not matter', () => {
    fc.assert(
      fc.property(json, fc.integer(), (v, seed) => {
        let s = seed;
        const rand = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
        assert.equal(canonicalizeJson(shuffleKeys(v, rand)), canonicalizeJson(v));
        assert.equal(canonicalizeJson(JSON.parse(JSON.stringify(v, null, 2))), canonicalizeJson(v));
      }),
    );
  });

  it('members come out in UTF-16 code-unit order (full Unicode names, surrogate pairs included)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.integer()), (o) => {
        const names = Object.keys(JSON.parse(canonicalizeJson(o)) as object);
        // JSON.parse keeps insertion order for non-index names; integer-like names are hoisted
        // by JavaScript itself, so compare only the order of the rest.
        const plain = names.filter((n) => !/^(?:0|[1-9][0-9]*)$/.test(n));
        assert.deepEqual(plain, [...plain].sort(compareCodeUnits));
        const text = canonicalizeJson(o);
        const inText = Object.keys(o)
          .sort(compareCodeUnits)
          .map((k) => text.indexOf(`${JSON.stringify(k)}:`));
        assert.deepEqual(
          inText,
          [...inText].sort((a, b) => a - b),
        );
      }),
    );
  });

  it('numbers: the canonical text reads back as the same double (Appendix B rule), any double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        const text = canonicalizeJson(d);
        assert.equal(Number(text), d === 0 ? 0 : d);
        assert.match(text, /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:e[+-][0-9]+)?$/);
      }),
    );
  });
});
