import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PhaseResult, SignetTarget } from './loadgen.js';
import {
  freePort,
  runNode,
  spawnNode,
  startLoadGenerator,
  stopAll,
  treeCpuMs,
  type LoadGenerator,
} from './processes.js';

/**
 * The HTTP rows: a real listening Signet (`signet serve`, SQLite in a temp file, one app, one
 * RSA-2048 device credential) and a bare Fastify + RSA route as the ceiling, each loaded by the
 * load generator in a second process over N keep-alive connections.
 *
 * A Signet login is two requests: `POST /v1/challenges`, then `POST /v1/verify` with the
 * challenge signed by the device key. The phone's RSA signing (~0.3 ms of CPU per login) would
 * eat the same two cores the server runs on, so it is kept out of the timed windows: phase 1
 * issues challenges for a while (timed), the load generator then signs them all (untimed), and
 * phase 2 verifies each of them once (timed). Logins/s = logins / (phase 1 time + phase 2 time):
 * every login in it was a real challenge and a real verification, with its SQLite writes and its
 * token. The same is done for `--workers 1` and `--workers 2`.
 *
 * All servers are started first and stay up; each round measures every one of them once, in a
 * rotated order, and the median round of each is reported (the per-round numbers are kept).
 */

export interface HttpOptions {
  /** How the CLI is started: `src` (tsx, no build needed) or `dist` (after `npm run build`). */
  runner: 'src' | 'dist';
  connections: number;
  /** Timed window of the challenge phase, and of the ceiling run. */
  windowMs: number;
  /** Most challenges issued in one phase (bounds the untimed signing). */
  maxLogins: number;
  /** Untimed warm-up of each server before the first round. */
  warmupMs: number;
  /** Worker counts to run `signet serve --workers N` with. */
  workers: number[];
  /**
   * Rounds: every server is measured once per round, in a rotated order, and each one's median
   * round is reported; a burst of other work on the machine then hits one round, not the result.
   */
  rounds: number;
  /** Also run full logins with the client signing inline (informative). */
  inlineLogins: boolean;
  /**
   * Another store for the Signet servers than the default SQLite temp file: a `postgres://` URL
   * (the bench adds `?schema=` with a fresh schema and drops it afterwards), and optionally Redis.
   */
  databaseUrl?: string;
  redisUrl?: string;
  /** Progress lines. */
  progress: (line: string) => void;
}

export interface SignetRun {
  workers: number;
  challenges: PhaseResult & { signMs: number };
  verify: PhaseResult;
  /** Logins completed per second of server time (challenge phase + verify phase). */
  loginsPerSec: number;
  /** Server CPU (all its processes) per login, milliseconds; null off Linux. */
  serverCpuMsPerLogin: number | null;
  /** Server CPU per `/v1/challenges` and per `/v1/verify` request, milliseconds; null off Linux. */
  serverCpuMsPerChallenge: number | null;
  serverCpuMsPerVerify: number | null;
  /** Full logins with the load generator signing inline. */
  inline?: PhaseResult;
}

export type CeilingRun = PhaseResult & { serverCpuMsPerRequest: number | null };

export interface HttpResult {
  /** `sqlite (temp file)` or the Postgres URL without credentials, plus Redis when used. */
  store: string;
  connections: number;
  runner: 'src' | 'dist';
  rounds: number;
  /** The ceiling's median round. */
  ceiling: CeilingRun;
  /** Each worker count's median round (by logins/s). */
  signet: SignetRun[];
  /** Every round's headline rate, for the record: ceiling req/s, and per worker count verify req/s and logins/s. */
  perRound: {
    ceiling: number[];
    signet: Array<{ workers: number; verify: number[]; logins: number[] }>;
  };
  /** `/v1/verify` requests/s with one worker over the ceiling's requests/s (median rounds). */
  verifyVsCeiling: number;
  /** Logins/s with two workers over logins/s with one (median rounds; when both ran). */
  twoWorkersVsOne: number | null;
  targets: Array<{ id: string; title: string; ratio: number; min: number; met: boolean }>;
}

