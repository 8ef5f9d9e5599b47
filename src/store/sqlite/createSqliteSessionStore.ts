import type { Database } from 'better-sqlite3';
import {
  createFamilyMapper,
  SESSION_LIST_LIMIT,
  SESSION_PRUNE_BATCH,
  type SessionFamilyRow,
} from '../sessionRows.js';
import type { RotateOutcome, SessionFamily, SessionStore } from '../types.js';
import { familyParams } from './params.js';

/** The statements of the session store (see `sql.ts` for the conventions). */
export const SESSION_SQL = {
  insertFamily: `INSERT INTO session_families
    (app_id, id, user_id, credential_id, amr, created_at, expires_at, refreshed_at, revoked_at, revoked_reason)
    VALUES (@appId, @id, @userId, @credentialId, @amr, @createdAt, @expiresAt, @refreshedAt, @revokedAt, @revokedReason)`,
  insertToken: `INSERT INTO refresh_tokens (hash, app_id, family_id, issued_at, used_at)
    VALUES (@hash, @appId, @familyId, @at, NULL)`,
  getFamily: 'SELECT * FROM session_families WHERE app_id = ? AND id = ?',
  findByToken: `SELECT f.* FROM refresh_tokens t
    JOIN session_families f ON f.app_id = t.app_id AND f.id = t.family_id
    WHERE t.app_id = ? AND t.hash = ?`,
  /** A token's family, with the token's own state (for the retry grace). */
  findTokenState: `SELECT f.*, t.used_at AS token_used_at, t.replaced_by AS token_replaced_by
    FROM refresh_tokens t
    JOIN session_families f ON f.app_id = t.app_id AND f.id = t.family_id
    WHERE t.app_id = ? AND t.hash = ?`,
  /**
   * The compare-and-set that spends a token and links it to its successor: only one caller sees
   * `changes = 1`. A successor spent by a retry (`next` null) gets no link: it has no grace.
   */
  spendToken: `UPDATE refresh_tokens SET used_at = @at, replaced_by = @next
    WHERE app_id = @appId AND hash = @hash AND used_at IS NULL`,
  touchFamily: 'UPDATE session_families SET refreshed_at = @at WHERE app_id = @appId AND id = @id',
  revokeFamily: `UPDATE session_families SET revoked_at = @at, revoked_reason = @reason
    WHERE app_id = @appId AND id = @id AND revoked_at IS NULL`,
  revokeByUser: `UPDATE session_families SET revoked_at = @at, revoked_reason = @reason
    WHERE app_id = @appId AND user_id = @userId AND revoked_at IS NULL AND expires_at > @at`,
  revokeByCredential: `UPDATE session_families SET revoked_at = @at, revoked_reason = @reason
    WHERE app_id = @appId AND credential_id = @credentialId AND revoked_at IS NULL AND expires_at > @at`,
  listActiveByUser: `SELECT * FROM session_families
    WHERE app_id = @appId AND user_id = @userId AND revoked_at IS NULL AND expires_at > @now
    ORDER BY created_at DESC, id LIMIT @limit`,
  pruneFamilies: `DELETE FROM session_families WHERE rowid IN
    (SELECT rowid FROM session_families WHERE expires_at < @before LIMIT @limit)`,
} as const;

type Row = SessionFamilyRow<number>;
type TokenStateRow = Row & { token_used_at: number | null; token_replaced_by: string | null };
const toFamily = createFamilyMapper((n: number) => n);

/**
 * Session families on the SQLite store's connection. Rotation runs in one `BEGIN IMMEDIATE`
 * transaction around a compare-and-set `UPDATE ... WHERE used_at IS NULL`, so of two processes
 * presenting one token exactly one spends it (and of two retries inside the grace, exactly one
 * spends the successor). Deleting a family cascades to its tokens (`foreign_keys` is on for every
 * Signet connection).
 *
 * @example
 * const sessions = createSqliteSessionStore(db, run);
 */
