import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SignJWT, importJWK, exportJWK, generateKeyPair } from 'jose';
import { createApp } from '../../src/core/apps.js';
import { recordAttempt } from '../../src/core/audit.js';
import { issueChallenge } from '../../src/core/challenges.js';
import { registerCredential } from '../../src/core/credentials.js';
import { randomAlphanumeric } from '../../src/core/ids.js';
import { createTokenService } from '../../src/core/tokens.js';
import { utf8Bytes } from '../../src/encoding/index.js';
import {
  loadDevicePublicKey,
  parseDeviceSignature,
  verifyDeviceSignature,
} from '../../src/schemes/device/index.js';
import { openProbeRuntime } from './probeRuntime.js';
import { buildServer } from '../../src/server/buildServer.js';
import { issueLoginChallenge } from '../../src/core/loginChallenges.js';
import Fastify from 'fastify';
import { openSqliteDatabase } from '../../src/store/sqlite/openSqliteDatabase.js';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';
import type { Store } from '../../src/store/types.js';
import { FULL, QUICK, measureGroup, type Entry } from '../harness.js';

/**
 * What each step of a device login costs in-process (no HTTP), against a real SQLite file
 * store, plus the alternatives the report suggests for the costly ones. One thread, the same
 * harness as the single-thread rows; run it on a quiet machine:
 *
 *   node --import tsx bench/probes/loginSteps.ts [--quick]
 */

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const options = values.quick ? QUICK : FULL;

const probe = await openProbeRuntime();
const { deps, dir } = probe;
const { store } = deps;

const { app } = await createApp(deps, { name: 'probe' });
const device = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicPem = device.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const credential = await registerCredential(deps, app, 'probe-user', {
  type: 'device',
  publicKey: publicPem,
});
const tokens = createTokenService(deps);
await tokens.issue({
  appId: app.id,
  userId: 'probe-user',
  amr: 'device',
  credentialId: credential.id,
  ttlSec: 3600,
});

const challengeText = 'h1Vv3Lr8VqfX0dM2bPZ1xK7sWnYc9QeA4tRjGoHuIiE';
const signatureB64 = sign('sha256', Buffer.from(challengeText), device.privateKey).toString('base64');
const messageBytes = utf8Bytes(challengeText);
const key = loadDevicePublicKey(credential.publicKey as Record<string, unknown>);
if (key === null) throw new Error('probe: stored key does not load');

// An EdDSA key as the token service holds it (CryptoKey through jose) and as a node KeyObject.
const { privateKey: joseKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
const jwk = await exportJWK(joseKey);
const cryptoKey = await importJWK(jwk, 'EdDSA');
const keyObject: KeyObject = createPrivateKey({ key: jwk as never, format: 'jwk' });
const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' })).toString('base64url');

function claims(): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000);
  return {
    amr: ['device'],
    cid: credential.id,
    iss: deps.issuer,
    aud: app.id,
    sub: 'probe-user',
    iat,
    exp: iat + 3600,
    jti: randomAlphanumeric(deps.random, 22),
  };
}

// Commit cost on its own: the same three single-row writes as three transactions or as one,
// on a file opened with Signet's pragmas (WAL, synchronous = NORMAL).
const raw = openSqliteDatabase(join(dir, 'raw.db'));
raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL, at INTEGER NOT NULL)');
raw.exec('CREATE INDEX t_at ON t (at)');
const insert = raw.prepare('INSERT INTO t (v, at) VALUES (?, ?)');
const threeInOne = raw.transaction(() => {
  for (let i = 0; i < 3; i++) insert.run('x'.repeat(64), Date.now());
});

