// Differential test of Signet's RFC 8785 canonicalisation against `canonicalize`, the
// implementation by one of the RFC's authors (S. Erdtman).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { canonicalizeJson } from '../../src/encoding/jcs.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** JSON values with full-Unicode strings (well-formed: I-JSON) and any finite double. */
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !LONE_SURROGATE.test(s)),
  ),
  node: fc.oneof(
    { depthSize: 'small' },
    tie('leaf'),
    fc.array(tie('node'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }), tie('node'), { maxKeys: 5 }),
  ),
})).node;

describe('JCS differential: canonicalize (RFC 8785 co-author’s implementation)', () => {
  it('the same canonical text for any I-JSON value', () => {
    fc.assert(
      fc.property(value, (v) => {
        assert.equal(canonicalizeJson(v), canonicalize(v));
      }),
      { numRuns: 2000 },
    );
  });
});
