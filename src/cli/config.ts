import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { existsSync, statSync } from 'node:fs';
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
  /** True when `issuer` was built from host and port (no --issuer / SIGNET_ISSUER). */
  issuerDerived: boolean;
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
  const explicitIssuer = flags.issuer ?? env['SIGNET_ISSUER'];
  if (explicitIssuer !== undefined) checkIssuer(explicitIssuer);
  return {
    port,
    host,
    databaseUrl,
    redisUrl,
    basePath,
    issuer: explicitIssuer ?? derivedIssuer(publicHost, port, basePath),
    issuerDerived: explicitIssuer === undefined,
  };
}

/**
 * An issuer must be an absolute http(s) URL without query or fragment (RFC 8414 §2): discovery
 * builds every endpoint URL under it, and relying parties compare it byte for byte with `iss`.
 */
function checkIssuer(issuer: string): void {
  let url: URL | null = null;
  try {
    url = new URL(issuer);
  } catch {
    // refused below
  }
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash)
    throw new UsageError(
      `--issuer must be the public http(s) URL clients use, e.g. https://auth.example.com (got '${issuer.slice(0, 100)}')`,
    );
}

/**
 * The issuer of a server without --issuer: `http://HOST:PORT/BASE`. It is one fixed string for
 * the process, never built from a request's Host header; relying parties read it from discovery
 * (docs/tokens.md) rather than from the URL they used to reach Signet.
 */
export function derivedIssuer(publicHost: string, port: number, basePath: string): string {
  return `http://${publicHost.includes(':') ? `[${publicHost}]` : publicHost}:${port}${basePath}`;
}

/**
 * The database and Redis URLs, checked before anything else happens (before the master key is
 * looked for or generated, before a file is created or a socket opened): an unsupported scheme,
 * or a SQLite file in a directory that does not exist, is a usage error naming the flag.
 */
export function checkDatabaseUrls(databaseUrl: string, redisUrl: string | null): void {
  // `--db ./signet.db`: a path where a URL belongs (the commonest slip), said in its own words.
  if (!/^[a-z][a-z0-9+.-]*:/i.test(databaseUrl))
    throw new UsageError(
      `--db (or SIGNET_DATABASE_URL) '${databaseUrl.slice(0, 200)}' is a path, not a database URL: write sqlite:${databaseUrl.slice(0, 200)} for a SQLite file, or postgres://user@host:5432/db`,
    );
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
  if (createKeyFile(keyFile)) {
    io.err(
      `signet: SIGNET_MASTER_KEY is not set; generated a master key in ${keyFile} (keep it with the database, set SIGNET_MASTER_KEY in production)`,
    );
  }
  return { sealer: createSealer(deriveMasterKey(readKeyFile(keyFile))), source: 'file' };
}

/**
 * Creates the key file exclusively (O_CREAT | O_EXCL | O_NOFOLLOW, mode 0600): never through a
 * symlink, never over a file someone else put there. False when it already exists.
 */
function createKeyFile(keyFile: string): boolean {
  let fd: number;
  try {
    fd = openSync(
      keyFile,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
      0o600,
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new UsageError(`cannot create the master key file ${keyFile}: ${(e as Error).message}`);
  }
  try {
    writeSync(fd, generateMasterKey() + '\n');
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Reads an existing key file after checking it (docs/api.md "Files"): a regular file, not a
 * symlink, mode 0600 (nobody else may read it), owned by the user running Signet. Anything else
 * stops the start with an error that says what to fix; the file is never changed.
 */
function readKeyFile(keyFile: string): string {
  const refuse = (why: string) =>
    new UsageError(
      `the master key file ${keyFile} ${why}; fix it (a regular file, mode 0600, owned by the user running signet) or set SIGNET_MASTER_KEY`,
    );
  const link = lstatSync(keyFile);
  if (link.isSymbolicLink()) throw refuse('is a symbolic link');
  let fd: number;
  try {
    fd = openSync(keyFile, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    throw refuse(`cannot be opened (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    // Checked on the open descriptor: what is read is what was checked.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw refuse('is not a regular file');
    if ((stat.mode & 0o777) !== 0o600)
      throw refuse(`has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}, not 0600`);
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid())
      throw refuse(`is owned by uid ${stat.uid}, not by the running user (${process.getuid()})`);
    const text = readFileSync(fd, 'utf8').trim();
    if (text === '') throw refuse('is empty');
    return text;
  } finally {
    closeSync(fd);
  }
}
