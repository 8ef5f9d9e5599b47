/**
 * The storage interfaces of Signet. Core logic talks only to these; adapters (SQLite by default,
 * Postgres for durable data, Redis for the short-lived) are factories returning plain objects that
 * implement them, and one conformance suite (`test/store/conformance.ts`) runs against each.
 *
 * Every method is async (a network store may be down: it then rejects with
 * `SignetError('store_unavailable')`). Times are Unix milliseconds. Adapters take their clock
 * from the factory, never from `Date.now()` directly, so tests can move time.
 */

/** Per-app settings (docs/glossary.md "App"). */
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
  /**
   * Ethereum JSON-RPC URL asked about contract wallets (EIP-1271 / EIP-6492) when a signature
   * does not recover to the address; null or absent (apps stored before it existed) = EOAs only.
   */
  ethRpc?: string | null;
  /**
   * Failed attempts of one client IP naming one user or account within `lockoutWindowMs` before
   * 429 `rate_limited` (ten times that per client IP across all users); never per user alone.
   */
  lockoutMaxFailures: number;
  lockoutWindowMs: number;
  /**
   * `eos` / `eth` registrations must carry a proof of possession (docs/api.md "Identity
   * binding"). On for new apps; apps created before it existed read false (store migration 2).
   */
  requireWalletProof: boolean;
  /**
   * Refresh-token family lifetime, seconds (default 30 days, `src/core/sessions.ts`). Optional in
   * the type because apps stored before sessions existed lack it; core reads the default then.
   */
  refreshTtlSec?: number;
  /**
   * Passkeys (docs/passkeys.md): the attestation conveyance registration options ask for, and
   * what registration then requires (`direct` / `enterprise`: a chain anchored to
   * `attestationRoots` or to the FIDO metadata roots). Absent (apps stored before it): `none`.
   */
  attestation?: 'none' | 'indirect' | 'direct' | 'enterprise';
  /** PEM trust anchors for attestation chains. */
  attestationRoots?: string[];
  /** Lowercase AAGUIDs allowed to register; empty: any. */
  aaguidAllow?: string[];
  /** Lowercase AAGUIDs refused at registration. */
  aaguidDeny?: string[];
  /** A FIDO Metadata Service v3 BLOB: an absolute file path or an http(s) URL; null: none. */
  fidoMds?: string | null;
  /**
   * Where Signet POSTs signed webhook events (Standard Webhooks, `src/core/appWebhooks.ts`);
   * null or absent: webhooks off.
   */
  webhookUrl?: string | null;
  /** The app's `whsec_` webhook secrets, sealed by core, newest first (two during rotation). */
  webhookSecrets?: StoredSecret[];
  /**
   * The Ed25519 public key (SPKI PEM) that signs this app's server-API calls with RFC 9421
   * `alg="ed25519"` (`signet app set --http-signature-key`); absent or null: HMAC only.
   */
  httpSignatureKey?: string | null;
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

/** A public key bound to a user (docs/glossary.md "Credential"). */
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

/**
 * A wallet credential the one-wallet-per-app migration moved aside: a later duplicate of an
 * `eos` account or `eth` address that an older credential of the app (`keptId`) holds.
 */
export interface DisplacedCredential {
  appId: string;
  id: string;
  userId: string;
  type: CredentialType;
  label: string | null;
  account: string;
  publicKey: Record<string, unknown>;
  createdAt: number;
  /** The credential that kept the wallet, and its owner. */
  keptId: string;
  keptUserId: string;
  displacedAt: number;
}

export interface CredentialStore {
  /**
   * Inserts a credential. For a device credential with a `deviceId`, deletes the user's other
   * credentials with that deviceId in the same transaction. Throws `SignetError('conflict')`
   * when the id exists, and when an `eos` or `eth` credential names an `account` that another
   * credential of the app already holds (one wallet, one credential, per app: a unique index,
   * so two racing inserts cannot both win).
   */
  create(credential: Credential): Promise<{ replaced: string[] }>;
  get(appId: string, credentialId: string): Promise<Credential | null>;
  listByUser(appId: string, userId: string): Promise<Credential[]>;
  /**
   * Credentials of a type whose `account` equals `account` (eos account, eth address): at most
   * one for `eos` and `eth`.
   */
  findByAccount(appId: string, type: CredentialType, account: string): Promise<Credential[]>;
  /**
   * The wallet credentials the uniqueness migration moved aside (oldest app first, at most
   * 1000), for the start-up report; empty on a store that never held duplicates.
   */
  listDisplaced(): Promise<DisplacedCredential[]>;
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

/** A challenge as issued (docs/glossary.md "Challenge"). */
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
  /** True when `key` was remembered and its record has not expired (a read; adds nothing). */
  has(key: string): Promise<boolean>;
}

