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