// The store writes of concurrent logins (issue 13, group commit): 32 logins in flight, each
// issuing its challenge, consuming it, moving its credential's counter and appending its audit
// record, one after another, as `/v1/challenges` + `/v1/verify` do. The same work on two files,
// group commit on and off, measured side by side.
const CONCURRENT_LOGINS = 32;
function loginWrites(target: Store, credentialId: string): () => Promise<boolean> {
  let n = 0;
  return async () => {
    const one = async (): Promise<boolean> => {
      const id = `c${n++}`;
      const at = Date.now();
      await target.challenges.put({
        id,
        appId: app.id,
        type: 'device',
        value: challengeText,
        userId: 'probe-user',
        data: null,
        expiresAt: at + 300_000,
      });
      const consumed = await target.challenges.consume(app.id, id);
      await target.credentials.markUsed(app.id, credentialId, 0, 0, at);
      await target.audit.append({
        id: `a${id}`,
        appId: app.id,
        at,
        scheme: 'device',
        action: 'login',
        outcome: 'success',
        reason: null,
        userId: 'probe-user',
        credentialId,
        ip: '127.0.0.1',
      });
      return consumed !== null;
    };
    const done = await Promise.all(Array.from({ length: CONCURRENT_LOGINS }, one));
    return done.every(Boolean);
  };
}
const grouped = createSqliteStore({ path: join(dir, 'grouped.db') });
const ungrouped = createSqliteStore({ path: join(dir, 'ungrouped.db'), groupCommit: false });
for (const target of [grouped, ungrouped]) {
  await target.apps.create(app);
  await target.credentials.create(credential);
}

// The HTTP layer without sockets: Fastify's inject through Signet's whole server (hooks, JSON
// parser, schemas, error handler, serializer) against a bare Fastify route.
const server = await buildServer({ deps });
await server.ready();
const bare = Fastify({ logger: false });
bare.post('/x', async () => ({ challengeId: 'x', challenge: 'y', expiresAt: 0 }));
await bare.ready();
const challengeBody = JSON.stringify({ appId: app.id, type: 'device', userId: 'probe-user' });
const injected = (r: { statusCode: number }): boolean => r.statusCode === 200;