export type MykeyStatus = 'pending' | 'verified' | 'failed';

export interface MykeySession {
  uuID: string;
  appId: string;
  status: MykeyStatus;
  account: string | null;
  chain: string | null;
  /**
   * The login token issued on success, sealed by core (opaque to the store; never plaintext),
   * kept until the session expires.
   */
  token: string | null;
  /**
   * SHA-256 (base64url) of the session's poll secret: only the holder of the secret (the
   * session's creator) reads the token. Null for sessions made before poll secrets.
   */
  pollHash: string | null;
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

/** One verification attempt (docs/api.md `GET /v1/audit`). */
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
  /**
   * How many attempts this record stands for: 1, or more for an aggregated record (repeated
   * anonymous failures of one client, action and reason in one window; see `aggregate`).
   * Optional on input (1); always set on records `list` returns.
   */
  count?: number;
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
  /**
   * Inserts `record` with count 1, or, when a record with `record.id` exists, adds one to its
   * count (atomically; `at` and the other fields keep their first value). Core picks one id per
   * client, action, reason and window, so repeats from one client grow a count, not the log.
   */
  aggregate(record: AuditRecord): Promise<void>;
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
  /**
   * When an operator revoked the key (`signet keys revoke`): it leaves the JWKS at once and its
   * tokens introspect inactive. A revoked key is also retired. Null while not revoked.
   */
  revokedAt: number | null;
}

export interface SigningKeyStore {
  list(): Promise<SigningKey[]>;
  /** Adds `key` as the active one and marks the previous active key retired at `key.createdAt`, atomically. */
  rotate(key: SigningKey): Promise<void>;
  /** Deletes keys retired before `before`. */
  prune(before: number): Promise<number>;
  /**
   * Marks the key revoked (and retired, when it was the active one) at `at`; false when no such
   * key exists or it was already revoked.
   */
  revoke(kid: string, at: number): Promise<boolean>;
}

/**
 * A session: the family of refresh tokens one login started (OAuth 2.0 Security BCP §4.14,
 * refresh token rotation). Its `id` is the `sid` claim of every access token issued in it.
 */
export interface SessionFamily {
  id: string;
  appId: string;
  userId: string;
  /** The credential whose proof started the family; null for logins without one. */
  credentialId: string | null;
  /** The login method (`device`, `webauthn`, `eos`, `eth`, ...), copied into refreshed tokens. */
  amr: string;
  createdAt: number;
  /** The family (and every refresh token in it) ends here; a refresh never extends it. */
  expiresAt: number;
  /** Last successful rotation; null before the first refresh. */
  refreshedAt: number | null;
  /** When the family was revoked (logout, reuse, revoke API, credential deleted); null while active. */
  revokedAt: number | null;
  /** Why: `logout`, `refresh_reuse`, `revoked`, `credential_deleted`, `user_signed_out`... */
  revokedReason: string | null;
}

/** The outcome of presenting a refresh token (by its hash) for rotation. */
export type RotateOutcome =
  /**
   * The token was the family's current one: it is spent and `nextHash` is now current. Or
   * (`retried`) it was spent at most `graceMs` before and its successor was never used: the
   * successor is spent instead (it can never be used after this) and `nextHash` is now current.
   */
  | { outcome: 'rotated'; family: SessionFamily; retried?: true }
  /**
   * The token had been spent before (outside the grace, or its successor already used): the
   * family is now revoked (reason `refresh_reuse`).
   */
  | { outcome: 'reused'; family: SessionFamily }
  /** The family is revoked or expired: nothing changed. */
  | { outcome: 'inactive'; family: SessionFamily }
  /** No token of this app has this hash. */
  | { outcome: 'unknown' };

/**
 * Session families and their refresh tokens. Only SHA-256 hashes of refresh tokens are stored
 * (the token itself is a bearer secret). Every token ever issued in a family is kept (spent ones
 * marked) until the family is swept, so that a spent token is recognised as reuse.
 */
