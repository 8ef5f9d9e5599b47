import type { Deps, Logger } from '../core/deps.js';
import { silentLogger } from '../core/deps.js';
import { createRandomSource } from '../core/random.js';
import { fetchChainJson, readMetadataSource } from './chainFetch.js';
import { openStore, sqlitePath } from '../store/openStore.js';
import { requireMasterKey } from './checkMasterKey.js';
import { describeStoreFailure } from './storeFailure.js';
import { loadSealer, resolveConfig, type Config, type ConfigFlags } from './config.js';
import type { CliIo } from './io.js';

/** The store-backed runtime the CLI verbs share (`serve`, `app`, `keys`). */
export interface Runtime {
  deps: Deps;
  config: Config;
  close(): Promise<void>;
}

/** Options every store verb takes (docs/api.md: the same --db as serve). */
export const storeOptions = {
  db: { type: 'string' },
  redis: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export async function openRuntime(
  flags: ConfigFlags,
  io: CliIo,
  log: Logger = silentLogger,
): Promise<Runtime> {
  const base = resolveConfig(flags, io.env);
  const { sealer, source } = loadSealer(base.databaseUrl, io);
  const store = await openStore({ databaseUrl: base.databaseUrl, redisUrl: base.redisUrl }).catch(
    (e: unknown) => {
      throw describeStoreFailure(e, base.databaseUrl, base.redisUrl) ?? e;
    },
  );
  const deps: Deps = {
    store,
    clock: () => Date.now(),
    random: createRandomSource(),
    sealer,
    issuer: base.issuer,
    log,
    chainFetch: fetchChainJson,
    metadataFetch: readMetadataSource,
  };
  try {
    const path = sqlitePath(base.databaseUrl);
    const keyFile = path !== null && path !== ':memory:' ? `${path}.key` : null;
    for (const warning of await requireMasterKey(deps, source, keyFile)) io.err(warning);
  } catch (e) {
    await store.close();
    throw e;
  }
  return { deps, config: { ...base, masterKeySource: source }, close: () => store.close() };
}
