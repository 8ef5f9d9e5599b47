// Signed webhooks on real `signet serve` processes sharing one Postgres schema and Redis
// (docs/protocols.md "Signed webhooks"): every node runs the delivery worker; a node SIGKILLed
// while it is delivering an event loses nothing: its lease runs out and another node delivers
// the same message (same webhook-id, same body), verified by a real receiver with the
// `standardwebhooks` library. Events emitted on one node are delivered by whichever node claims them.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createSignetClient } from '../../src/client/createSignetClient.js';
import { startReceiver, type Receiver } from '../webhooks/receiver.js';
import {
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
  sqlOnce,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueName,
} from './services.js';

const schema = uniqueName();
const prefix = `${uniqueName()}:`;
let config: ClusterConfig;
const nodes: SignetNode[] = [];
let receiver: Receiver;
let appId: string;
let secret: string;
let webhookSecret: string;
/** A POST hangs for at most this (`--webhook-timeout`); the lease is six times it. */
const WEBHOOK_FLAGS = ['--webhook-timeout', '3'];

let lastSigned = 0;
const now = () => (lastSigned = Math.max(Date.now(), lastSigned + 1));

async function enrol(node: SignetNode, userId: string): Promise<string> {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const r = await createSignetClient({ baseUrl: node.url, appId, secret, now }).registerCredential(userId, {
    type: 'device',
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return (r.body as { id: string }).id;
}

async function outboxRow(id: string): Promise<{ status: string; attempts: number } | undefined> {
  const rows = await sqlOnce<{ status: string; attempts: number }>(
    `SELECT status, attempts FROM "${schema}".webhook_outbox WHERE id = $1`,
    [id],
  );
  return rows[0];
}

before(async () => {
  const pgUrl = new URL(TEST_DATABASE_URL);
  pgUrl.searchParams.set('schema', schema);
  const redisUrl = new URL(TEST_REDIS_URL);
  redisUrl.searchParams.set('prefix', prefix);
  config = { databaseUrl: pgUrl.toString(), redisUrl: redisUrl.toString(), masterKey: newMasterKey() };
  receiver = await startReceiver();
  ({ appId, secret } = await createClusterApp(config));
  const set = await runSignet(['app', 'set', appId, '--webhook-url', receiver.url, '--json'], config);
  assert.equal(set.code, 0, set.stderr);
  webhookSecret = (JSON.parse(set.stdout) as { webhookSecret: string }).webhookSecret;
  assert.match(webhookSecret, /^whsec_/);
});

after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  await receiver.close();
  await dropSchema(schema);
  await deleteRedisPrefix(prefix);
});

test('a webhook being delivered by a node that is SIGKILLed is delivered by another node', async () => {
  // Node A alone: it is the node that claims the event. The receiver holds its POST open.
  const a = await startNode('A', config, 90_000, WEBHOOK_FLAGS);
  nodes.push(a);
  receiver.answers.push('hang');
  const credentialId = await enrol(a, 'kim');
  await eventually(
    async () => receiver.ofType('credential.created').length === 1,
    30_000,
    'A to POST the event',
  );
  const first = receiver.ofType('credential.created')[0]!;
  assert.equal(first.body.data['credentialId'], credentialId);
  assert.ok(receiver.verifies(first, webhookSecret));
  // Mid-delivery: A's lease is held, the POST unanswered. No shutdown, no goodbye.
  await a.kill();
  assert.equal((await outboxRow(first.id))?.status, 'pending');

  const b = await startNode('B', config, 90_000, WEBHOOK_FLAGS);
  nodes.push(b);
  // B claims the message once A's lease (6 × 3 s) has run out, and the receiver answers 204.
  await eventually(
    async () => receiver.received.filter((e) => e.id === first.id).length >= 2,
    60_000,
    'B to deliver the message A was delivering',
  );
  const second = receiver.received.filter((e) => e.id === first.id)[1]!;
  assert.equal(second.raw, first.raw, 'the same body under the same webhook-id');
  assert.ok(receiver.verifies(second, webhookSecret), 'standardwebhooks verifies the redelivery');
  await eventually(async () => (await outboxRow(first.id))?.status === 'delivered', 15_000, 'delivered');
  assert.equal((await outboxRow(first.id))?.attempts, 2);

  // And an event emitted on B is delivered too, exactly once.
  const other = await enrol(b, 'lee');
  await eventually(
    async () => receiver.ofType('credential.created').some((e) => e.body.data['credentialId'] === other),
    30_000,
    'the event emitted on B',
  );
  const copies = receiver.ofType('credential.created').filter((e) => e.body.data['credentialId'] === other);
  assert.equal(copies.length, 1);
  assert.ok(receiver.verifies(copies[0]!, webhookSecret));
});
