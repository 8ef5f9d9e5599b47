// The FIDO metadata BLOB cache (src/core/passkeyPolicy.ts): fetched once, again after its
// nextUpdate, never replaced by an older serial, kept while a refresh fails but not for ever, and a
// failing source is not hammered. BLOBs and roots are made in the test; the clock is moved by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deps } from '../../src/core/deps.js';
import { silentLogger } from '../../src/core/deps.js';
import { loadMetadataBlob } from '../../src/core/passkeyPolicy.js';
import { createTestClock } from '../support/harness.js';
import { makeCert, makeMetadataBlob, type TestCert } from '../webauthn/attestationFixtures.js';

const DAY = 86_400_000;
const AAGUID = '2fc0579f-8113-47ea-b116-bb5a8db9202a';
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function setup() {
  const root = await makeCert({ subject: 'CN=Cache Test MDS Root', ca: true });
  const signer = await makeCert({ subject: 'CN=mds.test', issuer: root, ca: false });
  const clock = createTestClock(Date.parse('2026-12-03T12:00:00Z'));
  const served: { text: string | Error } = { text: new Error('nothing yet') };
  let fetches = 0;
  const deps = {
    clock,
    log: silentLogger,
    metadataRoots: [root.pem],
    metadataFetch: async () => {
      fetches++;
      if (served.text instanceof Error) throw served.text;
      return served.text;
    },
  } as unknown as Deps;
  const blob = (no: number, status: string, nextUpdate: number, s: TestCert = signer) =>
    makeMetadataBlob({ signer: s, no, nextUpdate: day(nextUpdate), entries: [{ aaguid: AAGUID, status }] });
  return { deps, clock, served, blob, root, fetches: () => fetches };
}

test('a BLOB is fetched once, and again after its nextUpdate; a newer serial replaces it', async () => {
  const t = await setup();
  t.served.text = await t.blob(5, 'FIDO_CERTIFIED', t.clock() + 2 * DAY);
  assert.equal((await loadMetadataBlob(t.deps, '/mds.jwt')).no, 5);
  assert.equal((await loadMetadataBlob(t.deps, '/mds.jwt')).no, 5);
  assert.equal(t.fetches(), 1, 'served from memory before nextUpdate');
  t.served.text = await t.blob(6, 'REVOKED', t.clock() + 40 * DAY);
  t.clock.advance(3 * DAY);
  const refreshed = await loadMetadataBlob(t.deps, '/mds.jwt');
  assert.equal(refreshed.no, 6);
  assert.equal(refreshed.byAaguid.get(AAGUID)?.status, 'REVOKED');
  assert.equal(t.fetches(), 2);
});

test('an older serial never replaces a newer BLOB (a replayed BLOB cannot undo a revocation)', async () => {
  const t = await setup();
  t.served.text = await t.blob(7, 'REVOKED', t.clock() + DAY);
  assert.equal((await loadMetadataBlob(t.deps, '/mds.jwt')).no, 7);
  t.served.text = await t.blob(3, 'FIDO_CERTIFIED', t.clock() + 60 * DAY);
  t.clock.advance(2 * DAY);
  const kept = await loadMetadataBlob(t.deps, '/mds.jwt');
  assert.equal(t.fetches(), 2, 'the older BLOB was fetched');
  assert.equal(kept.no, 7);
  assert.equal(kept.byAaguid.get(AAGUID)?.status, 'REVOKED');
});

test('a failing refresh keeps the last BLOB for 7 days past nextUpdate, retried at most once a minute, then fails closed', async () => {
  const t = await setup();
  t.served.text = await t.blob(1, 'FIDO_CERTIFIED', t.clock() + DAY);
  await loadMetadataBlob(t.deps, '/mds.jwt');
  t.served.text = new Error('connection refused');
  t.clock.advance(2 * DAY);
  assert.equal((await loadMetadataBlob(t.deps, '/mds.jwt')).no, 1, 'stale but within the grace');
  assert.equal((await loadMetadataBlob(t.deps, '/mds.jwt')).no, 1);
  assert.equal(t.fetches(), 2, 'one refresh attempt within the minute');
  t.clock.advance(61_000);
  await loadMetadataBlob(t.deps, '/mds.jwt');
  assert.equal(t.fetches(), 3);
  t.clock.advance(7 * DAY);
  await assert.rejects(loadMetadataBlob(t.deps, '/mds.jwt'), { code: 'store_unavailable' });
});

test('a BLOB that does not verify is never used; the first load then fails closed', async () => {
  const t = await setup();
  const rogueRoot = await makeCert({ subject: 'CN=Cache Test MDS Root', ca: true });
  const rogue = await makeCert({ subject: 'CN=mds.test', issuer: rogueRoot, ca: false });
  t.served.text = await t.blob(9, 'FIDO_CERTIFIED', t.clock() + DAY, rogue);
  await assert.rejects(loadMetadataBlob(t.deps, '/mds.jwt'), { code: 'store_unavailable' });
  await assert.rejects(loadMetadataBlob(t.deps, '/mds.jwt'), { code: 'store_unavailable' });
  assert.equal(t.fetches(), 1, 'not fetched again within the minute');
  // Without a reader at all, an app naming a BLOB cannot register.
  const { metadataFetch: _, ...withoutReader } = t.deps;
  await assert.rejects(loadMetadataBlob(withoutReader as Deps, '/mds.jwt'), { code: 'store_unavailable' });
});
