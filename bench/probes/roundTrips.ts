import { generateKeyPairSync, sign } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import { openRuntime } from '../../src/cli/runtime.js';
import type { CliIo } from '../../src/cli/io.js';
import { createApp } from '../../src/core/apps.js';
import { registerCredential } from '../../src/core/credentials.js';
import { buildServer } from '../../src/server/buildServer.js';

/**
 * Round trips to Postgres and Redis per device login (issue 13): the whole server in process
 * (`buildServer` + `inject`, so no HTTP client in the count), on Postgres + Redis, with pg's
 * `Client.prototype.query` and ioredis' `Redis.prototype.sendCommand` counted. Each login is
 * `POST /v1/challenges` then `POST /v1/verify`, one login at a time (so the counts are exact),
 * then the same logins 32 at a time for the wall time. Prints the counts per request.
 *
 *   node --import tsx bench/probes/roundTrips.ts [--db postgres://…] [--redis redis://…|none] [--logins 200] [--webhook]
 *
 * `--redis none` runs on Postgres alone (challenges, replay and rate limits in Postgres too);
 * `--webhook` gives the app a webhook URL, so each login also enqueues its `login.succeeded`
 * event (nothing delivers it here).
 *
 * A fresh schema and key prefix are made and the schema dropped at the end.
 */

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    logins: { type: 'string', default: '200' },
    webhook: { type: 'boolean', default: false },
  },
});
const withRedis = values.redis !== 'none';
const logins = Number(values.logins);
const schema = `bench_rt_${process.pid}_${Date.now()}`;
const prefix = `${schema}:`;
const databaseUrl = `${values.db}${values.db.includes('?') ? '&' : '?'}schema=${schema}`;
const redisUrl = `${values.redis}${values.redis.includes('?') ? '&' : '?'}prefix=${prefix}`;

let pgQueries = 0;
let redisCommands = 0;
// Sequential waits: a request waits for one round trip each time it issues a query or command
// while none of its others is in flight (writes issued together run side by side on pool
// connections or go out pipelined); this counts the times the in-flight count leaves zero.
let waits = 0;
let inFlight = 0;
function issued(): () => void {
  if (inFlight++ === 0) waits++;
  let done = false;
  return () => {
    if (!done) {
      done = true;
      inFlight--;
    }
  };
}
const pgQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  pgQueries++;
  const settle = issued();
  const last = args[args.length - 1];
  if (typeof last === 'function') {
    // pg's Pool.query passes a callback.
    args[args.length - 1] = (...r: unknown[]) => {
      settle();
      return (last as (...a: unknown[]) => unknown)(...r);
    };
    return (pgQuery as (...a: unknown[]) => unknown).apply(this, args);
  }
  const result = (pgQuery as (...a: unknown[]) => unknown).apply(this, args);
  if (result instanceof Promise) result.then(settle, settle);
  else settle();
  return result;
} as typeof pgQuery;
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<typeof sendCommand>) {
  redisCommands++;
  const settle = issued();
  const command = args[0] as { promise?: Promise<unknown> };
  command.promise?.then(settle, settle);
  return sendCommand.apply(this, args);
};

const io: CliIo = {
  out: () => {},
  err: () => {},
  readStdin: async () => '',
  env: {
    SIGNET_ISSUER: 'http://127.0.0.1:8080',
    SIGNET_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  },
};
const runtime = await openRuntime({ db: databaseUrl, ...(withRedis ? { redis: redisUrl } : {}) }, io);
const { deps } = runtime;
const created = await createApp(deps, { name: 'round-trips' });
const app = values.webhook
  ? { ...created.app, settings: { ...created.app.settings, webhookUrl: 'https://hooks.example/signet' } }
  : created.app;
if (values.webhook) await deps.store.apps.update(app);
const device = generateKeyPairSync('rsa', { modulusLength: 2048 });
await registerCredential(deps, app, 'rt-user', {
  type: 'device',
  publicKey: device.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
});
const server = await buildServer({ deps, issueLimitPerMinute: 0 });
await server.ready();

async function challenge(): Promise<{ challengeId: string; challenge: string }> {
  const r = await server.inject({
    method: 'POST',
    url: '/v1/challenges',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ appId: app.id, type: 'device', userId: 'rt-user' }),
  });
  if (r.statusCode !== 200) throw new Error(`probe: /v1/challenges answered ${r.statusCode} ${r.body}`);
  return r.json() as { challengeId: string; challenge: string };
}
async function verify(c: { challengeId: string; challenge: string }): Promise<void> {
  const r = await server.inject({
    method: 'POST',
    url: '/v1/verify',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({
      appId: app.id,
      type: 'device',
      userId: 'rt-user',
      challengeId: c.challengeId,
      signature: sign('sha256', Buffer.from(c.challenge), device.privateKey).toString('base64'),
    }),
  });
  if (r.statusCode !== 200) throw new Error(`probe: /v1/verify answered ${r.statusCode} ${r.body}`);
}

// Warm-up: caches (app, signing key, parsed public key) filled as in a running server.
for (let i = 0; i < 20; i++) await verify(await challenge());

const counts = {
  challengePg: 0,
  challengeRedis: 0,
  challengeWaits: 0,
  verifyPg: 0,
  verifyRedis: 0,
  verifyWaits: 0,
};
for (let i = 0; i < logins; i++) {
  let pg0 = pgQueries;
  let r0 = redisCommands;
  let w0 = waits;
  const c = await challenge();
  counts.challengePg += pgQueries - pg0;
  counts.challengeRedis += redisCommands - r0;
  counts.challengeWaits += waits - w0;
  pg0 = pgQueries;
  r0 = redisCommands;
  w0 = waits;
  await verify(c);
  counts.verifyPg += pgQueries - pg0;
  counts.verifyRedis += redisCommands - r0;
  counts.verifyWaits += waits - w0;
}
const per = (n: number) => (n / logins).toFixed(2);
const t0 = performance.now();
let done = 0;
await Promise.all(
  Array.from({ length: 32 }, async () => {
    while (done < logins) {
      done++;
      await verify(await challenge());
    }
  }),
);
const ms = performance.now() - t0;
process.stdout.write(
  [
    `round trips per login on ${withRedis ? 'Postgres + Redis' : 'Postgres alone'}${values.webhook ? ', app with a webhook URL' : ''}, ${logins} logins one at a time (after 20 to warm up):`,
    `  POST /v1/challenges: ${per(counts.challengePg)} Postgres queries, ${per(counts.challengeRedis)} Redis commands, ${per(counts.challengeWaits)} sequential waits`,
    `  POST /v1/verify:     ${per(counts.verifyPg)} Postgres queries, ${per(counts.verifyRedis)} Redis commands, ${per(counts.verifyWaits)} sequential waits`,
    `  a login:             ${per(counts.challengePg + counts.verifyPg)} Postgres, ${per(counts.challengeRedis + counts.verifyRedis)} Redis, ${per(counts.challengeWaits + counts.verifyWaits)} sequential waits`,
    `${logins} logins 32 at a time through inject: ${((logins / ms) * 1000).toFixed(0)} logins/s`,
    '',
  ].join('\n'),
);
await server.close();
await runtime.close();
const admin = new pg.Client({ connectionString: values.db });
await admin.connect();
await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
await admin.end();
if (withRedis) {
  const cleanup = new Redis(values.redis);
  const keys = await cleanup.keys(`${prefix}*`);
  if (keys.length > 0) await cleanup.del(...keys);
  cleanup.disconnect();
}
