// Webhook delivery survives a SIGKILL of the delivering node: two real processes running the
// dispatcher on one Postgres outbox. Node A receives the event, starts the POST and is killed
// while the receiver holds the request open; node B delivers it once A's lease has run out.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { emitWebhookEvent, generateWebhookSecret } from '../../src/core/webhooks/index.js';
import { createPostgresStore } from '../../src/store/postgres/createPostgresStore.js';
import { dropSchema, eventually, TEST_DATABASE_URL, uniqueName } from '../cluster/services.js';
import { makeApp } from '../store/conformance.js';
import { listenOnFreePort } from '../support/network.js';

const schema = uniqueName();
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await dropSchema(schema);
});

function startNode(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/webhooks/dispatcherNode.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`node exited early with ${code}`)));
  });
}

describe('webhook delivery across a SIGKILL', () => {
  it('the event a killed node was sending is delivered by the other node, verified, and the message ends delivered', async () => {
    const secret = generateWebhookSecret((n) => new Uint8Array(randomBytes(n)));
    const attempts: { id: string; verified: boolean; answered: boolean }[] = [];
    const held: ServerResponse[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let verified = false;
        try {
          new Webhook(secret).verify(
            Buffer.concat(chunks).toString('utf8'),
            req.headers as Record<string, string>,
          );
          verified = true;
        } catch {
          verified = false;
        }
        const first = attempts.length === 0;
        attempts.push({ id: String(req.headers['webhook-id']), verified, answered: !first });
        if (first)
          held.push(res); // node A's attempt: never answered
        else res.writeHead(204).end();
      });
    });
    const url = `${await listenOnFreePort(server)}/hook`;

    const store = await createPostgresStore({ url: TEST_DATABASE_URL, schema });
    try {
      const app = makeApp();
      await store.apps.create(app);
      const env = {
        NODE_DATABASE_URL: TEST_DATABASE_URL,
        NODE_SCHEMA: schema,
        NODE_WEBHOOK_URL: url,
        NODE_WEBHOOK_SECRET: secret,
        NODE_LEASE_MS: '3000',
        NODE_TIMEOUT_MS: '1500',
      };
      const a = await startNode(env);
      const id = await emitWebhookEvent(
        { store, clock: Date.now, random: (n) => new Uint8Array(randomBytes(n)) },
        app.id,
        'login.succeeded',
        { userId: 'u-1', scheme: 'device' },
      );
      await eventually(async () => attempts.length === 1, 15_000, 'node A to start the POST');
      a.kill('SIGKILL');
      await new Promise((resolve) => a.once('exit', resolve));
      const leased = await store.webhooks.get(app.id, id);
      assert.equal(leased?.status, 'pending', 'A died before recording anything');
      assert.equal(leased?.attempts, 1);

      await startNode(env);
      await eventually(
        async () => (await store.webhooks.get(app.id, id))?.status === 'delivered',
        20_000,
        'node B to deliver after the lease',
      );
      const done = await store.webhooks.get(app.id, id);
      assert.equal(done?.attempts, 2, 'A’s attempt and B’s');
      assert.deepEqual(
        attempts.map((x) => [x.id, x.verified, x.answered]),
        [
          [id, true, false],
          [id, true, true],
        ],
      );
    } finally {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    }
  });
});