export function createSqliteSessionStore(
  db: Database,
  run: <T>(work: () => T) => Promise<T>,
  /**
   * Runs a write: the store's group commit (`createSqliteStore`), so a login's session joins the
   * transaction of its other writes; `run` when not given.
   */
  write: <T>(work: () => T) => Promise<T> = run,
): SessionStore {
  const s = {
    insertFamily: db.prepare<[Record<string, unknown>]>(SESSION_SQL.insertFamily),
    insertToken: db.prepare<[{ hash: string; appId: string; familyId: string; at: number }]>(
      SESSION_SQL.insertToken,
    ),
    getFamily: db.prepare<[string, string], Row>(SESSION_SQL.getFamily),
    findByToken: db.prepare<[string, string], Row>(SESSION_SQL.findByToken),
    findTokenState: db.prepare<[string, string], TokenStateRow>(SESSION_SQL.findTokenState),
    spendToken: db.prepare<[{ appId: string; hash: string; next: string | null; at: number }]>(
      SESSION_SQL.spendToken,
    ),
    touchFamily: db.prepare<[{ appId: string; id: string; at: number }]>(SESSION_SQL.touchFamily),
    revokeFamily: db.prepare<[{ appId: string; id: string; reason: string; at: number }]>(
      SESSION_SQL.revokeFamily,
    ),
    revokeByUser: db.prepare<[{ appId: string; userId: string; reason: string; at: number }]>(
      SESSION_SQL.revokeByUser,
    ),
    revokeByCredential: db.prepare<[{ appId: string; credentialId: string; reason: string; at: number }]>(
      SESSION_SQL.revokeByCredential,
    ),
    listActiveByUser: db.prepare<[{ appId: string; userId: string; now: number; limit: number }], Row>(
      SESSION_SQL.listActiveByUser,
    ),
    pruneFamilies: db.prepare<[{ before: number; limit: number }]>(SESSION_SQL.pruneFamilies),
  };

  const createFamily = db.transaction((f: SessionFamily, hash: string): void => {
    s.insertFamily.run(familyParams(f));
    s.insertToken.run({ hash, appId: f.appId, familyId: f.id, at: f.createdAt });
  });

  const rotate = db.transaction(
    (appId: string, hash: string, next: string, at: number, graceMs: number): RotateOutcome => {
      const row = s.findTokenState.get(appId, hash);
      if (!row) return { outcome: 'unknown' };
      const family = toFamily(row);
      if (family.revokedAt !== null || family.expiresAt <= at) return { outcome: 'inactive', family };
      let retried = false;
      if (s.spendToken.run({ appId, hash, next, at }).changes !== 1) {
        // Spent before. A retry inside the grace whose successor nobody used takes the
        // successor's place (spending it, so its holder is now the one presenting reuse);
        // anything else means someone holds a copy of a rotated token, and the family goes.
        const successor = row.token_replaced_by;
        retried =
          graceMs > 0 &&
          successor !== null &&
          row.token_used_at !== null &&
          row.token_used_at + graceMs >= at &&
          s.spendToken.run({ appId, hash: successor, next: null, at }).changes === 1;
        if (!retried) {
          s.revokeFamily.run({ appId, id: family.id, reason: 'refresh_reuse', at });
          return { outcome: 'reused', family: { ...family, revokedAt: at, revokedReason: 'refresh_reuse' } };
        }
      }
      s.insertToken.run({ hash: next, appId, familyId: family.id, at });
      s.touchFamily.run({ appId, id: family.id, at });
      const rotated = { ...family, refreshedAt: at };
      return retried
        ? { outcome: 'rotated', family: rotated, retried: true }
        : { outcome: 'rotated', family: rotated };
    },
  );

  return {
    create: (family, tokenHash) => write(() => createFamily.immediate(family, tokenHash)),
    get: (appId, familyId) =>
      run(() => {
        const row = s.getFamily.get(appId, familyId);
        return row ? toFamily(row) : null;
      }),
    findByToken: (appId, tokenHash) =>
      run(() => {
        const row = s.findByToken.get(appId, tokenHash);
        return row ? toFamily(row) : null;
      }),
    rotate: (appId, tokenHash, nextHash, at, graceMs) =>
      write(() => rotate.immediate(appId, tokenHash, nextHash, at, graceMs)),
    revoke: (appId, familyId, reason, at) =>
      write(() => s.revokeFamily.run({ appId, id: familyId, reason, at }).changes === 1),
    revokeByUser: (appId, userId, reason, at) =>
      write(() => s.revokeByUser.run({ appId, userId, reason, at }).changes),
    revokeByCredential: (appId, credentialId, reason, at) =>
      write(() => s.revokeByCredential.run({ appId, credentialId, reason, at }).changes),
    listActiveByUser: (appId, userId, now) =>
      run(() => s.listActiveByUser.all({ appId, userId, now, limit: SESSION_LIST_LIMIT }).map(toFamily)),
    prune: (before) =>
      write(() => {
        let total = 0;
        for (;;) {
          const n = s.pruneFamilies.run({ before, limit: SESSION_PRUNE_BATCH }).changes;
          total += n;
          if (n < SESSION_PRUNE_BATCH) return total;
        }
      }),
  };
}
