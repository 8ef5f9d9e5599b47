import type { AuditRecord, SessionFamily } from '../types.js';

/**
 * The named parameters of `insertAudit` / `aggregateAudit` (sql.ts) for one record: every column
 * but `count`, which the statements set themselves.
 */
export function auditParams(r: AuditRecord): Record<string, unknown> {
  return {
    id: r.id,
    appId: r.appId,
    at: r.at,
    scheme: r.scheme,
    action: r.action,
    outcome: r.outcome,
    reason: r.reason,
    userId: r.userId,
    credentialId: r.credentialId,
    ip: r.ip,
  };
}

/** The named parameters of the session store's `insertFamily` for one family. */
export function familyParams(f: SessionFamily): Record<string, unknown> {
  return {
    appId: f.appId,
    id: f.id,
    userId: f.userId,
    credentialId: f.credentialId,
    amr: f.amr,
    createdAt: f.createdAt,
    expiresAt: f.expiresAt,
    refreshedAt: f.refreshedAt,
    revokedAt: f.revokedAt,
    revokedReason: f.revokedReason,
  };
}