const ROOT = new URL('../../', import.meta.url).pathname;
const LOADGEN = join(ROOT, 'bench/http/loadgen.ts');
const CEILING = join(ROOT, 'bench/http/ceilingServer.ts');

function cliArgs(runner: 'src' | 'dist'): string[] {
  if (runner === 'dist') {
    const main = join(ROOT, 'dist/cli/main.js');
    if (!existsSync(main)) throw new Error('bench: dist/cli/main.js is missing; run `npm run build` first');
    return [main];
  }
  return ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
}

/** Tiniapp headers for a server-API request (docs/api.md), computed with node:crypto alone. */
function tiniappHeaders(appId: string, secret: string, body: string): Record<string, string> {
  const timestamp = String(Date.now());
  const encoded = Buffer.from(`${timestamp}.${appId}.${body}`, 'utf8').toString('base64url');
  return {
    'content-type': 'application/json',
    'x-tiniapp-timestamp': timestamp,
    'x-tiniapp-client-id': appId,
    'x-tiniapp-signature': createHmac('sha256', secret).update(encoded).digest('hex'),
  };
}

async function registerDevice(
  url: string,
  appId: string,
  secret: string,
  userId: string,
  publicKeyPem: string,
): Promise<void> {
  const body = JSON.stringify({
    type: 'device',
    publicKey: publicKeyPem,
    deviceId: 'bench-phone',
    label: 'bench',
  });
  const res = await fetch(`${url}/v1/users/${userId}/credentials`, {
    method: 'POST',
    headers: tiniappHeaders(appId, secret, body),
    body,
  });
  if (res.status !== 201) {
    throw new Error(`bench: registering the device key answered ${res.status}: ${await res.text()}`);
  }
}

function assertClean(what: string, phase: PhaseResult): void {
  if (phase.errors > 0) {
    throw new Error(
      `bench: ${what}: ${phase.errors} of ${phase.requests} requests failed, e.g.\n${phase.errorSamples.join('\n')}`,
    );
  }
}

interface Keys {
  publicPem: string;
  privatePem: string;
}

/** A server under test: how to warm it up and how to measure one round of it. */
interface Subject<R> {
  name: string;
  warm(): Promise<void>;
  measure(): Promise<R>;
  rate(result: R): number;
  results: R[];
}

const limit = (ms: number): number => ms + 120_000;

function cpuDelta(before: number | null, after: number | null, units: number): number | null {
  return before === null || after === null || units === 0 ? null : (after - before) / units;
}

function ceilingSubject(
  gen: LoadGenerator,
  url: string,
  pid: number,
  keys: Keys,
  o: HttpOptions,
): Subject<CeilingRun> {
  const job = {
    kind: 'ceiling',
    url,
    privateKeyPem: keys.privatePem,
    connections: o.connections,
    pool: 256,
  } as const;
  return {
    name: 'ceiling (bare Fastify + RSA verify)',
    results: [],
    async warm() {
      await gen.run({ ...job, durationMs: o.warmupMs }, limit(o.warmupMs));
    },
    async measure() {
      const cpu0 = treeCpuMs(pid);
      const result = await gen.run<PhaseResult>({ ...job, durationMs: o.windowMs }, limit(o.windowMs));
      const cpu1 = treeCpuMs(pid);
      assertClean('ceiling', result);
      return { ...result, serverCpuMsPerRequest: cpuDelta(cpu0, cpu1, result.requests) };
    },
    rate: (r) => r.rate,
  };
}