export interface SessionStore {
  /** Starts a family whose first (current) refresh token has hash `tokenHash`. */
  create(family: SessionFamily, tokenHash: string): Promise<void>;
  get(appId: string, familyId: string): Promise<SessionFamily | null>;
  /** The family a refresh token of this app was issued in (spent or not), or null. */
  findByToken(appId: string, tokenHash: string): Promise<SessionFamily | null>;
  /**
   * Atomically spends `tokenHash`, records `nextHash` as its successor and makes `nextHash` the
   * family's current token. A token already spent is reuse (the family is revoked), except for a
   * retry inside the grace: spent at most `graceMs` before `at` (0 turns the grace off) and its
   * recorded successor never used; then the successor is spent instead (a token spent that way
   * has no successor of its own: presenting it again is reuse) and `nextHash` is current.
   * One transaction: of any number of concurrent calls with one spent token, exactly one
   * answers `rotated`; with one current token, exactly one spends it and, inside the grace, at
   * most one more spends its successor; the others answer `reused` or `inactive`.
   */
  rotate(
    appId: string,
    tokenHash: string,
    nextHash: string,
    at: number,
    graceMs: number,
  ): Promise<RotateOutcome>;
  /** Revokes one family; false when unknown or already revoked. */
  revoke(appId: string, familyId: string, reason: string, at: number): Promise<boolean>;
  /** Revokes every active family of a user; returns how many. */
  revokeByUser(appId: string, userId: string, reason: string, at: number): Promise<number>;
  /** Revokes every active family a credential started; returns how many. */
  revokeByCredential(appId: string, credentialId: string, reason: string, at: number): Promise<number>;
  /** A user's families that are neither revoked nor expired at `now`, newest first (at most 1000). */
  listActiveByUser(appId: string, userId: string, now: number): Promise<SessionFamily[]>;
  /** Deletes families (and their tokens) that expired before `before`, in bounded batches; returns how many. */
  prune(before: number): Promise<number>;
}

export interface RateLimitStore {
  /** Counts a failure under `key` in a fixed window of `windowMs`; returns the count in the current window. */
  hit(key: string, windowMs: number): Promise<number>;
  /** The count in the current window without adding. */
  peek(key: string, windowMs: number): Promise<number>;
}

/** Where a webhook message is in its life (docs/api.md "Webhooks"). */
export type WebhookStatus = 'pending' | 'delivered' | 'dead';

/**
 * One event in the webhook outbox: what to send (the exact body, the same on every attempt, so
 * `webhook-id` + body never change) and where its delivery stands. The destination URL and the
 * secrets are read from the app at each attempt, so a rotation or a new URL applies to retries.
 */
export interface WebhookMessage {
  /** `msg_…`: the `webhook-id` header; receivers deduplicate on it. */
  id: string;
  appId: string;
  /** `login.succeeded`, `login.failed`, `credential.created`, `credential.deleted`, `token.revoked`. */
  type: string;
  /** The JSON body `{ type, timestamp, data }`, as sent. */
  payload: string;
  status: WebhookStatus;
  /** Delivery attempts started (a claim counts one, also when its node died mid-attempt). */
  attempts: number;
  createdAt: number;
  /** Start of the current delivery cycle: `createdAt`, or the time of the last `redeliver`. Dead-lettering counts from it. */
  cycleStartedAt: number;
  /** When a `pending` message is next due. */
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  /** Why the last attempt failed (an HTTP status or a network error name), never a secret. */
  lastError: string | null;
  deliveredAt: number | null;
  deadAt: number | null;
}

/** What `enqueue` takes: the message as created. */
export type NewWebhookMessage = Pick<WebhookMessage, 'id' | 'appId' | 'type' | 'payload' | 'createdAt'>;

/**
 * The webhook outbox: a durable queue that survives a crash or a restart, delivered from any
 * node, each message by one node at a time. A node `claim`s due messages under a lease (a
 * random `leaseId` it chose, valid `leaseMs`); only the lease holder can then record the
 * outcome. A node that dies mid-delivery simply lets its lease run out, and the message is
 * claimed again (delivery is at-least-once; receivers deduplicate on `webhook-id`).
 */
