import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createApp } from '../src/core/apps.js';
import { registerCredential } from '../src/core/credentials.js';
import { buildServer } from '../src/server/buildServer.js';
import { measureGroup, type HarnessOptions } from './harness.js';
import { openProbeRuntime } from './probes/probeRuntime.js';

/**
 * Logins per second as `audit_events` grows (issue 13): three Signet servers on three SQLite
 * files, one empty, one holding 100 000 audit records and one 1 000 000 (pre-filled in one
 * transaction through a second connection: 10 000 users, one app, a month of timestamps, the
 * id format Signet writes). Each measured call is 16 logins in flight through the whole server
 * in process (`inject`: routes, hooks, schemas, core, store): `POST /v1/challenges`, the client's
 * P-256 signature, `POST /v1/verify`. The three run in interleaved batches, so the ratios are
 * side by side.
 */
export interface AuditGrowthResult {
  sizes: Array<{
    rows: number;
    loginsPerSec: number;
    spread: number;
    prefillSec: number;
    /** One `audit.append` alone (its own commit), µs. */
    appendUs: number;
  }>;
  /** Logins/s at the largest size over logins/s at 0 rows (median of paired rounds). */
  ratio: number;
  ratios: Record<string, number>;
  inFlight: number;
}

const USERS = 16;
const IN_FLIGHT = 16;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function auditId(): string {
  const bytes = randomBytes(22);
  let out = 'au_';
  for (const b of bytes) out += ALPHABET[b % 62];
  return out;
}

/** Writes `rows` audit records in one transaction through its own connection. */
function prefill(file: string, appId: string, rows: number): number {
  const started = performance.now();
  if (rows === 0) return 0;
  const db = new BetterSqlite3(file);
  try {
    const insert = db.prepare(`INSERT INTO audit_events
      (id, app_id, at, scheme, action, outcome, reason, user_id, credential_id, ip)
      VALUES (?, ?, ?, 'device', 'login', ?, ?, ?, ?, '203.0.113.7')`);
    const now = Date.now();
    const month = 30 * 86_400_000;
    db.transaction(() => {
      for (let i = 0; i < rows; i++) {
        const failed = i % 10 === 0;
        insert.run(
          auditId(),
          appId,
          now - month + Math.floor((i * month) / rows),
          failed ? 'failure' : 'success',
          failed ? 'signature_invalid' : null,
          `user-${i % 10_000}`,
          `cred-${i % 10_000}`,
        );
      }
    })();
  } finally {
    db.close();
  }
  return (performance.now() - started) / 1000;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export async function runAuditGrowth(options: {
  sizes: number[];
  harness: HarnessOptions;
  progress: (line: string) => void;
}): Promise<AuditGrowthResult> {
  const opened: Array<Awaited<ReturnType<typeof openProbeRuntime>>> = [];
  const servers: Array<Awaited<ReturnType<typeof buildServer>>> = [];
  try {
    const entries = [];
    const appends = [];
    const prefillSec: number[] = [];
    for (const rows of options.sizes) {
      const runtime = await openProbeRuntime();
      opened.push(runtime);
      const { deps } = runtime;
      const { app } = await createApp(deps, {
        name: `audit-${rows}`,
        settings: { lockoutMaxFailures: 1_000_000 },
      });
      const users: Array<{ userId: string; privateKey: KeyObject }> = [];
      for (let u = 0; u < USERS; u++) {
        const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const userId = `bench-${u}`;
        await registerCredential(deps, app, userId, {
          type: 'device',
          publicKey: pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
        });
        users.push({ userId, privateKey: pair.privateKey });
      }
      options.progress(`audit-growth: pre-filling ${rows.toLocaleString('en-US')} audit records`);
      prefillSec.push(prefill(join(runtime.dir, 'signet.db'), app.id, rows));
      // One in-process client plays every user: no per-client issuance budget (--issue-limit 0).
      const server = await buildServer({ deps, issueLimitPerMinute: 0 });
      await server.ready();
      servers.push(server);
      let n = 0;
      const login = async (): Promise<boolean> => {
        const user = users[n++ % USERS] as (typeof users)[number];
        const issued = await server.inject({
          method: 'POST',
          url: '/v1/challenges',
          payload: { appId: app.id, type: 'device', userId: user.userId },
        });
        if (issued.statusCode !== 200) return false;
        const { challengeId, challenge } = issued.json() as { challengeId: string; challenge: string };
        const verified = await server.inject({
          method: 'POST',
          url: '/v1/verify',
          payload: {
            appId: app.id,
            type: 'device',
            userId: user.userId,
            challengeId,
            signature: sign('sha256', Buffer.from(challenge), user.privateKey).toString('base64'),
          },
        });
        return verified.statusCode === 200;
      };
      appends.push({
        label: `append at ${rows.toLocaleString('en-US')} rows`,
        async: true,
        run: () =>
          deps.store.audit.append({
            id: auditId(),
            appId: app.id,
            at: Date.now(),
            scheme: 'device',
            action: 'login',
            outcome: 'success',
            reason: null,
            userId: `user-${n++ % 10_000}`,
            credentialId: 'cred',
            ip: '203.0.113.7',
          }),
        check: () => true,
      });
      entries.push({
        label: `${rows.toLocaleString('en-US')} audit rows`,
        async: true,
        run: async () => (await Promise.all(Array.from({ length: IN_FLIGHT }, login))).every(Boolean),
        check: (r: unknown) => r === true,
      });
    }
    options.progress('audit-growth: measuring logins/s at each size, interleaved');
    const measured = await measureGroup(entries, options.harness);
    options.progress('audit-growth: measuring one audit append at each size, interleaved');
    const appended = await measureGroup(appends, options.harness);
    const base = measured[0] as (typeof measured)[number];
    const ratios: Record<string, number> = {};
    options.sizes.forEach((rows, i) => {
      const m = measured[i] as (typeof measured)[number];
      ratios[String(rows)] = median(m.samples.map((x, k) => x / (base.samples[k] as number)));
    });
    return {
      sizes: options.sizes.map((rows, i) => ({
        rows,
        loginsPerSec: (measured[i] as (typeof measured)[number]).opsPerSec * IN_FLIGHT,
        spread: (measured[i] as (typeof measured)[number]).spread,
        prefillSec: prefillSec[i] as number,
        appendUs: (appended[i] as (typeof appended)[number]).nsPerOp / 1000,
      })),
      ratio: ratios[String(options.sizes[options.sizes.length - 1])] as number,
      ratios,
      inFlight: IN_FLIGHT,
    };
  } finally {
    for (const server of servers) await server.close();
    for (const runtime of opened) await runtime.remove();
  }
}