function signetSubject(
  gen: LoadGenerator,
  target: SignetTarget,
  workers: number,
  pid: number,
  o: HttpOptions,
): Subject<SignetRun> {
  const name = `signet serve --workers ${workers}`;
  return {
    name,
    results: [],
    async warm() {
      // JIT, SQLite page cache, and keep-alive connections spread over every worker.
      const max = Math.max(200, Math.round(o.maxLogins / 10));
      await gen.run(
        { kind: 'challenges', target, connections: o.connections, durationMs: o.warmupMs, max },
        limit(o.warmupMs),
      );
      await gen.run({ kind: 'verify', target, connections: o.connections }, limit(o.warmupMs));
    },
    async measure() {
      const cpu0 = treeCpuMs(pid);
      const challenges = await gen.run<SignetRun['challenges']>(
        { kind: 'challenges', target, connections: o.connections, durationMs: o.windowMs, max: o.maxLogins },
        limit(o.windowMs),
      );
      const cpu1 = treeCpuMs(pid);
      const verify = await gen.run<PhaseResult>(
        { kind: 'verify', target, connections: o.connections },
        limit(o.windowMs * 4),
      );
      const cpu2 = treeCpuMs(pid);
      assertClean(`${name}: challenges`, challenges);
      assertClean(`${name}: verify`, verify);
      const logins = verify.requests;
      const run: SignetRun = {
        workers,
        challenges,
        verify,
        loginsPerSec: (logins * 1000) / (challenges.elapsedMs + verify.elapsedMs),
        serverCpuMsPerLogin: cpuDelta(cpu0, cpu2, logins),
        serverCpuMsPerChallenge: cpuDelta(cpu0, cpu1, challenges.requests),
        serverCpuMsPerVerify: cpuDelta(cpu1, cpu2, verify.requests),
      };
      if (o.inlineLogins) {
        run.inline = await gen.run<PhaseResult>(
          { kind: 'logins', target, connections: o.connections, durationMs: o.windowMs },
          limit(o.windowMs),
        );
        assertClean(`${name}: inline logins`, run.inline);
      }
      return run;
    },
    rate: (r) => r.loginsPerSec,
  };
}

function medianOf<R>(subject: Subject<R>): R {
  const sorted = [...subject.results].sort((a, b) => subject.rate(a) - subject.rate(b));
  return sorted[(sorted.length - 1) >> 1] as R;
}

/**
 * Runs the HTTP rows and returns their measurements and targets. Every server is started once
 * and stays up (idle when not measured); each round measures them all, in a rotated order.
 *
 * @example
 * const http = await runHttp({ runner: 'src', connections: 32, windowMs: 2000, rounds: 3, ... });
 */