export interface WebhookOutboxStore {
  /** Adds a `pending` message due now (`nextAttemptAt = cycleStartedAt = createdAt`). A duplicate id rejects with `conflict`. */
  enqueue(message: NewWebhookMessage): Promise<void>;
  get(appId: string, id: string): Promise<WebhookMessage | null>;
  /**
   * Atomically leases up to `limit` (1..100) `pending` messages that are due (`nextAttemptAt <=
   * now`) and not under a live lease, oldest due first: sets the lease to `leaseId` until
   * `now + leaseMs`, adds one to `attempts` and sets `lastAttemptAt = now`. Of concurrent
   * claims, on any number of nodes, each message goes to exactly one.
   */
  claim(leaseId: string, limit: number, leaseMs: number): Promise<WebhookMessage[]>;
  /** `delivered` at `at`, only while `leaseId` still holds the message; false otherwise. */
  markDelivered(id: string, leaseId: string, at: number): Promise<boolean>;
  /** Back to `pending`, due at `nextAttemptAt`, lease released; only for the lease holder. */
  scheduleRetry(id: string, leaseId: string, nextAttemptAt: number, error: string): Promise<boolean>;
  /** `dead` (the dead-letter state) at `at`; only for the lease holder. */
  markDead(id: string, leaseId: string, at: number, error: string): Promise<boolean>;
  /** An app's dead letters, newest first (`deadAt`); `limit` 1..1000, `before` a `deadAt` bound for paging. */
  listDead(appId: string, query: { limit: number; before?: number }): Promise<WebhookMessage[]>;
  /** "Redeliver" from the console: a `dead` message of the app is `pending` again, due at `at`, a new cycle from `at`. False when not dead. */
  redeliver(appId: string, id: string, at: number): Promise<boolean>;
  /** Retention: deletes `delivered` messages with `deliveredAt < before`, in bounded batches; returns how many went. */
  prune(before: number): Promise<number>;
}

/**
 * A successful login's writes, committed by {@link LoginStore.commit} as one unit of work
 * (src/core/login.ts): the challenge consume, the counter compare-and-set, then the session, the
 * audit record and the webhook event. All are in one app.
 */
export interface LoginUnit {
  /** The challenge the proof answered (read by `claim`); null for a client-built challenge. */
  challengeId: string | null;
  /** The counter compare-and-set, as {@link CredentialStore.markUsed} takes it. */
  credential: { appId: string; id: string; expected: number; counter: number; at: number };
  /** The session the login starts and the hash of its first refresh token; null for a signed transaction. */
  session: { family: SessionFamily; tokenHash: string } | null;
  /** The login's success record (appended: never an aggregate). */
  audit: AuditRecord;
  /** The `login.succeeded` event, when the app has a webhook URL. */
  webhook: NewWebhookMessage | null;
}

/**
 * What {@link LoginStore.commit} did: `committed` (every write of the unit is durable),
 * `challenge_lost` (the challenge was gone: another login consumed it) or `counter_lost` (the
 * stored counter no longer equals `expected`, or the credential is gone). After a loss nothing
 * of the unit was written.
 */
export type LoginCommitOutcome = 'committed' | 'challenge_lost' | 'counter_lost';

/**
 * A login as one store-level unit of work (issue 13): of any number of logins naming one
 * challenge, exactly one commits; a loser writes nothing.
 *
 * Where challenges live in the database that takes the login's writes (SQLite, Postgres),
 * `claim` is a read and `commit` consumes the challenge in the same transaction as the rest, so
 * a commit that loses the compare-and-set leaves the challenge as it was. Where they live apart
 * (Redis in front of Postgres, `withShortLived`), `claim` is the atomic consume itself
 * (get-and-delete): the challenge is spent whatever follows, and `commit` runs the
 * compare-and-set and the inserts in one transaction of the durable store.
 */
export interface LoginStore {
  /**
   * True when `claim` consumes the challenge (it lives apart from the login's writes); false when
   * `claim` only reads it and `commit` consumes it.
   */
  readonly claimConsumes: boolean;
  /**
   * The challenge a login proof names, to check the proof against (expired ones too: the caller
   * answers `challenge_expired`); null when there is none.
   */
  claim(appId: string, challengeId: string): Promise<Challenge | null>;
  /**
   * Spends a challenge that `claim` returned to a login that failed (it is single-use whatever
   * the outcome); nothing to do where `claim` consumed it.
   */
  spend(appId: string, challengeId: string): Promise<void>;
  /**
   * Runs the unit's writes as one transaction: the consume of `challengeId` (unless `claim`
   * consumed it), the compare-and-set, then the session, the audit record and the webhook
   * event. Resolves once it is durable, or with the loss and nothing written.
   */
  commit(unit: LoginUnit): Promise<LoginCommitOutcome>;
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
  sessions: SessionStore;
  /** The webhook outbox (durable: it lives in SQLite or Postgres, never in Redis). */
  webhooks: WebhookOutboxStore;
  /** A successful login's writes as one unit of work. */
  logins: LoginStore;
  /** Resolves when every backing store answers; rejects with `store_unavailable` otherwise (`/readyz`). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The clock adapters use for expiry; tests pass a movable one. */
export type Clock = () => number;
