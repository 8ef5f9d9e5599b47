import type { Database } from 'better-sqlite3';
import { SignetError } from '../../errors/SignetError.js';
import { MIGRATIONS, type SqliteMigration } from './migrations.js';

const LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT`;

/**
 * Brings a database up to the latest migration and returns the versions it applied (empty when
 * the schema was already current). All pending migrations run in one `BEGIN IMMEDIATE`
 * transaction that re-reads the ledger first, so two processes opening the same new file do not
 * both migrate it, and a failing migration leaves the file exactly as it was.
 *
 * A database whose ledger knows a version this code does not (written by a newer Signet) is
 * refused with `store_unavailable` rather than used with a schema it does not understand.
 *
 * @example
 * const applied = applyMigrations(db, clock()); // [1] on a new file, [] on the next start
 */
export function applyMigrations(
  db: Database,
  appliedAt: number,
  migrations: readonly SqliteMigration[] = MIGRATIONS,
): number[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new TypeError(`migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.length;
  const run = db.transaction((): number[] => {
    db.exec(LEDGER);
    const current =
      (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
    if (current > latest) {
      throw new SignetError(
        'store_unavailable',
        `the SQLite schema is at version ${current}, newer than this Signet knows (${latest}); upgrade Signet`,
      );
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    const applied: number[] = [];
    for (const m of migrations.slice(current)) {
      db.exec(m.sql);
      record.run(m.version, m.name, appliedAt);
      applied.push(m.version);
    }
    // user_version mirrors the ledger for tools that only read the header (sqlite3 CLI, backups).
    if (applied.length > 0) db.pragma(`user_version = ${latest}`);
    return applied;
  });
  return run.immediate();
}
