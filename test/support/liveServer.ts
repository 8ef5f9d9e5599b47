// Signet's dependencies and a real listening server for tests that speak HTTP to it (fetch, a
// browser, an SDK) rather than `inject`: the same wiring `startHarness` uses, without its app.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { silentLogger, type Deps } from '../../src/core/deps.js';
import { createSealer } from '../../src/core/sealer.js';
import { buildServer, type ServerOptions } from '../../src/server/buildServer.js';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';
import type { Store } from '../../src/store/types.js';
import { loopbackUrl } from './network.js';

/** What {@link createTestDeps} may be given; everything else takes a test default. */
export type TestDepsOptions = Partial<Deps> & {
  /** The sealer's master key (default: 32 random bytes). */
  masterKey?: Uint8Array;
};

/**
 * Builds the `Deps` a test server runs on: an in-memory SQLite store on the given clock (default
 * the real one), real randomness, a sealer with a random master key, issuer `http://signet.test`,
 * a silent log and a chain API that finds nothing. Any field given replaces its default.
 *
 * @example
 * const deps = createTestDeps({ clock: createTestClock() });
 * const { app, secret } = await createApp(deps, { name: 'shop' });
 */
export function createTestDeps(options: TestDepsOptions = {}): Deps {
  const { masterKey, ...given } = options;
  const clock = given.clock ?? (() => Date.now());
  return {
    store: given.store ?? createSqliteStore({ path: ':memory:', clock }),
    clock,
    random: (n) => randomBytes(n),
    sealer: createSealer(masterKey ?? randomBytes(32)),
    issuer: 'http://signet.test',
    log: silentLogger,
    chainFetch: async () => ({ rows: [] }),
    ...given,
  };
}

/**
 * Makes a Fastify server listen on 127.0.0.1 at a free port and returns its base URL.
 *
 * @example
 * const url = await listenOnLoopback(await buildServer({ deps }));
 */
export async function listenOnLoopback(server: FastifyInstance): Promise<string> {
  await server.listen({ port: 0, host: '127.0.0.1' });
  return loopbackUrl(server.server.address());
}

/** A Signet server listening on 127.0.0.1, with what it runs on. */
export interface LiveServer {
  server: FastifyInstance;
  deps: Deps;
  store: Store;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Closes the server, then its store. */
  close(): Promise<void>;
}

/**
 * Builds Signet on `deps` (default {@link createTestDeps}) with the given server options and makes
 * it listen on a free loopback port. Create apps on `deps` before or after: the server reads them
 * from the store per request.
 *
 * @example
 * const live = await startLiveServer({ server: { adminToken } });
 * const r = await fetch(`${live.url}/console/api/apps`, { headers: { authorization: `Bearer ${adminToken}` } });
 * await live.close();
 */
export async function startLiveServer(
  options: { deps?: Deps; server?: Omit<ServerOptions, 'deps'> } = {},
): Promise<LiveServer> {
  const deps = options.deps ?? createTestDeps();
  const server = await buildServer({ deps, ...options.server });
  const url = await listenOnLoopback(server);
  return {
    server,
    deps,
    store: deps.store,
    url,
    close: async () => {
      await server.close();
      await deps.store.close();
    },
  };
}
