// Audit ids sort by time (issue 13, audit growth): fixed-width time first, then random characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { timeKey, timeOrderedId } from '../../src/core/ids.js';

test('time-ordered ids: the text order is the time order, and two ids of one millisecond differ', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 45 }), fc.integer({ min: 0, max: 2 ** 45 }), (a, b) => {
      const ia = timeOrderedId(randomBytes, 'au', a);
      const ib = timeOrderedId(randomBytes, 'au', b);
      assert.match(ia, /^au_[0-9a-z]{9}[A-Za-z0-9]{16}$/);
      if (a < b) assert.ok(ia < ib, `${ia} < ${ib}`);
      if (a > b) assert.ok(ia > ib, `${ia} > ${ib}`);
    }),
  );
  const now = Date.UTC(2026, 11, 3);
  assert.notEqual(timeOrderedId(randomBytes, 'au', now), timeOrderedId(randomBytes, 'au', now));
  assert.equal(timeKey(0), '000000000');
  assert.equal(timeKey(now).length, 9);
});
