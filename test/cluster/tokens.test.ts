// Tokens and sessions on three `signet serve` processes sharing one Postgres schema and Redis
// (CONTRACT.md "Revocation holds on every node of a deployment"): a refresh token rotated on one
// node is spent for all; reuse, logout and the revoke API on one node make the family's tokens
// inactive on every other at once; a signing key revoked with the CLI leaves every node's JWKS at
// once, and every node signs with a new key within its 10 s key cache.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { createSignetClient } from '../../src/client/createSignetClient.js';
import {
  call,
  CLUSTER_ISSUER,
  createClusterApp,
  newMasterKey,
  runSignet,
  startNode,
  type ClusterConfig,
  type SignetNode,
} from './nodes.js';
import {
  deleteRedisPrefix,
  dropSchema,
  eventually,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueName,
} from './services.js';

const schema = uniqueName();
const prefix = `${uniqueName()}:`;
let config: ClusterConfig;
let nodes: SignetNode[] = [];
let appId: string;
let secret: string;

before(async () => {
  const pgUrl = new URL(TEST_DATABASE_URL);
  pgUrl.searchParams.set('schema', schema);
  const redisUrl = new URL(TEST_REDIS_URL);
  redisUrl.searchParams.set('prefix', prefix);
  config = { databaseUrl: pgUrl.toString(), redisUrl: redisUrl.toString(), masterKey: newMasterKey() };
  const started = await Promise.allSettled([
    startNode('A', config),
    startNode('B', config),
    startNode('C', config),
    createClusterApp(config, ['--lockout-max', '1000000']),
  ]);
  nodes = started.flatMap((r) =>
    r.status === 'fulfilled' && 'url' in r.value ? [r.value as SignetNode] : [],
  );
  for (const r of started) if (r.status === 'rejected') throw r.reason;
  ({ appId, secret } = (started[3] as PromiseFulfilledResult<{ appId: string; secret: string }>).value);
});

after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await dropSchema(schema);
  await deleteRedisPrefix(prefix);
});

const [A, B, C] = [0, 1, 2].map((i) => () => nodes[i]!);
/** Never the same timestamp twice: two identical signed requests would be a replay. */
let lastSigned = 0;
const now = () => (lastSigned = Math.max(Date.now(), lastSigned + 1));
const server = (n: SignetNode) => createSignetClient({ baseUrl: n.url, appId, secret, now });

