import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isSignetError } from '../errors/SignetError.js';
import { createSealer, deriveMasterKey, generateMasterKey, type Sealer } from '../core/sealer.js';
import { checkStoreConfig, sqlitePath } from '../store/openStore.js';
import { UsageError, type CliIo } from './io.js';

/** Resolved configuration: flags win over environment variables (docs/api.md "Configuration"). */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string | null;
  basePath: string;
  issuer: string;
  masterKeySource: 'env' | 'file';
}

export interface ConfigFlags {
  port?: string | undefined;
  host?: string | undefined;
  db?: string | undefined;
  redis?: string | undefined;
  'base-path'?: string | undefined;
  issuer?: string | undefined;
}

export function resolveConfig(flags: ConfigFlags, env: CliIo['env']): Omit<Config, 'masterKeySource'> {
  const portText = flags.port ?? env['SIGNET_PORT'] ?? '8080';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    throw new UsageError(`invalid port '${portText}'`);
  const port = Number(portText);
  const host = flags.host ?? env['SIGNET_HOST'] ?? '127.0.0.1';
  const basePath = (flags['base-path'] ?? env['SIGNET_BASE_PATH'] ?? '').replace(/\/+$/, '');
  if (basePath !== '' && !/^\/[A-Za-z0-9._~\/-]*$/.test(basePath))
    throw new UsageError('base path must start with /');
  const publicHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const databaseUrl = flags.db ?? env['SIGNET_DATABASE_URL'] ?? 'sqlite:./signet.db';
  const redisUrl = flags.redis ?? env['SIGNET_REDIS_URL'] ?? null;
  checkDatabaseUrls(databaseUrl, redisUrl);
  return {
    port,
    host,
    databaseUrl,
    redisUrl,
    basePath,
    issuer:
      flags.issuer ??
      env['SIGNET_ISSUER'] ??
      `http://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${port}${basePath}`,
  };
}

/**
 * The database and Redis URLs, checked before anything else happens (before the master key is
 * looked for or generated, before a file is created or a socket opened): an unsupported scheme,
 * or a SQLite file in a directory that does not exist, is a usage error naming the flag.
 */
export function checkDatabaseUrls(databaseUrl: string, redisUrl: string | null): void {
  try {
    checkStoreConfig({ databaseUrl, redisUrl });
  } catch (e) {
    if (isSignetError(e)) throw new UsageError(e.message);
    throw e;
  }
  const path = sqlitePath(databaseUrl);
  if (path === null || path === ':memory:') return;
  const dir = dirname(resolve(path));
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`--db: the directory ${dir} does not exist; create it first`);
  }
  if (!isDir) throw new UsageError(`--db: ${dir} is not a directory`);
  if (existsSync(path) && !statSync(path).isFile())
    throw new UsageError(`--db: ${resolve(path)} exists and is not a file`);
}

/**
 * The admin console's credential, SIGNET_ADMIN_TOKEN (docs/console.md): environment only, never a
 * flag that `ps` would show; null when unset (no console). Checked by `serve` at start-up.
 */
export function readAdminToken(env: CliIo['env']): string | null {
  const token = env['SIGNET_ADMIN_TOKEN'] || null;
  if (token !== null && (token.length < 32 || /[\s\u0000-\u001f\u007f]/.test(token))) {
    throw new UsageError(
      'SIGNET_ADMIN_TOKEN must be at least 32 characters without spaces (e.g. `openssl rand -base64 32`)',
    );
  }
  return token;
}

/**
 * The master key that seals app secrets and signing keys. `SIGNET_MASTER_KEY` when set. Without
 * it, on the embedded SQLite default, Signet keeps a generated key in `<db file>.key` (mode 0600)
 * and says so on stderr: fine for development, while production sets the variable and keeps the
 * key away from the database. A Postgres deployment must set it (every node needs the same key).
 */
export function loadSealer(databaseUrl: string, io: CliIo): { sealer: Sealer; source: 'env' | 'file' } {
  const fromEnv = io.env['SIGNET_MASTER_KEY'];
  if (fromEnv) return { sealer: createSealer(deriveMasterKey(fromEnv)), source: 'env' };
  const path = sqlitePath(databaseUrl);
  if (path === null) {
    throw new UsageError(
      'SIGNET_MASTER_KEY must be set for a shared database (every node needs the same key)',
    );
  }
  if (path === ':memory:')
    return { sealer: createSealer(deriveMasterKey(generateMasterKey())), source: 'file' };
  const keyFile = `${path}.key`;
  if (!existsSync(keyFile)) {
    writeFileSync(keyFile, generateMasterKey() + '\n', { mode: 0o600, flag: 'wx' });
    io.err(
      `signet: SIGNET_MASTER_KEY is not set; generated a master key in ${keyFile} (keep it with the database, set SIGNET_MASTER_KEY in production)`,
    );
  }
  chmodSync(keyFile, 0o600);
  return { sealer: createSealer(deriveMasterKey(readFileSync(keyFile, 'utf8').trim())), source: 'file' };
}
