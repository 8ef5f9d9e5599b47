import { SignetError } from '../../errors/SignetError.js';

/**
 * SQLSTATE classes that mean "the database cannot serve now", not "this request is wrong"
 * (PostgreSQL Appendix A): connection exceptions, invalid transaction state (a read-only standby
 * after a fail-over), invalid authorization, invalid catalog name, transaction rollback
 * (serialization failure, deadlock), insufficient resources, object not in prerequisite state
 * (lock not available), operator intervention (shutdown, statement timeout), system errors, and
 * internal errors.
 */
const UNAVAILABLE_CLASSES = new Set(['08', '25', '28', '3D', '40', '53', '55', '57', '58', 'XX']);

/** A SQLSTATE is five characters of digits and upper-case letters. */
function sqlState(e: unknown): string | null {
  if (typeof e !== 'object' || e === null || !('code' in e)) return null;
  const code = (e as { code: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/**
 * True when `e` comes from the connection rather than from the server's answer to a statement
 * (no SQLSTATE: a refused or reset socket, a connect or query timeout, a pool that was ended), or
 * from a SQLSTATE class that marks the session unusable. Such a client is destroyed, not reused.
 */
export function isConnectionFailure(e: unknown): boolean {
  if (e instanceof SignetError || e instanceof TypeError || e instanceof RangeError) return false;
  const state = sqlState(e);
  return state === null || state.startsWith('08') || state.startsWith('57') || state === 'XX000';
}

/**
 * Turns a `pg` error into Signet's (STYLE.md habit 3, fail closed):
 * - `23505` unique violation → `conflict`; `23503` foreign key violation (the app does not exist)
 *   → `not_found`; any other data exception (class `22`: a NUL byte in a string, a number out of
 *   range) → `invalid_request`;
 * - no SQLSTATE (socket, timeout, ended pool) or an unavailable class → `store_unavailable`, so
 *   the request answers 503 and nothing is accepted;
 * - anything else (a syntax error is Signet's bug) is returned unchanged.
 *
 * @example
 * try { await pool.query(sql) } catch (e) { throw translatePgError(e) }
 */
export function translatePgError(e: unknown): unknown {
  if (e instanceof SignetError || e instanceof TypeError || e instanceof RangeError) return e;
  const state = sqlState(e);
  if (state === null)
    return new SignetError('store_unavailable', 'the Postgres store is unreachable', { cause: e });
  if (state === '23505') return new SignetError('conflict', undefined, { cause: e });
  if (state === '23503') return new SignetError('not_found', 'The app does not exist.', { cause: e });
  if (state.startsWith('22'))
    return new SignetError('invalid_request', 'A value cannot be stored.', { cause: e });
  if (UNAVAILABLE_CLASSES.has(state.slice(0, 2))) {
    return new SignetError('store_unavailable', undefined, { cause: e });
  }
  return e;
}
