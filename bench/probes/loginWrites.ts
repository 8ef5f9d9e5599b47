import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createPostgresStore } from '../../src/store/postgres/createPostgresStore.js';
import { createRedisShortLived } from '../../src/store/redis/createRedisShortLived.js';
import { withShortLived } from '../../src/store/redis/withShortLived.js';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';
import type { App, Credential, Store } from '../../src/store/types.js';

/**
 * A login's store writes, the two ways, A/B in one process (issue 13 follow-up): `split` is what
 * `verifyLogin` issued before the store-level unit of work (consume; compare-and-set; then the
 * session, the audit record and the webhook event together), `unit` is what it issues now
 * (`logins.claim`, then `logins.commit`). Same store, same process, batches interleaved
 * (split, unit, split, unit...), so the machine's load hits both alike; no HTTP, no signature,
 * only the store. Per store: ms a login one at a time (latency) and logins/s 32 at a time, and
 * this process's CPU per login (on SQLite that is all the store's work; on Postgres the
 * client side only).
 *
 *   node --import tsx bench/probes/loginWrites.ts [--logins 300] [--rounds 5] [--stores sqlite,postgres,postgres+redis]
 *     [--db postgres://…] [--redis redis://…]
 *
 * A temp SQLite file, a fresh Postgres schema and a Redis key prefix, all removed at the end.
 */

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    logins: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '5' },
    stores: { type: 'string', default: 'sqlite,postgres,postgres+redis' },
  },
});
const stores = new Set(values.stores.split(','));
const logins = Number(values.logins);
const rounds = Number(values.rounds);
const uid = (p: string) => `${p}_${randomUUID()}`;

const app: App = {
  id: uid('app'),
  name: 'login writes',
  secrets: [{ id: uid('sec'), sealed: 'v1.x', createdAt: Date.now() }],
  rpId: null,
  origins: [],
  settings: {
    challengeTtlMs: 300_000,
    skewMs: 300_000,
    tokenTtlSec: 3600,
    clientChallenges: false,
    requireUserVerification: false,
    ethChainIds: [],
    chainApi: null,
    lockoutMaxFailures: 10,
    lockoutWindowMs: 900_000,
    requireWalletProof: true,
    webhookUrl: 'https://hooks.example/signet',
  },
  createdAt: Date.now(),
};

/** The writes of one login, given a challenge already issued. */
type LoginWrites = (store: Store, credential: Credential, challengeId: string) => Promise<void>;

function parts(credential: Credential) {
  const now = Date.now();
  return {
    family: {
      id: uid('sid'),
      appId: app.id,
      userId: credential.userId,
      credentialId: credential.id,
      amr: 'device',
      createdAt: now,
      expiresAt: now + 86_400_000,
      refreshedAt: null,
      revokedAt: null,
      revokedReason: null,
    },
    tokenHash: uid('h'),
    audit: {
      id: uid('au'),
      appId: app.id,
      at: now,
      scheme: 'device',
      action: 'login',
      outcome: 'success' as const,
      reason: null,
      userId: credential.userId,
      credentialId: credential.id,
      ip: '127.0.0.1',
    },
    webhook: {
      id: uid('msg'),
      appId: app.id,
      type: 'login.succeeded',
      payload: '{"type":"login.succeeded"}',
      createdAt: now,
    },
    now,
  };
}

const split: LoginWrites = async (store, credential, challengeId) => {
  const p = parts(credential);
  if ((await store.challenges.consume(app.id, challengeId)) === null) throw new Error('consume lost');
  if (!(await store.credentials.markUsed(app.id, credential.id, 0, 0, p.now))) throw new Error('CAS lost');
  await Promise.all([
    store.sessions.create(p.family, p.tokenHash),
    store.audit.append(p.audit),
    store.webhooks.enqueue(p.webhook),
  ]);
};

