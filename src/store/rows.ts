import type {
  App,
  AuditRecord,
  Challenge,
  Credential,
  CredentialType,
  DisplacedCredential,
  MykeySession,
  MykeyStatus,
  SigningKey,
} from './types.js';

/**
 * The table rows the SQL adapters share (the same columns in SQLite and Postgres) and their
 * mapping to the store's objects. The adapters differ only in how a driver hands back a JSON
 * column (`J`: text in SQLite, parsed jsonb in Postgres) and a 64-bit integer (`N`: a number in
 * better-sqlite3, a string from `pg`), which a {@link ColumnCodec} turns into plain values.
 */
export interface ColumnCodec<J, N> {
  /** A JSON column this store wrote itself: nothing untrusted arrives here. */
  json<T>(value: J): T;
  /** A Unix-ms or counter column: always a safe integer. */
  int(value: N): number;
}

export interface AppRow<J, N> {
  id: string;
  name: string;
  secrets: J;
  rp_id: string | null;
  origins: J;
  settings: J;
  created_at: N;
}

export interface CredentialRow<J, N> {
  app_id: string;
  id: string;
  user_id: string;
  type: CredentialType;
  label: string | null;
  device_id: string | null;
  account: string | null;
  public_key: J;
  counter: N;
  created_at: N;
  last_used_at: N | null;
}

export interface DisplacedRow<J, N> {
  app_id: string;
  id: string;
  user_id: string;
  type: CredentialType;
  label: string | null;
  account: string;
  public_key: J;
  created_at: N;
  kept_id: string;
  kept_user_id: string;
  displaced_at: N;
}

export interface ChallengeRow<J, N> {
  app_id: string;
  id: string;
  type: Challenge['type'];
  value: string;
  user_id: string | null;
  data: J | null;
  expires_at: N;
}

export interface MykeyRow<N> {
  app_id: string;
  uuid: string;
  status: MykeyStatus;
  account: string | null;
  chain: string | null;
  token: string | null;
  poll_hash: string | null;
  reason: string | null;
  expires_at: N;
  created_at: N;
}

export interface AuditRow<N> {
  id: string;
  app_id: string;
  at: N;
  scheme: string;
  action: string;
  outcome: AuditRecord['outcome'];
  reason: string | null;
  user_id: string | null;
  credential_id: string | null;
  ip: string | null;
  count: N;
}

export interface SigningKeyRow<J, N> {
  kid: string;
  alg: 'EdDSA';
  public_jwk: J;
  sealed_private_jwk: string;
  created_at: N;
  retired_at: N | null;
  /** Added by the sessions migration. */
  revoked_at: N | null;
}

/**
 * The row-to-object mappers for one driver's column representation.
 *
 * @example
 * const { toApp, toCredential } = createRowMappers<string, number>({ json: (t) => JSON.parse(t), int: (n) => n });
 */
export function createRowMappers<J, N>(c: ColumnCodec<J, N>) {
  const intOrNull = (v: N | null): number | null => (v === null ? null : c.int(v));
  return {
    toApp: (r: AppRow<J, N>): App => ({
      id: r.id,
      name: r.name,
      secrets: c.json<App['secrets']>(r.secrets),
      rpId: r.rp_id,
      origins: c.json<string[]>(r.origins),
      settings: c.json<App['settings']>(r.settings),
      createdAt: c.int(r.created_at),
    }),
    toCredential: (r: CredentialRow<J, N>): Credential => ({
      id: r.id,
      appId: r.app_id,
      userId: r.user_id,
      type: r.type,
      label: r.label,
      deviceId: r.device_id,
      account: r.account,
      publicKey: c.json<Record<string, unknown>>(r.public_key),
      counter: c.int(r.counter),
      createdAt: c.int(r.created_at),
      lastUsedAt: intOrNull(r.last_used_at),
    }),
    toDisplaced: (r: DisplacedRow<J, N>): DisplacedCredential => ({
      appId: r.app_id,
      id: r.id,
      userId: r.user_id,
      type: r.type,
      label: r.label,
      account: r.account,
      publicKey: c.json<Record<string, unknown>>(r.public_key),
      createdAt: c.int(r.created_at),
      keptId: r.kept_id,
      keptUserId: r.kept_user_id,
      displacedAt: c.int(r.displaced_at),
    }),
    toChallenge: (r: ChallengeRow<J, N>): Challenge => ({
      id: r.id,
      appId: r.app_id,
      type: r.type,
      value: r.value,
      userId: r.user_id,
      data: r.data === null ? null : c.json<Record<string, unknown>>(r.data),
      expiresAt: c.int(r.expires_at),
    }),
    toMykeySession: (r: MykeyRow<N>): MykeySession => ({
      uuID: r.uuid,
      appId: r.app_id,
      status: r.status,
      account: r.account,
      chain: r.chain,
      token: r.token,
      pollHash: r.poll_hash,
      reason: r.reason,
      expiresAt: c.int(r.expires_at),
      createdAt: c.int(r.created_at),
    }),
    toAuditRecord: (r: AuditRow<N>): AuditRecord => ({
      id: r.id,
      appId: r.app_id,
      at: c.int(r.at),
      scheme: r.scheme,
      action: r.action,
      outcome: r.outcome,
      reason: r.reason,
      userId: r.user_id,
      credentialId: r.credential_id,
      ip: r.ip,
      count: c.int(r.count),
    }),
    toSigningKey: (r: SigningKeyRow<J, N>): SigningKey => ({
      kid: r.kid,
      alg: r.alg,
      publicJwk: c.json<Record<string, unknown>>(r.public_jwk),
      sealedPrivateJwk: r.sealed_private_jwk,
      createdAt: c.int(r.created_at),
      retiredAt: intOrNull(r.retired_at),
      revokedAt: intOrNull(r.revoked_at ?? null),
    }),
  };
}
