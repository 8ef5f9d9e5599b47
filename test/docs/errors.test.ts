// docs/errors.md is the public list of codes: it must name every code of the one table with its
// HTTP status, and every verification reason, and nothing that is not in the table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, REASON_CODES } from '../../src/errors/codes.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

test('docs/errors.md lists every error code with its status', () => {
  const rows = [...doc.matchAll(/^\| (\d{3}) \| `([a-z_]+)` \|/gm)].map((m) => [m[2], Number(m[1])]);
  assert.deepEqual(
    Object.fromEntries(rows),
    Object.fromEntries(Object.entries(ERROR_CODES).map(([k, v]) => [k, v.status])),
  );
});

test('docs/errors.md lists every verification reason, and only those', () => {
  const section = doc.slice(doc.indexOf('## Verification reasons'));
  const listed = [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]).sort();
  assert.deepEqual(listed, Object.keys(REASON_CODES).sort());
});