async function enrol(
  n: SignetNode,
): Promise<{ userId: string; credentialId: string; privateKey: KeyObject }> {
  const userId = `u-${randomUUID()}`;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const r = await server(n).registerCredential(userId, {
    type: 'device',
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { userId, credentialId: (r.body as { id: string }).id, privateKey };
}

async function login(n: SignetNode, user: { userId: string; privateKey: KeyObject }): Promise<any> {
  const ch = await call(n.url, 'POST', '/v1/challenges', { appId, type: 'device', userId: user.userId });
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  const ok = await call(n.url, 'POST', '/v1/verify', {
    appId,
    type: 'device',
    userId: user.userId,
    challengeId: ch.body.challengeId,
    signature: sign('sha256', Buffer.from(ch.body.challenge), user.privateKey).toString('base64'),
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  return ok.body;
}

const refresh = (n: SignetNode, refreshToken: string) =>
  call(n.url, 'POST', '/v1/tokens/refresh', { appId, refreshToken });

async function activeOn(n: SignetNode, token: string): Promise<boolean> {
  const r = await server(n).introspect(token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body as { active: boolean }).active;
}

async function activeEverywhere(token: string): Promise<boolean[]> {
  return Promise.all(nodes.map((n) => activeOn(n, token)));
}

describe('tokens and sessions on three nodes', () => {
  test('discovery on every node names the one issuer', async () => {
    for (const n of nodes) {
      const doc = (await call(n.url, 'GET', '/.well-known/openid-configuration')).body;
      assert.equal(doc.issuer, CLUSTER_ISSUER);
      assert.equal(doc.introspection_endpoint, `${CLUSTER_ISSUER}/v1/tokens/introspect`);
    }
  });

  test('rotation across nodes; a spent token replayed to a third node revokes the family everywhere', async () => {
    const user = await enrol(A());
    const first = await login(A(), user);
    assert.deepEqual(await activeEverywhere(first.token), [true, true, true]);
    const second = await refresh(B(), first.refreshToken);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(decodeJwt(second.body.token)['sid'], decodeJwt(first.token)['sid']);
    // The successor used on a second node, so that replaying the first token is reuse even inside
    // the retry grace (docs/tokens.md; these nodes run on the real clock).
    const third = await refresh(A(), second.body.refreshToken);
    assert.equal(third.status, 200, JSON.stringify(third.body));

    const reuse = await refresh(C(), first.refreshToken);
    assert.equal(reuse.status, 401);
    assert.equal(reuse.body.error.code, 'verification_failed');
    assert.deepEqual(await activeEverywhere(first.token), [false, false, false]);
    assert.deepEqual(await activeEverywhere(third.body.token), [false, false, false]);
    assert.equal((await refresh(B(), third.body.refreshToken)).status, 401);
    const audit = await server(B()).audit({ userId: user.userId, limit: 20 });
    const reasons = (audit.body as { records: Array<{ reason: string | null }> }).records.map(
      (r) => r.reason,
    );
    assert.ok(reasons.includes('refresh_reuse'), reasons.join(','));
  });

  test('one refresh token sent to all three nodes at once: one spends it, one retry its successor, the third ends the family', async () => {
    const user = await enrol(B());
    const s = await login(C(), user);
    const results = await Promise.all(nodes.map((n) => refresh(n, s.refreshToken)));
    const statuses = results.map((r) => r.status).sort();
    // The retry grace lets exactly one retry through per spent token, on any node.
    assert.deepEqual(statuses, [200, 200, 401], JSON.stringify(results.map((r) => r.body)));
    for (const winner of results.filter((r) => r.status === 200))
      assert.deepEqual(await activeEverywhere(winner.body.token), [false, false, false]);
  });

  test('logout on one node; revoke by user and by credential on others: inactive on every node', async () => {
    const user = await enrol(A());
    const s1 = await login(A(), user);
    assert.equal(
      (await call(B().url, 'POST', '/v1/logout', { appId, refreshToken: s1.refreshToken })).status,
      204,
    );
    assert.deepEqual(await activeEverywhere(s1.token), [false, false, false]);
    assert.equal((await refresh(C(), s1.refreshToken)).status, 401);

    const s2 = await login(B(), user);
    const s3 = await login(C(), user);
    assert.deepEqual((await server(A()).revokeTokens({ userId: user.userId })).body, { revoked: 2 });
    for (const s of [s2, s3]) assert.deepEqual(await activeEverywhere(s.token), [false, false, false]);

    const s4 = await login(A(), user);
    const deleted = await server(C()).revokeCredential(user.userId, user.credentialId);
    assert.equal(deleted.status, 204);
    assert.deepEqual(await activeEverywhere(s4.token), [false, false, false]);
    assert.equal((await refresh(B(), s4.refreshToken)).status, 401);
  });

  test('signet keys revoke: the key leaves every node’s JWKS at once; every node signs with a new one within 10 s', async () => {
    const user = await enrol(C());
    const before = await login(A(), user);
    const kid = decodeProtectedHeader(before.token).kid!;
    const revoked = await runSignet(['keys', 'revoke', kid, '--json'], config);
    assert.equal(revoked.code, 0, revoked.stderr);
    for (const n of nodes) {
      const jwks = (await call(n.url, 'GET', '/.well-known/jwks.json')).body as {
        keys: Array<{ kid: string }>;
      };
      assert.ok(!jwks.keys.some((k) => k.kid === kid), `${n.name} still publishes ${kid}`);
    }
    assert.deepEqual(await activeEverywhere(before.token), [false, false, false]);
    // Each node re-reads its active signing key at most 10 s after it last did (docs/deployment.md).
    for (const n of nodes) {
      await eventually(
        async () => decodeProtectedHeader((await login(n, user)).token).kid !== kid,
        15_000,
        `${n.name} to sign with a new key`,
      );
      const fresh = await login(n, user);
      assert.deepEqual(await activeEverywhere(fresh.token), [true, true, true]);
    }
  });
});
