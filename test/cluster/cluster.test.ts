// Several `signet serve` processes on one Postgres schema and one Redis form one deployment
// (docs/api.md "Configuration"): whatever one node issues, another may consume, nothing is
// accepted twice, a store outage answers 503 `store_unavailable` and accepts nothing, and the
// nodes recover by themselves.
//
// Three real child processes (`node --import tsx src/cli/main.ts serve`) share:
// - the test Postgres, through a TCP proxy in this process, so the Postgres outage can be staged
//   by cutting the proxy without touching the shared server;
// - a private redis-server on a free port, started here, so the Redis outage can be staged by
//   stopping it without touching the shared Redis on 6379.
// One file and one set of nodes for every case: starting Node processes is the slow part.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { Wallet } from 'ethers';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { createSignetClient } from '../../src/client/createSignetClient.js';
import { signTiniappRequest } from '../../src/schemes/tiniapp/index.js';
import {
  call,
  CLUSTER_ISSUER,
  createClusterApp,
  freePort,
  newMasterKey,
  startNode,
  type ClusterConfig,
  type SignetNode,
} from './nodes.js';
import {
  dropSchema,
  eventually,
  startTcpProxy,
  TEST_DATABASE_URL,
  uniqueName,
  type TcpProxy,
} from './services.js';

const schema = uniqueName();
let redisPort: number;
let redis: ChildProcess | null = null;
let pgProxy: TcpProxy | null = null;
let nodes: SignetNode[] = [];
let appId: string;
let secret: string;

/** Starts the private redis-server (no persistence: a restart comes back empty). */
async function startRedis(): Promise<void> {
  const child = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  redis = child;
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
}

