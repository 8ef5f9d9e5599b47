/**
 * Real `signet` processes for the scale-out tests: `node --import tsx src/cli/main.ts serve ...`
 * as child processes sharing one Postgres schema (and Redis), plus the CLI for `app create`, and
 * small HTTP helpers for the flows. Every child is killed when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

/** Every token issued by any node names this issuer: the nodes form one deployment. */
export const CLUSTER_ISSUER = 'http://signet.cluster.test';

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export interface ClusterConfig {
  databaseUrl: string;
  redisUrl?: string;
  masterKey: string;
}

/** A fresh master key, the same for every node of one cluster. */
export function newMasterKey(): string {
  return randomBytes(32).toString('hex');
}

function childEnv(config: ClusterConfig): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SIGNET_')) env[k] = v;
  return { ...env, SIGNET_MASTER_KEY: config.masterKey, SIGNET_LOG_LEVEL: 'warn' };
}

function storeFlags(config: ClusterConfig): string[] {
  return ['--db', config.databaseUrl, ...(config.redisUrl ? ['--redis', config.redisUrl] : [])];
}

/** Runs one CLI verb to completion; returns its exit code and output. */
export async function runSignet(
  args: string[],
  config: ClusterConfig,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...CLI, ...args, ...storeFlags(config)], {
    cwd: ROOT,
    env: childEnv(config),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  children.delete(child);
  return { code, stdout, stderr };
}

/** `signet app create --json` on the cluster's store. */
export async function createClusterApp(
  config: ClusterConfig,
  extra: string[] = [],
): Promise<{ appId: string; secret: string }> {
  const { code, stdout, stderr } = await runSignet(
    ['app', 'create', '--name', 'cluster', '--json', ...extra],
    config,
  );
  if (code !== 0) throw new Error(`signet app create exited ${code}: ${stderr}`);
  const parsed = JSON.parse(stdout) as { appId: string; secret: string };
  return { appId: parsed.appId, secret: parsed.secret };
}

/** A free TCP port on 127.0.0.1 (for servers that must be restarted on the same port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

export interface SignetNode {
  readonly name: string;
  readonly url: string;
  readonly process: ChildProcess;
  /** The node's stderr so far (for failure messages). */
  log(): string;
  /** SIGKILL: no shutdown, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

/**
 * Starts `signet serve` on a free port and resolves when it listens and `/readyz` answers 200.
 */
export async function startNode(
  name: string,
  config: ClusterConfig,
  timeoutMs = 90_000,
  /** More `serve` flags (e.g. `--webhook-timeout 3`). */
  extraArgs: string[] = [],
): Promise<SignetNode> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...CLI,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--issuer',
      CLUSTER_ISSUER,
      ...storeFlags(config),
      ...extraArgs,
    ],
    { cwd: ROOT, env: childEnv(config), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = once(child, 'exit').then(() => children.delete(child));
  const url = `http://127.0.0.1:${port}`;
  const node: SignetNode = {
    name,
    url,
    process: child,
    log: () => stderr,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`node ${name} exited before it was ready:\n${stderr}`);
    }
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.status === 200) return node;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await node.kill();
      throw new Error(`node ${name} not ready after ${timeoutMs} ms:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}

export interface JsonResponse {
  status: number;
  body: any;
}

/** A public JSON request; a refused or reset connection resolves as status 0. */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<JsonResponse> {
  try {
    const response = await fetch(baseUrl + path, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: response.status, body: parsed };
  } catch {
    return { status: 0, body: null };
  }
}
