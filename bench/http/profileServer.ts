import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { PhaseResult, SignetTarget } from './loadgen.js';
import { freePort, runNode, spawnNode, startLoadGenerator, stop, stopAll } from './processes.js';

/**
 * Where a Signet login spends its time: starts `signet serve` (one process) under
 * `--cpu-prof`, runs device logins against it from the load generator, stops it, and prints
 * the functions with the most CPU time per request, self and inclusive. For finding what to
 * make faster; `npm run bench` is for the numbers.
 *
 *   node --import tsx bench/http/profileServer.ts [--seconds 4] [--connections 32] [--top 30] [--keep]
 *
 * Times are per login (one challenge plus one verify), warm-up included.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const ROOT = new URL('../../', import.meta.url).pathname;

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url
    .replace(/^file:\/\//, '')
    .replace(ROOT, '')
    .replace(/^.*node_modules\//, '');
  return `${functionName || '(anonymous)'} ${where}${where ? `:${lineNumber + 1}` : ''}`;
}

/** Self and inclusive time per function name, microseconds in all. */
function summarize(profile: Profile): {
  self: Map<string, number>;
  inclusive: Map<string, number>;
  total: number;
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const perNode = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    perNode.set(id, (perNode.get(id) ?? 0) + dt);
    total += dt;
  });
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, t] of perNode) {
    const node = byId.get(id) as ProfileNode;
    const name = frameName(node);
    self.set(name, (self.get(name) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = frameName(byId.get(cur) as ProfileNode);
      if (seen.has(n)) continue;
      seen.add(n);
      inclusive.set(n, (inclusive.get(n) ?? 0) + t);
    }
  }
  return { self, inclusive, total };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '4' },
      connections: { type: 'string', default: '32' },
      top: { type: 'string', default: '30' },
      keep: { type: 'boolean', default: false },
    },
  });
  const seconds = Number(values.seconds);
  const top = Number(values.top);
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const dir = mkdtempSync(join(tmpdir(), 'signet-profile-'));
  const db = `sqlite:${join(dir, 'signet.db')}`;
  const cli = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
  const gen = await startLoadGenerator(join(ROOT, 'bench/http/loadgen.ts'));
  try {
    const app = JSON.parse(
      await runNode([...cli, 'app', 'create', '--name', 'profile', '--db', db, '--json']),
    ) as {
      appId: string;
      secret: string;
    };
    const port = await freePort();
    const server = await spawnNode(
      [
        '--cpu-prof',
        `--cpu-prof-dir=${dir}`,
        ...cli,
        'serve',
        '--port',
        String(port),
        '--db',
        db,
        '--issue-limit',
        '0',
      ],
      { ready: /listening on http:\/\//, which: 'stderr' },
    );
    const url = `http://127.0.0.1:${port}`;
    const body = JSON.stringify({ type: 'device', publicKey: publicPem });
    const timestamp = String(Date.now());
    const encoded = Buffer.from(`${timestamp}.${app.appId}.${body}`).toString('base64url');
    const res = await fetch(`${url}/v1/users/profile-user/credentials`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-tiniapp-timestamp': timestamp,
        'x-tiniapp-client-id': app.appId,
        'x-tiniapp-signature': createHmac('sha256', app.secret).update(encoded).digest('hex'),
      },
    });
    if (res.status !== 201) throw new Error(`registering the device key answered ${res.status}`);
    const target: SignetTarget = { url, appId: app.appId, userId: 'profile-user', privateKeyPem };
    const connections = Number(values.connections);
    // Warm-up, then the profiled load (the profile covers the whole process life; start-up is small next to it).
    let requests = 0;
    for (let round = 0; round < 2; round++) {
      const ms = round === 0 ? 1000 : seconds * 1000;
      const c = await gen.run<PhaseResult>(
        { kind: 'challenges', target, connections, durationMs: ms, max: 100_000 },
        ms + 60_000,
      );
      const v = await gen.run<PhaseResult>({ kind: 'verify', target, connections }, ms * 4 + 60_000);
      requests += v.requests;
      process.stderr.write(`profile: ${c.rate.toFixed(0)} challenges/s, ${v.rate.toFixed(0)} verify/s\n`);
    }
    await stop(server.child);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    const { self, inclusive, total } = summarize(
      JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile,
    );
    const perReq = (us: number) => (us / Math.max(1, requests)).toFixed(1).padStart(7);
    const pct = (us: number) => `${((us / total) * 100).toFixed(1)}%`.padStart(6);
    process.stdout.write(
      `\nprofile of ${requests} logins; µs per login (challenge + verify), share of the profile\n\nself:\n`,
    );
    for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      process.stdout.write(`${perReq(us)} ${pct(us)}  ${name}\n`);
    }
    process.stdout.write('\ninclusive (Signet code and the libraries it calls):\n');
    for (const [name, us] of [...inclusive]
      .filter(([n]) => /src\/|jose|better-sqlite3|fastify\/lib\/(reply|handle)|crypto/.test(n))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)) {
      process.stdout.write(`${perReq(us)} ${pct(us)}  ${name}\n`);
    }
    if (values.keep)
      process.stdout.write(`\nprofile kept in ${join(dir, file)} (open it in Chrome DevTools)\n`);
  } finally {
    await gen.close();
    await stopAll();
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
