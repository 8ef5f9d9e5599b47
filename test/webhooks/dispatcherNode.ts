/**
 * One "node" for `sigkill.test.ts`: a process that opens the Postgres store and runs a webhook
 * dispatcher until it is killed. Configuration comes from the environment; it prints `ready`.
 */
import { randomBytes } from 'node:crypto';
import { createWebhookDispatcher } from '../../src/core/webhooks/index.js';
import { createPostgresStore } from '../../src/store/postgres/createPostgresStore.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};

const store = await createPostgresStore({ url: env('NODE_DATABASE_URL'), schema: env('NODE_SCHEMA') });
const dispatcher = createWebhookDispatcher({
  store: store.webhooks,
  fetch,
  clock: Date.now,
  random: (n) => new Uint8Array(randomBytes(n)),
  resolveEndpoint: async () => ({ url: env('NODE_WEBHOOK_URL'), secrets: [env('NODE_WEBHOOK_SECRET')] }),
  leaseMs: Number(env('NODE_LEASE_MS')),
  timeoutMs: Number(env('NODE_TIMEOUT_MS')),
  pollIntervalMs: 50,
});
dispatcher.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void dispatcher
    .stop()
    .then(() => store.close())
    .then(() => process.exit(0));
});
