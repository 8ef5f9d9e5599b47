import type { AuditQuery } from './types.js';

/** How an SQL adapter spells what differs between dialects. */
export interface AuditSqlDialect {
  /** The placeholder of the n-th value (1-based): `?` for SQLite, `$n` for Postgres. */
  param(n: number): string;
  /**
   * A case-sensitive "column starts with the prefix": `p` and `again` are two placeholders that
   * both hold the prefix (SQLite's `?` cannot be used twice).
   */
  startsWith(column: string, p: string, again: string): string;
  /** The audit table's name as it appears in SQL. */
  table: string;
  /** The columns to select. */
  columns: string;
}

/**
 * The SELECT of `AuditStore.list` for one query, shared by the SQL adapters: the WHERE clause is
 * built from fixed fragments only (values always travel as parameters), in a fixed order, so a
 * query shape maps to one SQL text that an adapter may prepare once. Ordered by `at DESC, seq DESC`
 * on the `(app_id, at)` index; the keyset cursor reads the cursor record's `seq` by its unique id.
 */
export function buildAuditListSql(
  dialect: AuditSqlDialect,
  appId: string,
  query: AuditQuery,
  limit: number,
): { text: string; values: Array<string | number> } {
  const values: Array<string | number> = [];
  const p = (value: string | number): string => {
    values.push(value);
    return dialect.param(values.length);
  };
  const where = [`app_id = ${p(appId)}`];
  if (query.userId !== undefined) where.push(`user_id = ${p(query.userId)}`);
  if (query.userPrefix !== undefined && query.userPrefix !== '')
    where.push(dialect.startsWith('user_id', p(query.userPrefix), p(query.userPrefix)));
  if (query.scheme !== undefined) where.push(`scheme = ${p(query.scheme)}`);
  if (query.action !== undefined) where.push(`action = ${p(query.action)}`);
  if (query.outcome !== undefined) where.push(`outcome = ${p(query.outcome)}`);
  if (query.reason !== undefined) where.push(`reason = ${p(query.reason)}`);
  if (query.before !== undefined) where.push(`at < ${p(query.before)}`);
  if (query.after !== undefined) {
    const at = p(query.after.at);
    const again = p(query.after.at);
    const id = p(query.after.id);
    const app = p(appId);
    where.push(
      `(at < ${at} OR (at = ${again} AND seq < COALESCE((SELECT c.seq FROM ${dialect.table} c WHERE c.id = ${id} AND c.app_id = ${app}), 0)))`,
    );
  }
  const text = `SELECT ${dialect.columns} FROM ${dialect.table} WHERE ${where.join(' AND ')} ORDER BY at DESC, seq DESC LIMIT ${p(limit)}`;
  return { text, values };
}
