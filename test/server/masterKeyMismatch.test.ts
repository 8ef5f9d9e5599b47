// Stored secrets sealed under another master key (a CLI run with the wrong SIGNET_MASTER_KEY, or
// a node started with another one): the server answers in the error shape, never 500, and an
// app's secrets that still open keep working. On a real listening server.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSealer } from '../../src/core/sealer.js';
import { createTokenService } from '../../src/core/tokens.js';
import type { SignetClient } from '../../src/client/index.js';
import { listenWithClient, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let baseUrl: string;
let client: SignetClient;
const otherSealer = createSealer(randomBytes(32));

before(async () => {
  h = await startHarness();
  ({ baseUrl, client } = await listenWithClient(h));
});
after(async () => {
  await h.close();
});

test("a secret sealed under another master key is left out: the app's other secret still signs", async () => {
  const foreign = {
    id: 'sec_foreign',
    sealed: otherSealer.seal('x'.repeat(43), 'app-secret'),
    createdAt: h.clock(),
  };
  const app = (await h.store.apps.get(h.app.id))!;
  await h.store.apps.update({ ...app, secrets: [foreign, ...app.secrets] });
  const r = await client.listCredentials('alice');
  assert.equal(r.status, 200, JSON.stringify(r.body));
});

test('when no secret of the app opens: 503 store_unavailable in the error shape, not 500', async () => {
  const app = (await h.store.apps.get(h.app.id))!;
  const foreign = app.secrets.filter((s) => s.id === 'sec_foreign');
  assert.equal(foreign.length, 1);
  await h.store.apps.update({ ...app, secrets: foreign });
  const r = await client.listCredentials('alice');
  assert.equal(r.status, 503);
  assert.equal((r.body as { error: { code: string } }).error.code, 'store_unavailable');
});

test('a token signing key sealed under another master key: the JWKS answers 503 store_unavailable, not 500', async () => {
  // Another node, started with another master key, rotated the signing key into the shared store.
  await createTokenService({ ...h.deps, sealer: otherSealer }).rotate();
  h.clock.advance(11_000); // past this node's cached-key recheck
  const r = await fetch(`${baseUrl}/.well-known/jwks.json`);
  assert.equal(r.status, 503);
  const body = (await r.json()) as { error: { code: string } };
  assert.equal(body.error.code, 'store_unavailable');
});
