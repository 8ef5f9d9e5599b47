import type { Pool } from 'pg';
import { SignetError } from '../../errors/SignetError.js';
import { checkoutClient } from './checkoutClient.js';
import { POSTGRES_MIGRATIONS, type PostgresMigration } from './migrations.js';
import { quoteIdent } from './sql.js';
import { translatePgError } from './translatePgError.js';

/** The first key of the two-key advisory lock every Signet migration takes (the second is the schema). */
const LOCK_NAMESPACE = 'signet.migrations';

const LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at bigint NOT NULL
)`;

export interface MigrationOutcome {
  /** The schema the store lives in (the one asked for, or the connection's `current_schema()`). */
  schema: string;
  /** Versions applied now; empty when the schema was already current. */
  applied: number[];
}

/**
 * Brings a schema up to the latest migration, creating the schema when it is missing. Everything
 * runs in one transaction holding `pg_advisory_xact_lock('signet.migrations', schema)`: when
 * several nodes start at once, one migrates and the others wait, then find the ledger current. A
 * failing migration rolls back whole (Postgres DDL is transactional).
 *
 * Without `schema`, the connection's `current_schema()` is used (its `search_path`, e.g. set with
 * `?options=-csearch_path%3Dname`); when that names no existing schema, it is a configuration
 * error. A ledger that knows a version this code does not (written by a newer Signet) is refused
 * with `store_unavailable` rather than used with a schema it does not understand.
 *
 * @example
 * const { schema, applied } = await applyPostgresMigrations(pool, { schema: 'signet', appliedAt: Date.now() });
 */
export async function applyPostgresMigrations(
  pool: Pool,
  options: { schema?: string | undefined; appliedAt: number; migrations?: readonly PostgresMigration[] },
): Promise<MigrationOutcome> {
  const migrations = options.migrations ?? POSTGRES_MIGRATIONS;
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new TypeError(`migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.length;

  const client = await checkoutClient(pool);
  let broken = false;
  try {
    let schema = options.schema;
    if (schema === undefined) {
      const found =
        (await client.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0]?.s ?? null;
      if (found === null) {
        throw new SignetError(
          'invalid_request',
          'the Postgres search_path names no existing schema; create it, or add ?schema=NAME to the database URL',
        );
      }
      schema = found;
    }
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [
        LOCK_NAMESPACE,
        schema,
      ]);
      // Checked before CREATE: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the
      // database, which a deployment whose schema was made by an administrator may not grant.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
      await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
      await client.query(LEDGER);
      const current = Number(
        (await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations')).rows[0]
          ?.v ?? 0,
      );
      if (current > latest) {
        throw new SignetError(
          'store_unavailable',
          `the Postgres schema ${schema} is at version ${current}, newer than this Signet knows (${latest}); upgrade Signet`,
        );
      }
      const applied: number[] = [];
      for (const m of migrations.slice(current)) {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          options.appliedAt,
        ]);
        applied.push(m.version);
      }
      await client.query('COMMIT');
      return { schema, applied };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw e;
    }
  } catch (e) {
    const translated = translatePgError(e);
    if (!(translated instanceof SignetError) || translated.code === 'store_unavailable') broken = true;
    throw translated;
  } finally {
    client.release(broken);
  }
}
