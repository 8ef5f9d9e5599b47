import { createHmac, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runNode, spawnNode, stopAll } from './processes.js';

/**
 * The `/v1/verify` HTTP row with an independent load generator (issue 13): autocannon in its own
 * process (`bench/http/autocannonRun.ts`), beside the project's own generator, against its own
 * servers: the bare Fastify + RSA route (the ceiling) and `signet serve --workers 1` on a SQLite
 * temp file with one RSA-2048 device credential. Proofs are single-use, so each round first
 * issues `logins` challenges and signs them outside the timed window; autocannon then sends each
 * proof once. The ceiling gets the same proof shapes for `windowMs`. Rounds alternate which goes
 * first; the ratio is the median over rounds of verify req/s over ceiling req/s of that round.
 */
export interface AutocannonRun {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  rate: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface IndependentResult {
  loadgen: string;
  connections: number;
  rounds: number;
  logins: number;
  ceiling: AutocannonRun;
  verify: AutocannonRun;
  perRound: Array<{ ceiling: number; verify: number }>;
  /** Median over rounds of `/v1/verify` req/s over the ceiling's req/s. */
  verifyVsCeiling: number;
  /** `/v1/verify` p99 over the ceiling's p99 (median rounds). */
  p99VsCeiling: number;
}

const ROOT = new URL('../../', import.meta.url).pathname;
const RUNNER = join(ROOT, 'bench/http/autocannonRun.ts');
const CEILING = join(ROOT, 'bench/http/ceilingServer.ts');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function autocannon(dir: string, config: object): Promise<AutocannonRun> {
  const file = join(dir, `autocannon-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(config));
  const out = await runNode(['--import', 'tsx', RUNNER, file]);
  const run = JSON.parse(out.trim().split('\n').pop() as string) as AutocannonRun;
  if (run.non2xx > 0 || run.errors > 0) {
    throw new Error(`bench: autocannon saw ${run.non2xx} non-2xx answers and ${run.errors} errors`);
  }
  return run;
}

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

export async function runIndependent(o: {
  runner: 'src' | 'dist';
  connections: number;
  rounds: number;
  logins: number;
  windowMs: number;
  progress: (line: string) => void;
}): Promise<IndependentResult> {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privateKey = createPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-ac-'));
  const cli =
    o.runner === 'dist'
      ? [join(ROOT, 'dist/cli/main.js')]
      : ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
  if (o.runner === 'dist' && !existsSync(cli[0] as string))
    throw new Error('bench: run `npm run build` first');
  const storeFlags = ['--db', `sqlite:${join(dir, 'signet.db')}`];
  try {
    o.progress('http-autocannon: starting the ceiling and signet serve --workers 1');
    const [ceilingServer, createdText] = await Promise.all([
      spawnNode(['--import', 'tsx', CEILING], {
        env: { BENCH_PUBLIC_KEY: publicPem },
        ready: /^listening (\d+)$/,
        which: 'stdout',
      }),
      runNode([...cli, 'app', 'create', '--name', 'bench-ac', ...storeFlags, '--json']),
    ]);
    const ceilingUrl = `http://127.0.0.1:${ceilingServer.match[1]}`;
    const { appId, secret } = JSON.parse(createdText) as { appId: string; secret: string };
    const port = await freePort();
    await spawnNode(
      [...cli, 'serve', '--port', String(port), '--host', '127.0.0.1', ...storeFlags, '--workers', '1'],
      {
        ready: /listening on http:\/\//,
        which: 'stderr',
        discardStdout: true,
      },
    );
    const url = `http://127.0.0.1:${port}`;
    const userId = 'bench-user';
    const body = JSON.stringify({ type: 'device', publicKey: publicPem, deviceId: 'bench-phone' });
    const registered = await fetch(`${url}/v1/users/${userId}/credentials`, {
      method: 'POST',
      headers: tiniappHeaders(appId, secret, body),
      body,
    });
    if (registered.status !== 201) throw new Error(`bench: register answered ${registered.status}`);

    const ceilingBodies = Array.from({ length: 256 }, (_, i) => {
      const challenge = `ceiling-${i}-${'x'.repeat(32)}`;
      return JSON.stringify({
        challenge,
        signature: sign('sha256', Buffer.from(challenge), privateKey).toString('base64'),
      });
    });
    /** Issues `n` challenges (untimed, 32 at a time) and returns the signed proofs. */
    async function proofs(n: number): Promise<string[]> {
      const out: string[] = [];
      let issued = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (issued < n) {
            issued++;
            const r = await fetch(`${url}/v1/challenges`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ appId, type: 'device', userId }),
            });
            if (r.status !== 200) throw new Error(`bench: /v1/challenges answered ${r.status}`);
            const c = (await r.json()) as { challengeId: string; challenge: string };
            out.push(
              JSON.stringify({
                appId,
                type: 'device',
                userId,
                challengeId: c.challengeId,
                signature: sign('sha256', Buffer.from(c.challenge), privateKey).toString('base64'),
              }),
            );
          }
        }),
      );
      return out;
    }

    const ceilingJob = {
      url: ceilingUrl,
      path: '/verify',
      connections: o.connections,
      bodies: ceilingBodies,
    };
    o.progress('http-autocannon: warming up');
    await autocannon(dir, { ...ceilingJob, durationMs: 1000 });
    const warm = join(dir, 'warm.json');
    writeFileSync(warm, JSON.stringify(await proofs(Math.min(1000, o.logins))));
    await autocannon(dir, { url, path: '/v1/verify', connections: o.connections, bodiesFile: warm });

    const ceilings: AutocannonRun[] = [];
    const verifies: AutocannonRun[] = [];
    for (let round = 0; round < o.rounds; round++) {
      const file = join(dir, `proofs-${round}.json`);
      writeFileSync(file, JSON.stringify(await proofs(o.logins)));
      const measureCeiling = async () =>
        ceilings.push(await autocannon(dir, { ...ceilingJob, durationMs: o.windowMs }));
      const measureVerify = async () =>
        verifies.push(
          await autocannon(dir, { url, path: '/v1/verify', connections: o.connections, bodiesFile: file }),
        );
      if (round % 2 === 0) {
        await measureCeiling();
        await measureVerify();
      } else {
        await measureVerify();
        await measureCeiling();
      }
      o.progress(
        `http-autocannon: round ${round + 1}/${o.rounds}: ceiling ${Math.round((ceilings.at(-1) as AutocannonRun).rate)}/s, /v1/verify ${Math.round((verifies.at(-1) as AutocannonRun).rate)}/s`,
      );
    }
    const byRate = (runs: AutocannonRun[]) =>
      [...runs].sort((a, b) => a.rate - b.rate)[(runs.length - 1) >> 1] as AutocannonRun;
    const ceiling = byRate(ceilings);
    const verify = byRate(verifies);
    return {
      loadgen: 'autocannon 9 (own process)',
      connections: o.connections,
      rounds: o.rounds,
      logins: o.logins,
      ceiling,
      verify,
      perRound: ceilings.map((c, i) => ({ ceiling: c.rate, verify: (verifies[i] as AutocannonRun).rate })),
      verifyVsCeiling: median(ceilings.map((c, i) => (verifies[i] as AutocannonRun).rate / c.rate)),
      p99VsCeiling: verify.p99Ms / Math.max(ceiling.p99Ms, 0.001),
    };
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}
