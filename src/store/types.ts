/**
 * The storage interfaces of Signet. Core logic talks only to these; adapters (SQLite by default,
 * Postgres for durable data, Redis for the short-lived) are factories returning plain objects that
 * implement them, and one conformance suite (`test/store/conformance.ts`) runs against each.
 *
 * Every method is async (a network store may be down: it then rejects with
 * `SignetError('store_unavailable')`). Times are Unix milliseconds. Adapters take their clock
 * from the factory, never from `Date.now()` directly, so tests can move time.
 */

/** Per-app settings (CONTRACT.md "Words"). */
export interface AppSettings {
  /** Challenge lifetime, ms (default 300 000). */
  challengeTtlMs: number;
  /** Allowed clock skew for Tiniapp signatures and client-built challenges, ms (default 300 000). */
  skewMs: number;
  /** Login token lifetime, seconds (default 3600). */
  tokenTtlSec: number;
  /** Accept device logins with client-built `${ms}-...` challenges (the seed's sample). */
  clientChallenges: boolean;
  /** WebAuthn: require user verification (UV) on login and registration. */
  requireUserVerification: boolean;
  /** Allowed EIP-155 chain ids for Sign-In with Ethereum; empty = any. */
  ethChainIds: number[];
  /** Antelope chain API base URL for MYKEY reserved-key look-ups; null = use registered eos credentials. */
  chainApi: string | null;
  /** Failed attempts per user and per IP within `lockoutWindowMs` before 429 `rate_limited`. */
  lockoutMaxFailures: number;
  lockoutWindowMs: number;
}

/** One app secret as stored: `sealed` is the secret encrypted by core (opaque to the store). */
export interface StoredSecret {
  id: string;
  sealed: string;
  createdAt: number;
}

export interface App {
  id: string;
  name: string;
  /** One or two active secrets, newest first (two during rotation). */
  secrets: StoredSecret[];
  rpId: string | null;
  origins: string[];
  settings: AppSettings;
  createdAt: number;
}

export type CredentialType = 'device' | 'webauthn' | 'eos' | 'eth';

