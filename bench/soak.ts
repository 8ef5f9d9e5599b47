import { createHmac, createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runNode, spawnNode, stopAll } from './http/processes.js';

/**
 * A soak (issue 13, `npm run bench -- --only soak`): `signet serve --workers 1` on a SQLite temp
 * file, device logins (`POST /v1/challenges` then `POST /v1/verify`) sent at a steady rate for
 * `seconds`; every `sampleSec` the server's RSS (its process tree, from /proc) and the p50 / p99
 * of the `/v1/verify` answers of that window are recorded. Flat RSS and p99 mean no leak in
 * caches, pools, the replay set or the group-commit queue. Every answer must be 200.
 */
export interface SoakSample {
  /** Seconds since the steady load began (end of the window). */
  atSec: number;
  rssMiB: number;
  verifies: number;
  p50Ms: number;
  p99Ms: number;
  /** 1-minute load average at the sample. */
  load: number;
}

export interface SoakResult {
  ratePerSec: number;
  seconds: number;
  sampleSec: number;
  samples: SoakSample[];
  failures: number;
  /** Last sample's RSS over the first's, and the same for p99 (after the first window's warm-up). */
  rssGrowth: number;
  p99Growth: number;
}

const ROOT = new URL('../', import.meta.url).pathname;

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

/** RSS of a process and its descendants, MiB, from /proc (Linux). */
function treeRssMiB(rootPid: number): number {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      continue;
    }
  }
  let kib = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kib += Number(m?.[1] ?? 0);
    } catch {
      continue;
    }
    for (const [child, ppid] of parents) if (ppid === pid) stack.push(child);
  }
  return kib / 1024;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export async function runSoak(o: {
  runner: 'src' | 'dist';
  ratePerSec: number;
  seconds: number;
  sampleSec: number;
  progress: (line: string) => void;
}): Promise<SoakResult> {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privateKey = createPrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-soak-'));
  const cli =
    o.runner === 'dist'
      ? [join(ROOT, 'dist/cli/main.js')]
      : ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
  if (o.runner === 'dist' && !existsSync(cli[0] as string))
    throw new Error('bench: run `npm run build` first');
  const storeFlags = ['--db', `sqlite:${join(dir, 'signet.db')}`];
  try {
    const { appId, secret } = JSON.parse(
      await runNode([...cli, 'app', 'create', '--name', 'bench-soak', ...storeFlags, '--json']),
    ) as { appId: string; secret: string };
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
        '1',
        // One client plays every user here; the per-client issuance limit would refuse it.
        '--issue-limit',
        '0',
      ],
      { ready: /listening on http:\/\//, which: 'stderr', discardStdout: true },
    );
    const pid = server.child.pid as number;
    const url = `http://127.0.0.1:${port}`;
    const userId = 'soak-user';
    const body = JSON.stringify({ type: 'device', publicKey: publicPem, deviceId: 'soak-phone' });
    const registered = await fetch(`${url}/v1/users/${userId}/credentials`, {
      method: 'POST',
      headers: tiniappHeaders(appId, secret, body),
      body,
    });
    if (registered.status !== 201) throw new Error(`bench: register answered ${registered.status}`);

    let failures = 0;
    let window: number[] = [];
    async function login(): Promise<void> {
      const r = await fetch(`${url}/v1/challenges`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appId, type: 'device', userId }),
      });
      if (r.status !== 200) {
        failures++;
        await r.arrayBuffer();
        return;
      }
      const c = (await r.json()) as { challengeId: string; challenge: string };
      const proof = JSON.stringify({
        appId,
        type: 'device',
        userId,
        challengeId: c.challengeId,
        signature: sign('sha256', Buffer.from(c.challenge), privateKey).toString('base64'),
      });
      const t0 = performance.now();
      const v = await fetch(`${url}/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: proof,
      });
      await v.arrayBuffer();
      window.push(performance.now() - t0);
      if (v.status !== 200) failures++;
    }

    const samples: SoakSample[] = [];
    const inFlight = new Set<Promise<void>>();
    const started = performance.now();
    const end = started + o.seconds * 1000;
    let nextSample = started + o.sampleSec * 1000;
    let sent = 0;
    o.progress(
      `soak: ${o.ratePerSec} logins/s for ${o.seconds} s, a sample every ${o.sampleSec} s (RSS ${treeRssMiB(pid).toFixed(1)} MiB at start)`,
    );
    // Open-loop at a steady rate: each 10 ms tick sends what the schedule owes (a slow server
    // shows as latency, not as a lower rate), with at most 512 logins in flight.
    while (performance.now() < end) {
      const now = performance.now();
      const owed = Math.floor(((now - started) / 1000) * o.ratePerSec) - sent;
      for (let i = 0; i < owed && inFlight.size < 512; i++) {
        sent++;
        const p: Promise<void> = login()
          .catch(() => {
            failures++;
          })
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      if (now >= nextSample) {
        const sorted = window.sort((a, b) => a - b);
        const sample: SoakSample = {
          atSec: Math.round((now - started) / 1000),
          rssMiB: Math.round(treeRssMiB(pid) * 10) / 10,
          verifies: sorted.length,
          p50Ms: Math.round(quantile(sorted, 0.5) * 100) / 100,
          p99Ms: Math.round(quantile(sorted, 0.99) * 100) / 100,
          load: Math.round((Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]) || 0) * 100) / 100,
        };
        samples.push(sample);
        window = [];
        nextSample += o.sampleSec * 1000;
        o.progress(
          `soak: ${sample.atSec} s: RSS ${sample.rssMiB} MiB, ${sample.verifies} verifies, p50 ${sample.p50Ms} ms, p99 ${sample.p99Ms} ms, load ${sample.load}, failures ${failures}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(inFlight);
    const first = samples[0];
    const last = samples[samples.length - 1];
    return {
      ratePerSec: o.ratePerSec,
      seconds: o.seconds,
      sampleSec: o.sampleSec,
      samples,
      failures,
      rssGrowth: first && last ? last.rssMiB / first.rssMiB : 1,
      p99Growth: first && last && first.p99Ms > 0 ? last.p99Ms / first.p99Ms : 1,
    };
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}