async function stopRedis(): Promise<void> {
  const child = redis;
  redis = null;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

process.once('exit', () => redis?.kill('SIGKILL'));

before(async () => {
  redisPort = await freePort();
  await startRedis();
  const pgUrl = new URL(TEST_DATABASE_URL);
  pgProxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  pgUrl.hostname = '127.0.0.1';
  pgUrl.port = String(pgProxy.port);
  pgUrl.searchParams.set('schema', schema);
  const config: ClusterConfig = {
    databaseUrl: pgUrl.toString(),
    redisUrl: `redis://127.0.0.1:${redisPort}`,
    masterKey: newMasterKey(),
  };
  // The nodes and the CLI start at once on a schema that does not exist yet: the migration runs
  // once, under its advisory lock.
  const started = await Promise.allSettled([
    startNode('A', config),
    startNode('B', config),
    startNode('C', config),
    // Failures from 127.0.0.1 are many here by design (races lose): no lockout in the way.
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
  await stopRedis();
  await pgProxy?.close();
  await dropSchema(schema);
});

const node = (i: number): SignetNode => nodes[i % nodes.length]!;
const server = (n: SignetNode) => createSignetClient({ baseUrl: n.url, appId, secret });

function deviceKey(): { privateKey: KeyObject; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
}

async function registerDevice(n: SignetNode, userId: string, key = deviceKey()) {
  const response = await server(n).registerCredential(userId, { type: 'device', publicKey: key.publicKey });
  return { response, key };
}

async function registered(n: SignetNode): Promise<{ userId: string; privateKey: KeyObject }> {
  const userId = `u-${randomUUID()}`;
  const { response, key } = await registerDevice(n, userId);
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return { userId, privateKey: key.privateKey };
}

const issueChallenge = (n: SignetNode, userId: string) =>
  call(n.url, 'POST', '/v1/challenges', { appId, type: 'device', userId });

function proof(userId: string, challenge: { challengeId: string; challenge: string }, privateKey: KeyObject) {
  return {
    appId,
    type: 'device',
    userId,
    challengeId: challenge.challengeId,
    signature: sign('sha256', Buffer.from(challenge.challenge, 'utf8'), privateKey).toString('base64'),
  };
}

async function login(
  issueAt: SignetNode,
  verifyAt: SignetNode,
  user: { userId: string; privateKey: KeyObject },
) {
  const challenge = await issueChallenge(issueAt, user.userId);
  assert.equal(challenge.status, 200, JSON.stringify(challenge.body));
  return call(verifyAt.url, 'POST', '/v1/verify', proof(user.userId, challenge.body, user.privateKey));
}

async function assertToken(token: string, at: SignetNode, sub: string): Promise<void> {
  const jwks = createRemoteJWKSet(new URL(`${at.url}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(token, jwks, { issuer: CLUSTER_ISSUER, audience: appId });
  assert.equal(payload.sub, sub);
}

function assertUnavailable(r: { status: number; body: any }, what: string): void {
  assert.equal(r.status, 503, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(r.body.error.code, 'store_unavailable', what);
}

const ready = async (n: SignetNode) => (await call(n.url, 'GET', '/readyz')).status === 200;

describe('three nodes on one Postgres + Redis', () => {
  test('every node is ready on the postgres+redis store', async () => {
    assert.equal(nodes.length, 3);
    for (const n of nodes)
      assert.deepEqual(await call(n.url, 'GET', '/readyz'), { status: 200, body: { status: 'ready' } });
    assert.match(node(0).log(), /store postgres\+redis/);
  });

  test('a challenge issued by node A verifies on node B, once; the token verifies with node C’s JWKS', async () => {
    const userId = `u-${randomUUID()}`;
    const { response, key } = await registerDevice(node(0), userId);
    assert.equal(response.status, 201);
    const challenge = await issueChallenge(node(0), userId);
    assert.equal(challenge.status, 200);
    const ok = await call(node(1).url, 'POST', '/v1/verify', proof(userId, challenge.body, key.privateKey));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    await assertToken(ok.body.token, node(2), userId);
    const again = await call(
      node(2).url,
      'POST',
      '/v1/verify',
      proof(userId, challenge.body, key.privateKey),
    );
    assert.equal(again.status, 401);
    assert.equal(again.body.error.code, 'challenge_unknown');
  });

  test('100 concurrent verifications of one challenge spread over the nodes: exactly one 200', async () => {
    const userId = `u-${randomUUID()}`;
    const { response, key } = await registerDevice(node(1), userId);
    assert.equal(response.status, 201);
    const challenge = await issueChallenge(node(2), userId);
    const body = proof(userId, challenge.body, key.privateKey);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => call(node(i).url, 'POST', '/v1/verify', body)),
    );
    const statuses = answers.map((a) => a.status);
    assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(',')}`);
    for (const a of answers.filter((x) => x.status !== 200)) {
      assert.equal(a.status, 401);
      assert.equal(a.body.error.code, 'challenge_unknown');
    }
  });

  test('a MYKEY callback delivered twice to two nodes completes the session once', async () => {
    const session = await call(node(0).url, 'POST', '/v1/mykey/sessions', { appId });
    assert.equal(session.status, 200);
    const uuID: string = session.body.uuID;
    const wallet = Wallet.createRandom();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const callback = {
      protocol: 'SimpleWallet',
      version: '1.0',
      dapp_key: 'dapp',
      uuID,
      ref: 'mykey',
      timestamp,
      account: wallet.address,
      chain: 'ETH',
      sign: await wallet.signMessage(timestamp + wallet.address + uuID + 'mykey'),
    };
    const answers = await Promise.all(
      [1, 2, 1, 2].map((i) => call(node(i).url, 'POST', `/v1/mykey/callback/${appId}`, callback)),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 200, 200],
    );
    const codes = answers.map((a) => a.body.code as number);
    assert.equal(codes.filter((c) => c === 0).length, 1, `codes: ${codes.join(',')}`);
    // The token (sealed under the shared master key on whichever node completed the session)
    // is read on another node, by the holder of the poll secret.
    const done = (await (
      await fetch(`${node(0).url}/v1/mykey/sessions/${uuID}?appId=${appId}`, {
        headers: { 'x-signet-poll-secret': session.body.pollSecret },
      })
    ).json()) as { status: string; account: string; token: string };
    assert.equal(done.status, 'verified');
    assert.equal(done.account, wallet.address.toLowerCase());
    await assertToken(done.token, node(2), `mykey:eth:${wallet.address.toLowerCase()}`);
  });

  test('a Tiniapp-signed request replayed to another node is refused', async () => {
    const userId = `u-${randomUUID()}`;
    const key = deviceKey();
    const text = JSON.stringify({ type: 'device', publicKey: key.publicKey });
    const signed = signTiniappRequest({ clientId: appId, secret, timestamp: Date.now(), body: text });
    const send = (n: SignetNode) =>
      fetch(`${n.url}/v1/users/${userId}/credentials`, {
        method: 'POST',
        headers: { ...signed.headers, 'content-type': 'application/json' },
        body: text,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    assert.equal((await send(node(0))).status, 201);
    for (const n of [node(1), node(2), node(0)]) {
      const replay = await send(n);
      assert.equal(replay.status, 401);
      assert.equal(replay.body.error.code, 'unauthenticated');
      assert.equal(replay.body.error.reason, 'replayed');
    }
    const listed = await server(node(2)).listCredentials(userId);
    assert.equal((listed.body as { credentials: unknown[] }).credentials.length, 1, 'registered once');

    // A body-less request too: its signature covers the path.
    const path = `/v1/users/${userId}/credentials`;
    const get = signTiniappRequest({ clientId: appId, secret, timestamp: Date.now(), path });
    const first = await fetch(node(1).url + path, { headers: get.headers });
    assert.equal(first.status, 200);
    const replayed = await fetch(node(2).url + path, { headers: get.headers });
    assert.equal(replayed.status, 401);
  });
});

describe('store outages', () => {
  test('Redis stopped: 503 store_unavailable and no acceptance, /readyz 503; Redis back: service resumes', async () => {
    const [a, b] = [nodes[0]!, nodes[1]!];
    const user = await registered(a);
    assert.equal((await login(a, b, user)).status, 200);

    // A challenge issued before the outage, with a valid signature ready to send.
    const pending = await call(a.url, 'POST', '/v1/challenges', {
      appId,
      type: 'device',
      userId: user.userId,
    });
    assert.equal(pending.status, 200);
    const proof = {
      appId,
      type: 'device',
      userId: user.userId,
      challengeId: pending.body.challengeId,
      signature: sign('sha256', Buffer.from(pending.body.challenge), user.privateKey).toString('base64'),
    };

    await stopRedis();
    const started = Date.now();
    for (const n of nodes) assertUnavailable(await call(n.url, 'GET', '/readyz'), `readyz on ${n.name}`);
    const attempts = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call((i % 2 ? a : b).url, 'POST', '/v1/verify', proof)),
    );
    for (const r of attempts) assertUnavailable(r, 'verify');
    assertUnavailable(
      await call(a.url, 'POST', '/v1/challenges', { appId, type: 'device', userId: user.userId }),
      'challenge',
    );
    const newUser = `u-${randomUUID()}`;
    const reg = await server(b).registerCredential(newUser, {
      type: 'device',
      publicKey: deviceKey().publicKey,
    });
    assertUnavailable(reg, 'server API (its replay check lives in Redis)');
    assert.ok(Date.now() - started < 15_000, 'requests fail fast, they do not hang');

    await startRedis();
    await eventually(
      async () => (await Promise.all(nodes.map(ready))).every(Boolean),
      10_000,
      'every node ready again',
    );
    // The restarted Redis is empty: the old challenge is unknown, never accepted.
    const late = await call(b.url, 'POST', '/v1/verify', proof);
    assert.equal(late.status, 401);
    assert.equal(late.body.error.code, 'challenge_unknown');
    assert.equal((await login(b, a, user)).status, 200, 'logins work again');
    assert.equal((await server(a).listCredentials(newUser)).status, 200);
    assert.deepEqual(
      (await server(a).listCredentials(newUser)).body,
      { credentials: [] },
      'the refused registration did not happen',
    );
  });

  test('Postgres unreachable: 503 store_unavailable, /readyz 503; reachable again: service resumes', async () => {
    const [a, b] = [nodes[0]!, nodes[1]!];
    const user = await registered(b);
    const challenge = await call(a.url, 'POST', '/v1/challenges', {
      appId,
      type: 'device',
      userId: user.userId,
    });
    assert.equal(challenge.status, 200);

    await pgProxy!.cut();
    for (const n of nodes) assertUnavailable(await call(n.url, 'GET', '/readyz'), `readyz on ${n.name}`);
    const verify = await call(b.url, 'POST', '/v1/verify', {
      appId,
      type: 'device',
      userId: user.userId,
      challengeId: challenge.body.challengeId,
      signature: sign('sha256', Buffer.from(challenge.body.challenge), user.privateKey).toString('base64'),
    });
    assertUnavailable(verify, 'verify');
    const reg = await server(a).registerCredential(`u-${randomUUID()}`, {
      type: 'device',
      publicKey: deviceKey().publicKey,
    });
    assertUnavailable(reg, 'register');

    await pgProxy!.restore();
    await eventually(
      async () => (await Promise.all(nodes.map(ready))).every(Boolean),
      10_000,
      'every node ready again',
    );
    await registered(a);
    assert.equal((await login(a, b, user)).status, 200, 'logins work again');
  });
});

