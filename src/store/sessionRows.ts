import type { SessionFamily } from './types.js';

/** A `session_families` row as the SQL adapters read it; `N` is how the driver hands back integers. */
export interface SessionFamilyRow<N> {
  app_id: string;
  id: string;
  user_id: string;
  credential_id: string | null;
  amr: string;
  created_at: N;
  expires_at: N;
  refreshed_at: N | null;
  revoked_at: N | null;
  revoked_reason: string | null;
}

/**
 * The row-to-object mapper for session families, for one driver's integer representation.
 *
 * @example
 * const toFamily = createFamilyMapper((n: number) => n);
 */
export function createFamilyMapper<N>(int: (v: N) => number): (r: SessionFamilyRow<N>) => SessionFamily {
  const intOrNull = (v: N | null): number | null => (v === null ? null : int(v));
  return (r) => ({
    id: r.id,
    appId: r.app_id,
    userId: r.user_id,
    credentialId: r.credential_id,
    amr: r.amr,
    createdAt: int(r.created_at),
    expiresAt: int(r.expires_at),
    refreshedAt: intOrNull(r.refreshed_at),
    revokedAt: intOrNull(r.revoked_at),
    revokedReason: r.revoked_reason,
  });
}

/** Families one prune batch deletes. */
export const SESSION_PRUNE_BATCH = 1000;

/** Most active families `listActiveByUser` returns. */
export const SESSION_LIST_LIMIT = 1000;
