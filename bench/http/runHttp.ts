import { createHmac, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PhaseResult, SignetTarget } from './loadgen.js';
import {
  freePort,
  runNode,
  spawnNode,
  startLoadGenerator,
  stop,
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
 */

export interface HttpOptions {
  /** How the CLI is started: `src` (tsx, no build needed) or `dist` (after `npm run build`). */
  runner: 'src' | 'dist';
  connections: number;
  /** Timed window of the challenge phase, and of the ceiling run. */
  windowMs: number;
  /** Most challenges issued in one phase (bounds the untimed signing). */
  maxLogins: number;
  /** Untimed warm-up before each server's timed phases. */
  warmupMs: number;
  /** Worker counts to run `signet serve --workers N` with. */
  workers: number[];
  /** Also run full logins with the client signing inline (informative). */
  inlineLogins: boolean;
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
  /** Full logins with the load generator signing inline. */
  inline?: PhaseResult;
}

export interface HttpResult {
  connections: number;
  runner: 'src' | 'dist';
  ceiling: PhaseResult & { serverCpuMsPerRequest: number | null };
  signet: SignetRun[];
  /** `/v1/verify` requests/s with one worker over the ceiling's requests/s. */
  verifyVsCeiling: number;
  /** Logins/s with two workers over logins/s with one (when both ran). */
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

/** Tiniapp headers for a server-API request (CONTRACT.md), computed with node:crypto alone. */
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
  if (res.status !== 201)
    throw new Error(`bench: registering the device key answered ${res.status}: ${await res.text()}`);
}

async function runCeiling(gen: LoadGenerator, keys: Keys, o: HttpOptions): Promise<HttpResult['ceiling']> {
  o.progress('http: ceiling (bare Fastify + RSA verify)');
  const server = await spawnNode(['--import', 'tsx', CEILING], {
    env: { BENCH_PUBLIC_KEY: keys.publicPem },
    ready: /^listening (\d+)$/,
    which: 'stdout',
  });
  try {
    const url = `http://127.0.0.1:${server.match[1]}`;
    const job = {
      kind: 'ceiling',
      url,
      privateKeyPem: keys.privatePem,
      connections: o.connections,
      pool: 256,
    } as const;
    await gen.run({ ...job, durationMs: o.warmupMs }, o.warmupMs + 60_000);
    const cpu0 = treeCpuMs(server.child.pid as number);
    const result = await gen.run<PhaseResult>({ ...job, durationMs: o.windowMs }, o.windowMs + 60_000);
    const cpu1 = treeCpuMs(server.child.pid as number);
    assertClean('ceiling', result);
    return {
      ...result,
      serverCpuMsPerRequest: cpu0 === null || cpu1 === null ? null : (cpu1 - cpu0) / result.requests,
    };
  } finally {
    await stop(server.child);
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

async function runSignet(gen: LoadGenerator, keys: Keys, o: HttpOptions): Promise<SignetRun[]> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-'));
  const db = `sqlite:${join(dir, 'signet.db')}`;
  const cli = cliArgs(o.runner);
  const env = { SIGNET_LOG_LEVEL: 'warn' };
  try {
    o.progress(`http: creating the app and the device credential (${db})`);
    const created = JSON.parse(
      await runNode([...cli, 'app', 'create', '--name', 'bench', '--db', db, '--json'], env),
    ) as {
      appId: string;
      secret: string;
    };
    const userId = 'bench-user';
    const runs: SignetRun[] = [];
    let registered = false;
    for (const workers of o.workers) {
      o.progress(`http: signet serve --workers ${workers}`);
      const port = await freePort();
      const server = await spawnNode(
        [
          ...cli,
          'serve',
          '--port',
          String(port),
          '--host',
          '127.0.0.1',
          '--db',
          db,
          '--workers',
          String(workers),
        ],
        { env, ready: /listening on http:\/\//, which: 'stderr' },
      );
      try {
        const url = `http://127.0.0.1:${port}`;
        if (!registered) {
          await registerDevice(url, created.appId, created.secret, userId, keys.publicPem);
          registered = true;
        }
        const target: SignetTarget = { url, appId: created.appId, userId, privateKeyPem: keys.privatePem };
        const limit = (ms: number) => ms + 120_000;
        // Warm-up: JIT, SQLite page cache, keep-alive connections to every worker.
        const warmMax = Math.max(200, Math.round(o.maxLogins / 10));
        await gen.run(
          { kind: 'challenges', target, connections: o.connections, durationMs: o.warmupMs, max: warmMax },
          limit(o.warmupMs),
        );
        await gen.run({ kind: 'verify', target, connections: o.connections }, limit(o.warmupMs));

        const pid = server.child.pid as number;
        const cpu0 = treeCpuMs(pid);
        const challenges = await gen.run<SignetRun['challenges']>(
          {
            kind: 'challenges',
            target,
            connections: o.connections,
            durationMs: o.windowMs,
            max: o.maxLogins,
          },
          limit(o.windowMs),
        );
        const cpu1 = treeCpuMs(pid);
        const verify = await gen.run<PhaseResult>(
          { kind: 'verify', target, connections: o.connections },
          limit(o.windowMs * 4),
        );
        const cpu2 = treeCpuMs(pid);
        assertClean(`signet --workers ${workers} challenges`, challenges);
        assertClean(`signet --workers ${workers} verify`, verify);
        const logins = verify.requests;
        const run: SignetRun = {
          workers,
          challenges,
          verify,
          loginsPerSec: (logins * 1000) / (challenges.elapsedMs + verify.elapsedMs),
          serverCpuMsPerLogin:
            cpu0 === null || cpu1 === null || cpu2 === null ? null : (cpu2 - cpu0) / logins,
        };
        if (o.inlineLogins) {
          run.inline = await gen.run<PhaseResult>(
            { kind: 'logins', target, connections: o.connections, durationMs: o.windowMs },
            limit(o.windowMs),
          );
          assertClean(`signet --workers ${workers} inline logins`, run.inline);
        }
        runs.push(run);
        o.progress(
          `http:   ${workers} worker(s): ${run.challenges.rate.toFixed(0)} challenges/s, ${run.verify.rate.toFixed(0)} verify/s, ${run.loginsPerSec.toFixed(0)} logins/s`,
        );
      } finally {
        await stop(server.child);
      }
    }
    return runs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the HTTP rows and returns their measurements and targets.
 *
 * @example
 * const http = await runHttp({ runner: 'src', connections: 32, windowMs: 2000, ... });
 */
export async function runHttp(o: HttpOptions): Promise<HttpResult> {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keys: Keys = {
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
  const gen = await startLoadGenerator(LOADGEN);
  try {
    const ceiling = await runCeiling(gen, keys, o);
    o.progress(`http:   ceiling: ${ceiling.rate.toFixed(0)} requests/s`);
    const signet = await runSignet(gen, keys, o);
    const one = signet.find((r) => r.workers === 1);
    const two = signet.find((r) => r.workers === 2);
    const verifyVsCeiling = one ? one.verify.rate / ceiling.rate : Number.NaN;
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
      connections: o.connections,
      runner: o.runner,
      ceiling,
      signet,
      verifyVsCeiling,
      twoWorkersVsOne,
      targets,
    };
  } finally {
    await gen.close();
    await stopAll();
  }
}
