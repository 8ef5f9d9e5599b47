/**
 * The server API's answers as `createSignetClient` types them: the same shapes as the response
 * schemas of `/openapi.json` (docs/api.md "Routes"). Times in credentials and audit records are
 * ISO 8601 strings.
 */

/** Every error answer (docs/errors.md); server-API answers may add the precise `reason`. */
export interface SignetErrorBody {
  error: { code: string; message: string; reason?: string };
}

/** A credential as the API shows it. */
export interface ApiCredential {
  id: string;
  type: 'device' | 'webauthn' | 'eos' | 'eth';
  userId: string;
  label: string | null;
  deviceId: string | null;
  /** The EOS account or the Ethereum address, for wallet credentials. */
  account: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  publicKey: Record<string, unknown>;
  counter: number;
}

/** One verification attempt, newest first in `GET /v1/audit`. */
export interface ApiAuditRecord {
  id: string;
  at: string;
  scheme: string;
  action: string;
  outcome: 'success' | 'failure';
  reason: string | null;
  userId: string | null;
  credentialId: string | null;
  ip: string | null;
  /** How many attempts this record stands for (repeated anonymous failures are aggregated). */
  count: number;
}

/** `POST /v1/webauthn/registration/options`: pass `options` to `navigator.credentials.create()`. */
export interface WebauthnRegistrationStart {
  challengeId: string;
  /** PublicKeyCredentialCreationOptionsJSON. */
  options: Record<string, unknown>;
}

/**
 * An answer: `ok` (a 2xx status) tells which body it carries, so TypeScript narrows it.
 *
 * @example
 * const r = await signet.listCredentials('alice');
 * if (r.ok) r.body.credentials.map((c) => c.id);
 * else console.error(r.body.error.code);
 */
export type SignetResponse<T = unknown> =
  { ok: true; status: number; body: T } | { ok: false; status: number; body: SignetErrorBody };
