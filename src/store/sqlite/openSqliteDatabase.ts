import { closeSync, constants, openSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { SignetError } from '../../errors/SignetError.js';

/** How long a connection waits for another one's write lock before giving up, ms. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens an SQLite file (or `:memory:`) with the connection settings Signet relies on:
 * - `journal_mode = WAL` on files: readers never block the writer, and several processes
 *   (`signet serve` plus a CLI verb) can share one file;
 * - `busy_timeout = 5000`: a writer waits for the lock instead of failing at once;
 * - `synchronous = NORMAL`: in WAL mode a commit is durable against a crash of the process,
 *   and the database stays consistent across power loss (it may lose the last commits);
 * - `foreign_keys = ON`: SQLite checks `REFERENCES` only when asked, per connection.
 *
 * A new database file is created with mode 0600 before SQLite opens it (SQLite's default is
 * 0644, less the umask), and SQLite gives its `-wal` and `-shm` files the database file's mode.
 * A file that cannot be opened or set up throws `store_unavailable` at start-up.
 *
 * @example
 * const db = openSqliteDatabase('./signet.db');
 */
export function openSqliteDatabase(path: string): Database {
  if (typeof path !== 'string' || path === '') {
    throw new TypeError("openSqliteDatabase: path must be a file path or ':memory:'");
  }
  let db: Database | undefined;
  try {
    if (path !== ':memory:') createPrivately(path);
    db = new BetterSqlite3(path, { timeout: BUSY_TIMEOUT_MS });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!db.memory) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`journal_mode is '${String(mode)}', WAL is not available here`);
    }
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    return db;
  } catch (e) {
    if (db?.open) db.close();
    throw new SignetError('store_unavailable', `cannot open the SQLite database '${path}'`, { cause: e });
  }
}

/** Creates an empty database file with mode 0600 unless one exists (SQLite reads empty as new). */
function createPrivately(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw e;
  }
  closeSync(fd);
}