const ok = (r: unknown): boolean => r !== false && r !== null && (r as { ok?: boolean })?.ok !== false;
const steps: Array<[string, Entry[]]> = [
  [
    'store: apps.get (requireAppForPublic)',
    [{ label: 'apps.get', async: true, run: () => store.apps.get(app.id), check: ok }],
  ],
  [
    'http layer, in-process inject: bare Fastify route / Signet POST /v1/challenges / issueLoginChallenge alone',
    [
      {
        label: 'bare Fastify inject',
        async: true,
        run: () =>
          bare.inject({
            method: 'POST',
            url: '/x',
            payload: challengeBody,
            headers: { 'content-type': 'application/json' },
          }),
        check: (r) => injected(r as { statusCode: number }),
      },
      {
        label: 'Signet inject /v1/challenges',
        async: true,
        run: () =>
          server.inject({
            method: 'POST',
            url: '/v1/challenges',
            payload: challengeBody,
            headers: { 'content-type': 'application/json' },
          }),
        check: (r) => injected(r as { statusCode: number }),
      },
      {
        label: 'issueLoginChallenge (apps.get + issue, no HTTP)',
        async: true,
        run: async () =>
          issueLoginChallenge(deps, (await store.apps.get(app.id)) ?? app, 'device', 'probe-user'),
        check: ok,
      },
    ],
  ],
  [
    'store: 2 rate-limit peeks (checkRateLimit)',
    [
      {
        label: 'peek x2',
        async: true,
        run: async () => {
          await store.rateLimits.peek(`fail:u:${app.id}:probe-user`, 900_000);
          return store.rateLimits.peek(`fail:ip:${app.id}:127.0.0.1`, 900_000);
        },
        check: () => true,
      },
    ],
  ],
  [
    'challenge: issue (insert) / issue + consume',
    [
      {
        label: 'issueChallenge',
        async: true,
        run: () => issueChallenge(deps, app, 'device', 'probe-user'),
        check: ok,
      },
      {
        label: 'issue + consume',
        async: true,
        run: async () => {
          const c = await issueChallenge(deps, app, 'device', 'probe-user');
          return store.challenges.consume(app.id, c.id);
        },
        check: ok,
      },
    ],
  ],
  [
    'store: credentials.listByUser',
    [
      {
        label: 'listByUser',
        async: true,
        run: () => store.credentials.listByUser(app.id, 'probe-user'),
        check: ok,
      },
    ],
  ],
  [
    'signature: parse base64 + RSA verify with the cached key',
    [
      {
        label: 'parse + verify',
        run: () => {
          const sig = parseDeviceSignature(signatureB64);
          return sig.ok && verifyDeviceSignature(key, messageBytes, sig.value).ok;
        },
        check: (r) => r === true,
      },
    ],
  ],
  [
    'store: credentials.markUsed (counter CAS)',
    [
      {
        label: 'markUsed',
        async: true,
        run: () => store.credentials.markUsed(app.id, credential.id, 0, 0, Date.now()),
        check: (r) => r === true,
      },
    ],
  ],
  [
    'token: Signet tokens.issue (jose, WebCrypto) vs node:crypto Ed25519 sign',
    [
      {
        label: 'tokens.issue',
        async: true,
        run: () =>
          tokens.issue({
            appId: app.id,
            userId: 'probe-user',
            amr: 'device',
            credentialId: credential.id,
            ttlSec: 3600,
          }),
        check: ok,
      },
      {
        label: 'jose SignJWT, CryptoKey',
        async: true,
        run: () =>
          new SignJWT(claims()).setProtectedHeader({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' }).sign(cryptoKey),
        check: ok,
      },
      {
        label: 'node:crypto sign, KeyObject (sync)',
        run: () => {
          const input = `${header}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`;
          return `${input}.${sign(null, Buffer.from(input), keyObject).toString('base64url')}`;
        },
        check: ok,
      },
    ],
  ],
  [
    'audit: recordAttempt (insert)',
    [
      {
        label: 'recordAttempt',
        async: true,
        run: () =>
          recordAttempt(deps, {
            app,
            scheme: 'device',
            action: 'login',
            reason: null,
            userId: 'probe-user',
            credentialId: credential.id,
            ip: '127.0.0.1',
          }),
        check: () => true,
      },
    ],
  ],
  [
    'sqlite: 3 single-row inserts as 3 transactions vs 1 transaction',
    [
      {
        label: '3 transactions',
        run: () => {
          for (let i = 0; i < 3; i++) insert.run('x'.repeat(64), Date.now());
          return true;
        },
        check: ok,
      },
      {
        label: '1 transaction',
        run: () => {
          threeInOne.immediate();
          return true;
        },
        check: ok,
      },
    ],
  ],
  [
    `sqlite: the writes of ${CONCURRENT_LOGINS} concurrent logins (put, consume, markUsed, audit each), group commit on vs off`,
    [
      {
        label: 'group commit (one transaction per event-loop turn)',
        async: true,
        run: loginWrites(grouped, credential.id),
        check: (r) => r === true,
      },
      {
        label: 'one transaction per write',
        async: true,
        run: loginWrites(ungrouped, credential.id),
        check: (r) => r === true,
      },
    ],
  ],
  [
    'ids: randomAlphanumeric(22) from the pooled random source vs base64url of randomBytes(16)',
    [
      { label: 'randomAlphanumeric', run: () => randomAlphanumeric(deps.random, 22), check: ok },
      { label: 'randomBytes(16) base64url', run: () => randomBytes(16).toString('base64url'), check: ok },
    ],
  ],
];

try {
  process.stdout.write(`login steps in-process, µs per call (median of interleaved batches)\n`);
  let total = 0;
  for (const [title, entries] of steps) {
    const measured = await measureGroup(entries, options);
    process.stdout.write(`\n${title}\n`);
    measured.forEach((m, i) => {
      if (i === 0 && !/^(challenge|ids|sqlite|http)/.test(title)) total += m.nsPerOp;
      const perLogin = title.includes('concurrent logins')
        ? `  (${(m.nsPerOp / 1000 / CONCURRENT_LOGINS).toFixed(1)} µs a login)`
        : '';
      process.stdout.write(
        `  ${(m.nsPerOp / 1000).toFixed(1).padStart(8)} µs  ±${(m.spread * 100).toFixed(0)}%  ${m.label}${perLogin}\n`,
      );
    });
    if (title.includes('concurrent logins')) {
      const [on, off] = measured;
      process.stdout.write(
        `  group commit on / off, logins per second: ${((off?.nsPerOp ?? 0) / (on?.nsPerOp ?? 1)).toFixed(2)}x\n`,
      );
    }
    if (title.startsWith('challenge')) {
      total += measured[1]?.nsPerOp ?? 0;
    }
  }
  process.stdout.write(
    `\nsum of the steps of one login (challenge issue + consume, verify path): ${(total / 1000).toFixed(0)} µs\n`,
  );
} finally {
  raw.close();
  await grouped.close();
  await ungrouped.close();
  await server.close();
  await bare.close();
  await probe.remove();
}
