import type { Database } from 'better-sqlite3';
import { createRowMappers } from '../rows.js';
import type * as Rows from '../rows.js';
import type { LoginCommitOutcome, LoginStore, LoginUnit } from '../types.js';
import { SESSION_SQL } from './createSqliteSessionStore.js';
import { WEBHOOK_SQL } from './createSqliteWebhookOutbox.js';
import { auditParams, familyParams } from './params.js';
import { SQL } from './sql.js';

/** The read `claim` is: the challenge row, left in place (the commit consumes it). */
const GET_CHALLENGE = 'SELECT * FROM challenges WHERE app_id = ? AND id = ?';

const { toChallenge } = createRowMappers<string, number>({
  json: <T>(text: string) => JSON.parse(text) as T,
  int: (n: number) => n,
});

/** Thrown inside the unit's transaction to roll all of it back; caught right outside it. */
class Lost {
  constructor(readonly outcome: Exclude<LoginCommitOutcome, 'committed'>) {}
}

/**
 * A login's writes on the SQLite store (see {@link LoginStore}): `claim` reads the challenge;
 * `commit` is one queued write of the store's group commit (one savepoint in the group's
 * transaction, or its own `BEGIN IMMEDIATE` alone) that deletes the challenge, runs the counter
 * compare-and-set and inserts the session, the audit record and the webhook event. The delete
 * and the compare-and-set are single statements on the one connection, so of any number of
 * commits naming one challenge exactly one deletes it; a loss throws inside the transaction and
 * rolls every statement of the unit back.
 *
 * @example
 * const logins = createSqliteLoginStore(db, run, write);
 */
export function createSqliteLoginStore(
  db: Database,
  run: <T>(work: () => T) => Promise<T>,
  write: <T>(work: () => T) => Promise<T>,
): LoginStore {
  const s = {
    getChallenge: db.prepare<[string, string], Rows.ChallengeRow<string, number>>(GET_CHALLENGE),
    consumeChallenge: db.prepare<[string, string]>(SQL.consumeChallenge),
    markCredentialUsed: db.prepare<[LoginUnit['credential']]>(SQL.markCredentialUsed),
    insertFamily: db.prepare<[Record<string, unknown>]>(SESSION_SQL.insertFamily),
    insertToken: db.prepare<[{ hash: string; appId: string; familyId: string; at: number }]>(
      SESSION_SQL.insertToken,
    ),
    insertAudit: db.prepare<[Record<string, unknown>]>(SQL.insertAudit),
    enqueue: db.prepare<[Record<string, unknown>]>(WEBHOOK_SQL.enqueue),
  };

  function unitOfWork(u: LoginUnit): void {
    const { appId } = u.credential;
    // The consume decides first: a login whose challenge is gone writes nothing.
    if (u.challengeId !== null && s.consumeChallenge.run(appId, u.challengeId).changes !== 1)
      throw new Lost('challenge_lost');
    if (s.markCredentialUsed.run(u.credential).changes !== 1) throw new Lost('counter_lost');
    if (u.session !== null) {
      const f = u.session.family;
      s.insertFamily.run(familyParams(f));
      s.insertToken.run({ hash: u.session.tokenHash, appId: f.appId, familyId: f.id, at: f.createdAt });
    }
    const r = u.audit;
    s.insertAudit.run(auditParams(r));
    if (u.webhook !== null) s.enqueue.run({ ...u.webhook });
  }
  // Alone (one write in its turn, or group commit off), the unit is its own transaction.
  const unitAlone = db.transaction(unitOfWork);

  return {
    claimConsumes: false,
    claim: (appId, challengeId) =>
      run(() => {
        const row = s.getChallenge.get(appId, challengeId);
        return row ? toChallenge(row) : null;
      }),
    spend: (appId, challengeId) => write(() => void s.consumeChallenge.run(appId, challengeId)),
    commit: (unit) =>
      write((): LoginCommitOutcome => {
        // In a group the unit runs in the savepoint the group gives each write, and a loss
        // (thrown) rolls that savepoint back; alone it is its own BEGIN IMMEDIATE transaction.
        if (db.inTransaction) unitOfWork(unit);
        else unitAlone.immediate(unit);
        return 'committed';
      }).catch((e: unknown) => {
        if (e instanceof Lost) return e.outcome;
        throw e;
      }),
  };
}