describe('a node killed mid-run', () => {
  test('SIGKILL of one node during registrations and logins: no 201 lost, no challenge accepted twice, the others keep answering', async (t) => {
    const victim = node(2);
    const survivors = [node(0), node(1)];
    const registered: Array<{ userId: string; credentialId: string; privateKey: KeyObject }> = [];
    const acceptedByChallenge = new Map<string, number>();
    const survivorFailures: string[] = [];
    let killed = false;
    let survivorSuccessesAfterKill = 0;
    let stop = false;

    const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
    const note = (n: SignetNode, what: string, status: number, wasKilled: boolean) => {
      if (n === victim) return;
      // A survivor must answer with a non-5xx status, before and after the kill.
      if (status === 0 || status >= 500) survivorFailures.push(`${what} on ${n.name}: ${status}`);
      else if (wasKilled) survivorSuccessesAfterKill++;
    };

    async function worker(w: number): Promise<void> {
      for (let i = 0; !stop; i++) {
        const target = pick(nodes);
        const wasKilled = killed;
        if (i % 2 === 0 || registered.length === 0) {
          const userId = `k-${w}-${i}-${randomUUID().slice(0, 8)}`;
          const key = deviceKey();
          let status = 0;
          let id: string | undefined;
          try {
            const r = await registerDevice(target, userId, key);
            status = r.response.status;
            id = (r.response.body as { id?: string }).id;
          } catch {
            status = 0;
          }
          note(target, 'register', status, wasKilled);
          if (status === 201 && id) registered.push({ userId, credentialId: id, privateKey: key.privateKey });
        } else {
          const user = pick(registered);
          const challenge = await issueChallenge(target, user.userId);
          note(target, 'challenge', challenge.status, wasKilled);
          if (challenge.status !== 200) continue;
          const body = proof(user.userId, challenge.body, user.privateKey);
          const [n1, n2] = [pick(nodes), pick(nodes)];
          const wasKilledNow = killed;
          const answers = await Promise.all([n1, n2].map((n) => call(n.url, 'POST', '/v1/verify', body)));
          answers.forEach((a, k) => note([n1, n2][k]!, 'verify', a.status, wasKilledNow));
          const accepted = answers.filter((a) => a.status === 200).length;
          acceptedByChallenge.set(challenge.body.challengeId, accepted);
        }
      }
    }

    const workers = Array.from({ length: 6 }, (_, w) => worker(w));
    await new Promise((r) => setTimeout(r, 2500));
    await victim.kill();
    killed = true;
    await new Promise((r) => setTimeout(r, 2500));
    stop = true;
    await Promise.all(workers);

    assert.ok(registered.length >= 10, `only ${registered.length} registrations`);
    assert.ok(acceptedByChallenge.size >= 5, `only ${acceptedByChallenge.size} logins`);
    assert.deepEqual(survivorFailures, []);
    assert.ok(survivorSuccessesAfterKill > 0, 'the survivors answered after the kill');
    const twice = [...acceptedByChallenge].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], 'no challenge accepted twice');
    assert.ok(
      [...acceptedByChallenge.values()].some((n) => n === 1),
      'logins succeeded',
    );
    assert.equal((await call(victim.url, 'GET', '/healthz')).status, 0, 'the victim is gone');

    // Every registration answered 201, by any node, dead or alive, is there.
    const missing: string[] = [];
    await Promise.all(
      registered.map(async ({ userId, credentialId }) => {
        const list = await server(pick(survivors)).listCredentials(userId);
        const ids = (list.body as { credentials: Array<{ id: string }> }).credentials.map((c) => c.id);
        if (!ids.includes(credentialId)) missing.push(userId);
      }),
    );
    assert.deepEqual(missing, []);
    t.diagnostic(
      `${registered.length} registrations answered 201, ${acceptedByChallenge.size} challenges each verified on two nodes at once, ` +
        `${survivorSuccessesAfterKill} survivor answers after the kill`,
    );
  });
});