/** A public key bound to a user (CONTRACT.md "credential"). */
export interface Credential {
  /** Signet's id; for webauthn the credential id (base64url). Unique per app. */
  id: string;
  appId: string;
  userId: string;
  type: CredentialType;
  label: string | null;
  /** device: the phone's key slot; a new key with the same deviceId replaces the old one. */
  deviceId: string | null;
  /** eos: account name; eth: lowercase address; else null. Indexed for MYKEY / wallet look-ups. */
  account: string | null;
  /** Scheme-specific key material as JSON-safe data (e.g. `{ spki: base64url, kind }`, COSE alg...). */
  publicKey: Record<string, unknown>;
  /** WebAuthn signature counter (0 for other types). */
  counter: number;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface CredentialStore {
  /**
   * Inserts a credential. For a device credential with a `deviceId`, deletes the user's other
   * credentials with that deviceId in the same transaction. Throws `SignetError('conflict')`
   * when the id exists.
   */
  create(credential: Credential): Promise<{ replaced: string[] }>;
  get(appId: string, credentialId: string): Promise<Credential | null>;
  listByUser(appId: string, userId: string): Promise<Credential[]>;
  /** Credentials of a type whose `account` equals `account` (eos account, eth address). */
  findByAccount(appId: string, type: CredentialType, account: string): Promise<Credential[]>;
  /** Deletes one; false when it did not exist (or belongs to another user). */
  delete(appId: string, userId: string, credentialId: string): Promise<boolean>;
  /**
   * Compare-and-set of the WebAuthn counter and `lastUsedAt`: applies only when the stored
   * counter still equals `expected`; false otherwise (a concurrent login won).
   */
  markUsed(
    appId: string,
    credentialId: string,
    expected: number,
    counter: number,
    at: number,
  ): Promise<boolean>;
}

export interface AppStore {
  create(app: App): Promise<void>;
  get(appId: string): Promise<App | null>;
  list(): Promise<App[]>;
  /** Replaces the app's record (name, secrets, rpId, origins, settings); false when unknown. */
  update(app: App): Promise<boolean>;
}

/** A challenge as issued (CONTRACT.md "challenge"). */
export interface Challenge {
  id: string;
  appId: string;
  type: 'device' | 'webauthn' | 'eos' | 'eth' | 'webauthn-registration';
  /** The string the client signs (device/eos/eth) or base64url of the WebAuthn challenge bytes. */
  value: string;
  userId: string | null;
  /** Registration ceremonies keep what verify needs (userName, ...). */
  data: Record<string, unknown> | null;
  expiresAt: number;
}

export interface ChallengeStore {
  put(challenge: Challenge): Promise<void>;
  /**
   * Atomically removes and returns the challenge (get-and-delete): of any number of concurrent
   * calls for one id, exactly one gets it. Expired challenges are returned too (the caller answers
   * `challenge_expired`) but never twice.
   */
  consume(appId: string, challengeId: string): Promise<Challenge | null>;
}

export interface ReplayStore {
  /** Atomic add-if-absent with a lifetime: true when `key` was new, false when already present. */
  remember(key: string, ttlMs: number): Promise<boolean>;
}

export type MykeyStatus = 'pending' | 'verified' | 'failed';

export interface MykeySession {
  uuID: string;
  appId: string;
  status: MykeyStatus;
  account: string | null;
  chain: string | null;
  /** The login token issued on success, kept until the session expires. */
  token: string | null;
  reason: string | null;
  expiresAt: number;
  createdAt: number;
}

export interface MykeySessionStore {
  create(session: MykeySession): Promise<void>;
  get(appId: string, uuID: string): Promise<MykeySession | null>;
  /**
   * Completes a pending, unexpired session once: applies `result` only when the status is still
   * `pending`; false otherwise (a second callback loses).
   */
  complete(
    appId: string,
    uuID: string,
    result: Pick<MykeySession, 'status' | 'account' | 'chain' | 'token' | 'reason'>,
  ): Promise<boolean>;
}

/** One verification attempt (CONTRACT.md `GET /v1/audit`). */
export interface AuditRecord {
  id: string;
  appId: string;
  at: number;
  scheme: string;
  /** e.g. `login`, `register`, `mykey_callback`, `server_api`. */
  action: string;
  outcome: 'success' | 'failure';
  /** The precise reason code on failure (e.g. `counter_regression`), null on success. */
  reason: string | null;
  userId: string | null;
  credentialId: string | null;
  ip: string | null;
}

/**
 * Which of an app's audit records `AuditStore.list` returns. Every filter given must hold (AND);
 * strings compare exactly (case-sensitive, no wildcards, `userPrefix` included).
 */
export interface AuditQuery {
  /** 1..1000 (clamped). */
  limit: number;
  /** Exactly this user. */
  userId?: string;
  /** Users whose id starts with this (case-sensitive; `%` and `_` are plain characters). */
  userPrefix?: string;
  scheme?: string;
  action?: string;
  outcome?: AuditRecord['outcome'];
  reason?: string;
  /** Only records with `at < before` (exclusive). */
  before?: number;
  /**
   * Keyset cursor: only records that come after this one in the list's order (newest first, and
   * among records of one millisecond, the later-written first). Pass the last record of a page
   * (`{ at, id }`) to get the next page, with nothing lost or repeated when records share a
   * millisecond. A cursor whose record is gone (pruned) falls back to `at < cursor.at`.
   */
  after?: { at: number; id: string };
}

export interface AuditStore {
  append(record: AuditRecord): Promise<void>;
  /** Newest first (then latest written first within a millisecond), filtered by `query`. */
  list(appId: string, query: AuditQuery): Promise<AuditRecord[]>;
  /**
   * Retention: deletes the records of every app with `at < before`, in bounded batches (oldest
   * first), and returns how many went.
   */
  prune(before: number): Promise<number>;
}

/** A token signing key; `sealedPrivateJwk` is encrypted by core. */
export interface SigningKey {
  kid: string;
  alg: 'EdDSA';
  publicJwk: Record<string, unknown>;
  sealedPrivateJwk: string;
  createdAt: number;
  /** When a newer key took over; null for the active key. Kept in the JWKS until retiredAt + max token TTL. */
  retiredAt: number | null;
}

export interface SigningKeyStore {
  list(): Promise<SigningKey[]>;
  /** Adds `key` as the active one and marks the previous active key retired at `key.createdAt`, atomically. */
  rotate(key: SigningKey): Promise<void>;
  /** Deletes keys retired before `before`. */
  prune(before: number): Promise<number>;
}

export interface RateLimitStore {
  /** Counts a failure under `key` in a fixed window of `windowMs`; returns the count in the current window. */
  hit(key: string, windowMs: number): Promise<number>;
  /** The count in the current window without adding. */
  peek(key: string, windowMs: number): Promise<number>;
}

/** Everything the core needs, as one object. */
export interface Store {
  readonly kind: string;
  apps: AppStore;
  credentials: CredentialStore;
  challenges: ChallengeStore;
  replay: ReplayStore;
  mykey: MykeySessionStore;
  audit: AuditStore;
  signingKeys: SigningKeyStore;
  rateLimits: RateLimitStore;
  /** Resolves when every backing store answers; rejects with `store_unavailable` otherwise (`/readyz`). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The clock adapters use for expiry; tests pass a movable one. */
export type Clock = () => number;
