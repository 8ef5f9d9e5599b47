import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createApp, type NewApp } from '../../src/core/apps.js';
import type { Deps } from '../../src/core/deps.js';
import { buildServer, type ServerOptions } from '../../src/server/buildServer.js';
import { signTiniappRequest } from '../../src/schemes/tiniapp/index.js';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';
import type { App, Store } from '../../src/store/types.js';
import type { CliIo } from '../../src/cli/io.js';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import { createTestDeps, listenOnLoopback } from './liveServer.js';

/** A movable clock for tests. */
export interface TestClock {
  (): number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function createTestClock(start = Date.now()): TestClock {
  let now = start;
  const clock = (() => now) as TestClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}

export interface Harness {
  server: FastifyInstance;
  deps: Deps;
  store: Store;
  clock: TestClock;
  app: App;
  secret: string;
  /** A Tiniapp-signed server-API request through `inject`. */
  signed(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<LightMyRequestResponse>;
  /** A public request through `inject`. */
  call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  app?: Partial<NewApp>;
  /** A real file instead of `:memory:` (restart tests). */
  dbPath?: string;
  basePath?: string;
  chainFetch?: Deps['chainFetch'];
  masterKey?: Uint8Array;
  clock?: TestClock;
  /** FIDO metadata BLOB reading and roots (enterprise passkeys tests). */
  metadata?: Pick<Deps, 'metadataFetch' | 'metadataRoots'>;
  /** Another store than a fresh SQLite one (e.g. Postgres + Redis); the harness closes it. */
  store?: Store;
  /** Reuse an app already in the store (restart tests) instead of creating one. */
  existingApp?: { id: string; secret: string };
  /** The rate limits' back-off wait (default: the server's real timer). */
  sleep?: Deps['sleep'];
  /** More server options (trustProxy, metricsToken, requestTimeoutMs, adminToken, ...). */
  server?: Omit<ServerOptions, 'deps' | 'basePath'>;
}

/** Starts Signet on an SQLite store with one app, for `inject` tests (no socket). */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? createTestClock();
  const store = options.store ?? createSqliteStore({ path: options.dbPath ?? ':memory:', clock });
  const deps = createTestDeps({
    store,
    clock,
    ...(options.masterKey ? { masterKey: options.masterKey } : {}),
    ...(options.chainFetch ? { chainFetch: options.chainFetch } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...options.metadata,
  });
  let app: App;
  let secret: string;
  if (options.existingApp) {
    const found = await store.apps.get(options.existingApp.id);
    if (!found) throw new Error(`no app ${options.existingApp.id} in the store`);
    app = found;
    secret = options.existingApp.secret;
  } else {
    ({ app, secret } = await createApp(deps, {
      name: 'test app',
      origins: ['https://app.example'],
      ...options.app,
    }));
  }
  const basePath = options.basePath ?? '';
  const server = await buildServer({ deps, basePath, ...options.server });
  let lastSigned = 0;
  const signed: Harness['signed'] = (method, path, body) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const s = signTiniappRequest({
      clientId: app.id,
      secret,
      // Never the same timestamp twice: identical requests would otherwise be replays.
      timestamp: (lastSigned = Math.max(clock(), lastSigned + 1)),
      ...(text === undefined ? { path } : { body: text }),
    });
    return server.inject({
      method,
      url: basePath + path,
      headers: { ...s.headers, ...(text === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(text === undefined ? {} : { payload: text }),
    });
  };
  const call: Harness['call'] = (method, path, body, headers = {}) =>
    server.inject({
      method,
      url: basePath + path,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  return {
    server,
    deps,
    store,
    clock,
    app,
    secret,
    signed,
    call,
    close: async () => {
      await server.close();
      await store.close();
    },
  };
}

/** A fresh temp directory, removed by the returned function. */
export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'signet-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The `error.code` of a JSON error answer. */
export function errorCode(response: LightMyRequestResponse): string | undefined {
  try {
    return (JSON.parse(response.body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

/** Makes the harness's server listen on a real socket (127.0.0.1, a free port); returns its URL. */
export async function listen(h: Harness): Promise<string> {
  return listenOnLoopback(h.server);
}

/**
 * Makes the harness's server listen (as {@link listen}) and builds the server-API client of its app,
 * signing on the harness clock.
 *
 * @example
 * const { baseUrl, client } = await listenWithClient(h);
 * assert.equal((await client.listCredentials('alice')).status, 200);
 */
export async function listenWithClient(h: Harness): Promise<{ baseUrl: string; client: SignetClient }> {
  const baseUrl = await listen(h);
  return {
    baseUrl,
    client: createSignetClient({ baseUrl, appId: h.app.id, secret: h.secret, now: h.clock }),
  };
}

/** A CliIo that records what a verb prints. */
export function captureIo(
  env: Record<string, string | undefined> = {},
  stdin = '',
): CliIo & { stdout(): string; stderr(): string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    readStdin: async () => stdin,
    env,
    stdout: () => out.join('\n'),
    stderr: () => err.join('\n'),
  };
}