const unit: LoginWrites = async (store, credential, challengeId) => {
  const p = parts(credential);
  if ((await store.logins.claim(app.id, challengeId)) === null) throw new Error('claim lost');
  const outcome = await store.logins.commit({
    challengeId,
    credential: { appId: app.id, id: credential.id, expected: 0, counter: 0, at: p.now },
    session: { family: p.family, tokenHash: p.tokenHash },
    audit: p.audit,
    webhook: p.webhook,
  });
  if (outcome !== 'committed') throw new Error(outcome);
};

async function batch(store: Store, credential: Credential, writes: LoginWrites, concurrency: number) {
  const ids = Array.from({ length: logins }, () => uid('ch'));
  const expiresAt = Date.now() + 300_000;
  for (let i = 0; i < ids.length; i += 50)
    await Promise.all(
      ids.slice(i, i + 50).map((id) =>
        store.challenges.put({
          id,
          appId: app.id,
          type: 'device',
          value: 'v',
          userId: null,
          data: null,
          expiresAt,
        }),
      ),
    );
  let next = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) await writes(store, credential, ids[next++]!);
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(name: string, store: Store): Promise<void> {
  await store.apps.create(app).catch(() => {});
  const credential: Credential = {
    id: uid('cred'),
    appId: app.id,
    userId: uid('user'),
    type: 'device',
    label: null,
    deviceId: null,
    account: null,
    publicKey: { spki: 'x' },
    counter: 0,
    createdAt: Date.now(),
    lastUsedAt: null,
  };
  await store.credentials.create(credential);
  for (const w of [split, unit]) await batch(store, credential, w, 8); // warm-up
  for (const concurrency of [1, 32]) {
    const ms = { split: [] as number[], unit: [] as number[] };
    const cpu = { split: [] as number[], unit: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const a = await batch(store, credential, split, concurrency);
      const b = await batch(store, credential, unit, concurrency);
      ms.split.push(a.ms);
      ms.unit.push(b.ms);
      cpu.split.push(a.cpuMs);
      cpu.unit.push(b.cpuMs);
    }
    const cpuLine = `this process's CPU µs a login: split ${((median(cpu.split) / logins) * 1000).toFixed(0)}, unit ${((median(cpu.unit) / logins) * 1000).toFixed(0)}`;
    const ratio = median(ms.split.map((s, i) => s / ms.unit[i]!));
    const line =
      concurrency === 1
        ? `ms a login one at a time: split ${(median(ms.split) / logins).toFixed(3)}, unit ${(median(ms.unit) / logins).toFixed(3)}`
        : `logins/s 32 at a time: split ${((logins / median(ms.split)) * 1000).toFixed(0)}, unit ${((logins / median(ms.unit)) * 1000).toFixed(0)}`;
    process.stdout.write(
      `${name}: ${line} (unit ${ratio.toFixed(2)}x faster, median of ${rounds} paired rounds); ${cpuLine}\n`,
    );
  }
}

const dir = mkdtempSync(join(tmpdir(), 'signet-login-writes-'));
const schema = `bench_lw_${process.pid}_${Date.now()}`;
const prefix = `${schema}:`;
process.stdout.write(`load ${(await import('node:os')).loadavg()[0]!.toFixed(2)} at start\n`);
try {
  if (stores.has('sqlite')) {
    const sqlite = createSqliteStore({ path: join(dir, 'signet.db') });
    await measure('sqlite file', sqlite);
    await sqlite.close();
  }
  if (stores.has('postgres')) {
    const postgres = await createPostgresStore({ url: values.db, schema });
    await measure('postgres', postgres);
    await postgres.close();
  }
  if (stores.has('postgres+redis')) {
    const both = withShortLived(
      await createPostgresStore({ url: values.db, schema }),
      await createRedisShortLived({ url: values.redis, prefix }),
    );
    await measure('postgres + redis', both);
    await both.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  const admin = new pg.Client({ connectionString: values.db });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
  const cleanup = new Redis(values.redis);
  const keys = await cleanup.keys(`${prefix}*`);
  if (keys.length > 0) await cleanup.del(...keys);
  cleanup.disconnect();
}
process.stdout.write(`load ${(await import('node:os')).loadavg()[0]!.toFixed(2)} at end\n`);
