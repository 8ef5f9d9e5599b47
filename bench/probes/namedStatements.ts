import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { buildLoginSql } from '../../src/store/postgres/createPostgresLoginStore.js';
import { createPostgresStore } from '../../src/store/postgres/createPostgresStore.js';
import { buildSql } from '../../src/store/postgres/sql.js';

/**
 * What naming a Postgres statement saves (issue 13 follow-up): the login's unit of work (one
 * statement of seven CTEs) and `insertAudit`, run one at a time on one connection, named
 * (parsed and planned once per connection) against unnamed (parsed and planned every time),
 * batches interleaved. Prints µs per execution, round trip included.
 *
 *   node --import tsx bench/probes/namedStatements.ts [--db postgres://…] [--runs 2000] [--rounds 5]
 *
 * A fresh schema, dropped at the end.
 */

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    runs: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
  },
});
const runs = Number(values.runs);
const rounds = Number(values.rounds);
const schema = `bench_named_${process.pid}_${Date.now()}`;
const uid = (p: string) => `${p}_${randomUUID()}`;

const store = await createPostgresStore({ url: values.db, schema });
const appId = uid('app');
await store.apps.create({
  id: appId,
  name: 'named statements',
  secrets: [],
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
  },
  createdAt: Date.now(),
});
const credentialId = uid('cred');
const userId = uid('user');
await store.credentials.create({
  id: credentialId,
  appId,
  userId,
  type: 'device',
  label: null,
  deviceId: null,
  account: null,
  publicKey: { spki: 'x' },
  counter: 0,
  createdAt: Date.now(),
  lastUsedAt: null,
});
await store.close();

const login = buildLoginSql(schema);
const sql = buildSql(schema);
const statements = {
  'login unit': {
    text: login.commit,
    values: () => {
      const now = Date.now();
      // A login without a challenge (the Postgres + Redis shape), with a session and an event.
      return [
        appId,
        null,
        credentialId,
        0,
        0,
        now,
        uid('sid'),
        userId,
        credentialId,
        'device',
        now,
        now + 86_400_000,
        null,
        null,
        null,
        uid('h'),
        uid('au'),
        now,
        'device',
        'login',
        'success',
        null,
        userId,
        credentialId,
        '127.0.0.1',
        uid('msg'),
        'login.succeeded',
        '{}',
        now,
      ];
    },
  },
  insertAudit: {
    text: sql.insertAudit,
    values: () => [
      uid('au'),
      appId,
      Date.now(),
      'device',
      'login',
      'failure',
      'signature_invalid',
      userId,
      null,
      null,
    ],
  },
};

const client = new pg.Client({ connectionString: values.db });
await client.connect();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
process.stdout.write(`load ${loadavg()[0]!.toFixed(2)} at start\n`);
try {
  for (const [label, s] of Object.entries(statements)) {
    const name = `bench_${label.replace(/\W/g, '_')}`;
    const us = { named: [] as number[], unnamed: [] as number[] };
    for (let r = -1; r < rounds; r++) {
      for (const mode of ['unnamed', 'named'] as const) {
        const t0 = performance.now();
        for (let i = 0; i < runs; i++) {
          if (mode === 'named') await client.query({ name, text: s.text, values: s.values() });
          else await client.query(s.text, s.values());
        }
        // Round -1 warms both up.
        if (r >= 0) us[mode].push(((performance.now() - t0) / runs) * 1000);
      }
    }
    process.stdout.write(
      `${label}: µs an execution one at a time: unnamed ${median(us.unnamed).toFixed(0)}, named ${median(us.named).toFixed(0)} (median of ${rounds} interleaved rounds of ${runs})\n`,
    );
  }
} finally {
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}
process.stdout.write(`load ${loadavg()[0]!.toFixed(2)} at end\n`);