export async function runHttp(o: HttpOptions): Promise<HttpResult> {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keys: Keys = {
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-'));
  const schema = `signet_bench_${randomBytes(6).toString('hex')}`;
  const postgres = o.databaseUrl !== undefined && /^postgres(ql)?:\/\//.test(o.databaseUrl);
  const db = postgres
    ? `${o.databaseUrl}${(o.databaseUrl as string).includes('?') ? '&' : '?'}schema=${schema}`
    : `sqlite:${join(dir, 'signet.db')}`;
  const storeFlags = ['--db', db, ...(o.redisUrl ? ['--redis', o.redisUrl] : [])];
  // A Postgres deployment needs a master key from the environment (every node the same one).
  if (postgres && !process.env['SIGNET_MASTER_KEY'])
    process.env['SIGNET_MASTER_KEY'] = randomBytes(32).toString('base64url');
  const storeName = postgres
    ? `postgres ${new URL(o.databaseUrl as string).host}${o.redisUrl ? ' + redis' : ''}`
    : 'sqlite (temp file)';
  const cli = cliArgs(o.runner);
  const gen = await startLoadGenerator(LOADGEN);
  try {
    // Start-up is most of a quick run's time, so the processes start side by side: the ceiling
    // while `app create` migrates the database, then every `signet serve` at once.
    o.progress(`http: starting the ceiling server and creating the app (${db})`);
    const [ceilingServer, createdText] = await Promise.all([
      spawnNode(['--import', 'tsx', CEILING], {
        env: { BENCH_PUBLIC_KEY: keys.publicPem },
        ready: /^listening (\d+)$/,
        which: 'stdout',
      }),
      runNode([...cli, 'app', 'create', '--name', 'bench', ...storeFlags, '--json']),
    ]);
    const ceiling = ceilingSubject(
      gen,
      `http://127.0.0.1:${ceilingServer.match[1]}`,
      ceilingServer.child.pid as number,
      keys,
      o,
    );
    const created = JSON.parse(createdText) as { appId: string; secret: string };
    const userId = 'bench-user';
    o.progress(`http: starting ${o.workers.map((w) => `signet serve --workers ${w}`).join(', ')}`);
    const servers = await Promise.all(
      o.workers.map(async (workers) => {
        const port = await freePort();
        const server = await spawnNode(
          [
            ...cli,
            'serve',
            '--port',
            String(port),
            '--host',
            '127.0.0.1',
            ...storeFlags,
            '--workers',
            String(workers),
            // One load generator on one address plays thousands of clients: the per-IP issuance
            // budget (600 challenges a minute by default) is lifted so the challenge phase can run.
            // The failure limits stay on; the logins all succeed, so they only ever peek.
            '--issue-limit',
            '0',
          ],
          { ready: /listening on http:\/\//, which: 'stderr', discardStdout: true },
        );
        return { workers, url: `http://127.0.0.1:${port}`, pid: server.child.pid as number };
      }),
    );
    const first = servers[0];
    if (first) await registerDevice(first.url, created.appId, created.secret, userId, keys.publicPem);
    const signet = servers.map((s) =>
      signetSubject(
        gen,
        { url: s.url, appId: created.appId, userId, privateKeyPem: keys.privatePem },
        s.workers,
        s.pid,
        o,
      ),
    );

    const subjects: Array<Subject<CeilingRun> | Subject<SignetRun>> = [ceiling, ...signet];
    for (const s of subjects) {
      o.progress(`http: warming up ${s.name}`);
      await s.warm();
    }
    for (let round = 0; round < o.rounds; round++) {
      for (let k = 0; k < subjects.length; k++) {
        const s = subjects[(round + k) % subjects.length] as Subject<unknown>;
        const result = await s.measure();
        s.results.push(result);
        o.progress(`http: round ${round + 1}/${o.rounds}: ${s.name}: ${s.rate(result).toFixed(0)}/s`);
      }
    }

    const ceilingRun = medianOf(ceiling);
    const signetRuns = signet.map(medianOf);
    const one = signetRuns.find((r) => r.workers === 1);
    const two = signetRuns.find((r) => r.workers === 2);
    const verifyVsCeiling = one ? one.verify.rate / ceilingRun.rate : Number.NaN;
    const twoWorkersVsOne = one && two ? two.loginsPerSec / one.loginsPerSec : null;
    const targets: HttpResult['targets'] = [
      {
        id: 'verify-vs-ceiling',
        title: '/v1/verify req/s, 1 worker',
        ratio: verifyVsCeiling,
        min: 0.5,
        met: verifyVsCeiling >= 0.5,
      },
    ];
    if (twoWorkersVsOne !== null) {
      targets.push({
        id: 'workers-2-vs-1',
        title: 'logins/s, 2 workers',
        ratio: twoWorkersVsOne,
        min: 1.5,
        met: twoWorkersVsOne >= 1.5,
      });
    }
    return {
      store: storeName,
      connections: o.connections,
      runner: o.runner,
      rounds: o.rounds,
      ceiling: ceilingRun,
      signet: signetRuns,
      perRound: {
        ceiling: ceiling.results.map((r) => r.rate),
        signet: signet.map((s, i) => ({
          workers: o.workers[i] as number,
          verify: s.results.map((r) => r.verify.rate),
          logins: s.results.map((r) => r.loginsPerSec),
        })),
      },
      verifyVsCeiling,
      twoWorkersVsOne,
      targets,
    };
  } finally {
    await gen.close();
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    if (postgres) await dropSchema(o.databaseUrl as string, schema);
  }
}

/** Drops the bench's Postgres schema (the rows it wrote with it). */
async function dropSchema(url: string, schema: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
