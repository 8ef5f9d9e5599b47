import { generateKeyPairSync, sign } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { createApp } from '../../src/core/apps.js';
import { registerCredential } from '../../src/core/credentials.js';
import { buildServer } from '../../src/server/buildServer.js';
import { openProbeRuntime } from './probeRuntime.js';

/**
 * One `POST /v1/verify` (device RSA) at a time through Signet's whole server in-process
 * (Fastify `inject`: hooks, parser, schemas, core, SQLite file store, token, audit; no socket),
 * timed, and CPU-profiled with the inspector so the time can be split by function. Challenges
 * are issued and signed before the timed part, so it holds only verifications.
 *
 *   node --import tsx bench/probes/verifyProfile.ts [--count 4000] [--top 30]
 */
const { values } = parseArgs({
  options: { count: { type: 'string', default: '4000' }, top: { type: 'string', default: '30' } },
});
const count = Number(values.count);
const top = Number(values.top);

const probe = await openProbeRuntime();
const { deps } = probe;
const { app } = await createApp(deps, { name: 'probe' });
const device = generateKeyPairSync('rsa', { modulusLength: 2048 });
await registerCredential(deps, app, 'probe-user', {
  type: 'device',
  publicKey: device.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
});
// The server logs each attempt at info, as `signet serve` does; to /dev/null here.
const server = await buildServer({ deps, logger: { level: 'info', file: '/dev/null' } });
await server.ready();

async function issue(): Promise<string> {
  const res = await server.inject({
    method: 'POST',
    url: '/v1/challenges',
    payload: { appId: app.id, type: 'device', userId: 'probe-user' },
  });
  const body = res.json() as { challengeId: string; challenge: string };
  const signature = sign('sha256', Buffer.from(body.challenge), device.privateKey).toString('base64');
  return JSON.stringify({
    appId: app.id,
    type: 'device',
    challengeId: body.challengeId,
    userId: 'probe-user',
    signature,
  });
}

async function verifyAll(payloads: string[]): Promise<number> {
  const start = performance.now();
  for (const payload of payloads) {
    const res = await server.inject({
      method: 'POST',
      url: '/v1/verify',
      payload,
      headers: { 'content-type': 'application/json' },
    });
    if (res.statusCode !== 200) throw new Error(`verify answered ${res.statusCode}: ${res.body}`);
  }
  return performance.now() - start;
}

try {
  // Warm-up round, then the profiled one.
  const warm: string[] = [];
  for (let i = 0; i < Math.min(1000, count); i++) warm.push(await issue());
  await verifyAll(warm);
  const payloads: string[] = [];
  for (let i = 0; i < count; i++) payloads.push(await issue());

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const ms = await verifyAll(payloads);
  const { profile } = (await session.post('Profiler.stop')) as unknown as {
    profile: {
      nodes: Array<{
        id: number;
        callFrame: { functionName: string; url: string; lineNumber: number };
        children?: number[];
      }>;
      samples: number[];
      timeDeltas: number[];
    };
  };
  session.disconnect();

  process.stdout.write(
    `${count} verifications in-process: ${((ms * 1000) / count).toFixed(1)} µs each (${((count * 1000) / ms).toFixed(0)}/s, profiler on)\n`,
  );
  const root = new URL('../../', import.meta.url).pathname;
  const name = (n: (typeof profile.nodes)[number]): string => {
    const where = n.callFrame.url
      .replace(/^file:\/\//, '')
      .replace(root, '')
      .replace(/^.*node_modules\//, '');
    return `${n.callFrame.functionName || '(anonymous)'} ${where}${where ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const node = byId.get(id);
    if (!node) return;
    self.set(name(node), (self.get(name(node)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = name(byId.get(cur) as (typeof profile.nodes)[number]);
      if (!seen.has(n)) inclusive.set(n, (inclusive.get(n) ?? 0) + dt);
      seen.add(n);
    }
  });
  const line = (us: number, label: string) =>
    `${(us / count).toFixed(1).padStart(7)} µs  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${label}\n`;
  process.stdout.write('\nself time per verification:\n');
  for (const [n, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    process.stdout.write(line(us, n));
  process.stdout.write('\ninclusive, Signet code and what it calls:\n');
  for (const [n, us] of [...inclusive]
    .filter(([n]) =>
      /src\/|jose|better-sqlite3|pino|fastify\/lib\/(reply|handle-request|content-type-parser)/.test(n),
    )
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    process.stdout.write(line(us, n));
  }
} finally {
  await server.close();
  await probe.remove();
}
