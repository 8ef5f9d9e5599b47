/**
 * `signet-auth/server`: Signet's HTTP server and stores, for embedding it in your own Node process
 * (what `signet serve` runs). Loads Fastify and, through `openStore`, the database drivers
 * (better-sqlite3, pg) and ioredis. To verify signatures only, import `signet-auth/verify`.
 *
 * @example
 * import { randomBytes } from 'node:crypto';
 * import { buildServer, openStore, createSealer, createRandomSource, silentLogger } from 'signet-auth/server';
 * const store = await openStore({ databaseUrl: 'sqlite:./signet.db' });
 * const server = await buildServer({
 *   deps: {
 *     store, clock: Date.now, random: createRandomSource(), sealer: createSealer(masterKey32Bytes),
 *     issuer: 'https://auth.example.com', log: silentLogger, chainFetch: myChainFetch,
 *   },
 * });
 * await server.listen({ port: 8080 });
 */
export { buildServer, type ServerOptions } from './buildServer.js';
export { openStore, checkStoreConfig, type StoreConfig } from '../store/openStore.js';
export type * from '../store/types.js';
export type { Deps, Logger, ChainFetch } from '../core/deps.js';
export { silentLogger } from '../core/deps.js';
export { createSealer, deriveMasterKey, generateMasterKey, type Sealer } from '../core/sealer.js';
export { createRandomSource } from '../core/random.js';
export * from '../core/webhooks/index.js';
