import { SignetError } from '../errors/SignetError.js';
import type { ReasonCode } from '../errors/codes.js';
import {
  isEosAccountName,
  parseEosPublicKey,
  verifyEosSignature,
  type EosPublicKey,
} from '../schemes/eos/index.js';
import { verifyPersonalSignText } from '../schemes/eth/index.js';
import { equalBytes, utf8Bytes } from '../encoding/bytes.js';
import { encodeBase64Url } from '../encoding/base64.js';
import { sha256 } from '../crypto/index.js';
import type { App, Credential, MykeySession } from '../store/types.js';
import { recordAttempt } from './audit.js';
import type { Deps } from './deps.js';
import { randomAlphanumeric } from './ids.js';
import { checkRateLimit, clientFailureBudget, countFailure, limitKeys } from './rateLimit.js';
import { startSession } from './sessions.js';
import type { TokenService } from './tokens.js';

/**
 * MYKEY wallet login (seed 003): the app starts a session, MYKEY's server POSTs a signed callback
 * (or the app forwards what MYKEY's SDK returned), and the session completes once. The signed
 * text is `timestamp + account + uuID + ref` (timestamp in seconds). EOS signatures are checked
 * with the account's registered `eos` key or, when the app configures a chain API, the account's
 * current Reserved key (`mykeymanager` / `keydata`, index 3); a key sent in the body is never
 * trusted on its own. ETH signatures by EIP-191 recovery.
 */

export interface MykeySessionView {
  uuID: string;
  status: MykeySession['status'];
  account?: string;
  chain?: string;
  token?: string;
  /** The session's refresh token (docs/api.md "Tokens and sessions"), to the creator alone. */
  refreshToken?: string;
  /** When the refresh-token family ends, Unix seconds. */
  refreshExpiresAt?: number;
  expiresAt: number;
}

/** MYKEY's own answer shape for its callback. */
export interface MykeyAnswer {
  code: number;
  message: string;
}

const ETH_ACCOUNT = /^0x[0-9a-fA-F]{40}$/;

/** The poll secret's hash as stored: base64url(SHA-256(secret)). */
function pollHashOf(pollSecret: string): string {
  return encodeBase64Url(sha256(utf8Bytes(pollSecret)));
}

/** The sealing purpose of a session's token: bound to its app and uuID (sessions before families). */
const tokenPurpose = (appId: string, uuID: string) => `mykey-token:${appId}:${uuID}`;

/**
 * The sealing purpose of a session's grant (access token, refresh token and family expiry, as
 * JSON): bound to its app and uuID, and distinct from the older token-only purpose.
 */
const grantPurpose = (appId: string, uuID: string) => `mykey-grant:${appId}:${uuID}`;

interface MykeyGrant {
  token: string;
  refreshToken?: string;
  refreshExpiresAt?: number;
}

/** Opens a session's sealed grant; `null` when it was sealed under another master key. */
function openGrant(deps: Deps, appId: string, uuID: string, sealed: string): MykeyGrant | null {
  try {
    const g = JSON.parse(deps.sealer.open(sealed, grantPurpose(appId, uuID))) as Record<string, unknown>;
    if (
      typeof g['token'] === 'string' &&
      typeof g['refreshToken'] === 'string' &&
      typeof g['refreshExpiresAt'] === 'number'
    )
      return { token: g['token'], refreshToken: g['refreshToken'], refreshExpiresAt: g['refreshExpiresAt'] };
    return null;
  } catch {
    // A session verified before refresh tokens sealed the access token alone.
  }
  try {
    return { token: deps.sealer.open(sealed, tokenPurpose(appId, uuID)) };
  } catch {
    return null;
  }
}

/**
 * `POST /v1/mykey/sessions`: a pending session with a random uuID, the callback URL to give
 * MYKEY, and a `pollSecret` (256 random bits) for the session's creator alone. The uuID travels
 * through the QR code and MYKEY's servers, so it is no credential: reading the token takes the
 * poll secret, of which the store keeps only the SHA-256.
 */
export async function startMykeySession(
  deps: Deps,
  app: App,
): Promise<{ uuID: string; callbackUrl: string; expiresAt: number; pollSecret: string }> {
  const now = deps.clock();
  const pollSecret = encodeBase64Url(deps.random(32));
  const session: MykeySession = {
    uuID: randomAlphanumeric(deps.random, 32),
    appId: app.id,
    status: 'pending',
    account: null,
    chain: null,
    token: null,
    pollHash: pollHashOf(pollSecret),
    reason: null,
    expiresAt: now + app.settings.challengeTtlMs,
    createdAt: now,
  };
  await deps.store.mykey.create(session);
  return {
    uuID: session.uuID,
    callbackUrl: `${deps.issuer}/v1/mykey/callback/${encodeURIComponent(app.id)}`,
    expiresAt: session.expiresAt,
    pollSecret,
  };
}

/**
 * `GET /v1/mykey/sessions/{uuID}`: an expired pending session reads as `failed`. The token of
 * a verified session, and the account that signed in, are given only to a caller presenting the
 * session's poll secret (compared as SHA-256 digests, in constant time); anyone else who knows the
 * uuID sees the status.
 */
export async function readMykeySession(
  deps: Deps,
  app: App,
  uuID: string,
  pollSecret: string | null = null,
): Promise<MykeySessionView> {
  const s = await deps.store.mykey.get(app.id, uuID);
  if (!s) throw new SignetError('not_found', 'No such MYKEY session.');
  const status = s.status === 'pending' && s.expiresAt <= deps.clock() ? 'failed' : s.status;
  // The creator (holder of the poll secret) sees who signed in; anyone else who knows the uuID
  // (it is in the QR code) sees the status only, neither the account nor a token.
  const creator =
    s.pollHash !== null &&
    pollSecret !== null &&
    equalBytes(utf8Bytes(pollHashOf(pollSecret)), utf8Bytes(s.pollHash));
  let grant: MykeyGrant | null = null;
  if (creator && s.token !== null && status === 'verified') {
    // null when sealed under another master key: the session cannot give its token
    grant = openGrant(deps, app.id, s.uuID, s.token);
  }
  return {
    uuID: s.uuID,
    status,
    ...(creator && s.account ? { account: s.account } : {}),
    ...(creator && s.chain ? { chain: s.chain } : {}),
    ...(grant ?? {}),
    expiresAt: s.expiresAt,
  };
}

function field(body: Record<string, unknown>, name: string, max: number): string {
  const v = body[name];
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    throw new SignetError('invalid_request', `${name} is required`);
  return v;
}

/**
 * The single user an account's registered credentials name (one wallet, one user per app: a
 * unique index in the store), `null` when nobody registered it. Should two users ever appear
 * (a store that missed its migration) the login is refused rather than given to either.
 */
function singleOwner(
  registered: Credential[],
): { ok: true; userId: string | null; credentialId: string | null } | { ok: false } {
  const owners = new Set(registered.map((c) => c.userId));
  if (owners.size > 1) return { ok: false };
  return { ok: true, userId: registered[0]?.userId ?? null, credentialId: registered[0]?.id ?? null };
}

/**
 * The keys that may sign for an EOS account, each with the user a signature by it names:
 * - with a chain API, the account's current Reserved key (`mykeymanager` / `keydata`, index 3),
 *   naming the account's registered owner when that credential's key is the Reserved key
 *   (a registration proves a key, not the account), else nobody (`mykey:eos:ACCOUNT`);
 * - otherwise each registered `eos` credential's key, naming that credential's owner: the
 *   token's subject is the owner of the key that verified, never another row's.
 */
async function eosSignersFor(
  deps: Deps,
  app: App,
  account: string,
): Promise<
  | { signers: Array<{ key: EosPublicKey; userId: string | null; credentialId: string | null }> }
  | { ambiguous: true }
> {
  const registered = await deps.store.credentials.findByAccount(app.id, 'eos', account);
  if (app.settings.chainApi) {
    if (!singleOwner(registered).ok) return { ambiguous: true };
    const answer = await deps
      .chainFetch(`${app.settings.chainApi.replace(/\/+$/, '')}/v1/chain/get_table_rows`, {
        json: true,
        code: 'mykeymanager',
        scope: account,
        table: 'keydata',
        lower_bound: '3',
        upper_bound: '3',
        limit: 1,
      })
      .catch(() => {
        throw new SignetError('store_unavailable', 'The chain API did not answer.');
      });
    const rows = (answer as { rows?: unknown } | null)?.rows;
    const row = Array.isArray(rows)
      ? (rows as Array<Record<string, unknown>>).find((r) => Number(r?.['index']) === 3)
      : undefined;
    const pub = (row?.['key'] as Record<string, unknown> | undefined)?.['pubkey'] ?? row?.['pubkey'];
    const parsed = parseEosPublicKey(pub);
    if (!parsed.ok) return { signers: [] };
    // An `eos` registration proves a key, never the account (anyone may register any account
    // name with a key of their own), so it names the user only when its key is the Reserved
    // key the chain gives: otherwise nobody proved the account, and the account names itself.
    const owner = singleOwner(
      registered.filter((c) => {
        const key = parseEosPublicKey(c.publicKey['key']);
        return key.ok && key.value.string === parsed.value.string;
      }),
    );
    if (registered.length > 0 && (!owner.ok || owner.userId === null))
      deps.log.info(
        { appId: app.id, account, credentialId: registered[0]!.id },
        'MYKEY login: the registered eos credential is not the Reserved key; the account names itself',
      );
    return {
      signers: [
        {
          key: parsed.value,
          userId: owner.ok ? owner.userId : null,
          credentialId: owner.ok ? owner.credentialId : null,
        },
      ],
    };
  }
  const signers: Array<{ key: EosPublicKey; userId: string | null; credentialId: string | null }> = [];
  for (const c of registered) {
    const parsed = parseEosPublicKey(c.publicKey['key']);
    if (parsed.ok) signers.push({ key: parsed.value, userId: c.userId, credentialId: c.id });
  }
  return { signers };
}

interface SignedLogin {
  uuID: string;
  account: string;
  chain: 'EOS' | 'ETH';
  timestamp: string;
  /** Each signature with the exact text it must cover. */
  proofs: Array<{ text: string; signature: string }>;
}

/** Verifies a MYKEY login and completes its session once. Returns the reason on failure. */
async function completeSignedLogin(
  deps: Deps,
  tokens: TokenService,
  app: App,
  login: SignedLogin,
  action: string,
  ip: string | null,
): Promise<{ ok: true; view: MykeySessionView } | { ok: false; reason: ReasonCode | 'session_unknown' }> {
  const audit = (reason: string | null, userId: string | null, credentialId: string | null = null) =>
    recordAttempt(deps, { app, scheme: 'mykey', action, reason, userId, credentialId, ip });
  const session = await deps.store.mykey.get(app.id, login.uuID);
  if (!session || session.status !== 'pending' || session.expiresAt <= deps.clock()) {
    await audit('replayed', null);
    return { ok: false, reason: session ? 'replayed' : 'session_unknown' };
  }
  if (
    !/^\d{1,12}$/.test(login.timestamp) ||
    Math.abs(deps.clock() - Number(login.timestamp) * 1000) > app.settings.skewMs
  ) {
    await audit('timestamp_skew', null);
    return { ok: false, reason: 'timestamp_skew' };
  }
  // The user the token names: the owner of the key that verified (docs/api.md "Identity binding").
  let userId: string | null = null;
  // The registered credential that named the user: its deletion ends the session (docs/api.md
  // "Deleting a credential revokes the tokens it produced").
  let credentialId: string | null = null;
  let valid: boolean;
  if (login.chain === 'ETH') {
    if (!ETH_ACCOUNT.test(login.account)) {
      await audit('key_invalid', null);
      return { ok: false, reason: 'key_invalid' };
    }
    valid = login.proofs.every(
      (p) => verifyPersonalSignText(login.account, p.text, p.signature, { acceptHexForm: true }).ok,
    );
    // Recovery proved the address; its one registered credential names the user.
    const owner = singleOwner(
      await deps.store.credentials.findByAccount(app.id, 'eth', login.account.toLowerCase()),
    );
    if (!owner.ok) {
      await audit('credential_unknown', null);
      return { ok: false, reason: 'credential_unknown' };
    }
    userId = owner.userId;
    credentialId = owner.credentialId;
  } else {
    if (!isEosAccountName(login.account)) {
      await audit('key_invalid', null);
      return { ok: false, reason: 'key_invalid' };
    }
    const found = await eosSignersFor(deps, app, login.account);
    if ('ambiguous' in found || found.signers.length === 0) {
      await audit('credential_unknown', null);
      return { ok: false, reason: 'credential_unknown' };
    }
    const signer = found.signers.find((s) =>
      login.proofs.every((p) => verifyEosSignature(s.key, utf8Bytes(p.text), p.signature).ok),
    );
    valid = signer !== undefined;
    userId = signer?.userId ?? null;
    credentialId = signer?.credentialId ?? null;
  }
  if (!valid) {
    await audit('signature_invalid', userId);
    return { ok: false, reason: 'signature_invalid' };
  }
  const account = login.chain === 'ETH' ? login.account.toLowerCase() : login.account;
  const subject = userId ?? `mykey:${login.chain.toLowerCase()}:${account}`;
  // A verified MYKEY login starts a session (refresh-token family) like any login: its tokens
  // carry `sid`, so refresh, logout, revoke and introspection work for them.
  const { token, refreshToken, refreshExpiresAt, sessionId } = await startSession(deps, tokens, app, {
    userId: subject,
    credentialId,
    amr: 'mykey',
  });
  const grant: MykeyGrant = { token, refreshToken, refreshExpiresAt };
  const won = await deps.store.mykey.complete(app.id, login.uuID, {
    status: 'verified',
    account,
    chain: login.chain,
    // Sealed under the master key, bound to this session: the store never holds either token.
    token: deps.sealer.seal(JSON.stringify(grant), grantPurpose(app.id, login.uuID)),
    reason: null,
  });
  if (!won) {
    // Another completion won the race: the family this one started must not outlive it.
    await deps.store.sessions.revoke(app.id, sessionId, 'replayed', deps.clock());
    await audit('replayed', userId);
    return { ok: false, reason: 'replayed' };
  }
  await audit(null, subject, credentialId);
  return {
    ok: true,
    view: {
      uuID: login.uuID,
      status: 'verified',
      account,
      chain: login.chain,
      ...grant,
      expiresAt: session.expiresAt,
    },
  };
}

function chainOf(body: Record<string, unknown>): 'EOS' | 'ETH' {
  const chain = body['chain'];
  if (chain === undefined || chain === null || chain === '' || chain === 'EOS' || chain === 'ANY')
    return 'EOS';
  if (chain === 'ETH') return 'ETH';
  throw new SignetError('invalid_request', 'chain must be EOS, ETH or ANY');
}

/**
 * `POST /v1/mykey/callback/{appId}`: MYKEY's server calls this. The answer is MYKEY's
 * `{ code, message }`: 0 on success; 1 for a bad request; 2 for a refused login.
 */
export async function handleMykeyCallback(
  deps: Deps,
  tokens: TokenService,
  app: App,
  body: Record<string, unknown>,
  ip: string | null,
): Promise<MykeyAnswer> {
  // MYKEY's servers call this for every user, so successes are never limited (each needs a
  // session, and sessions are limited per client); failures are, per client IP. That client is
  // MYKEY's server for every user, and anyone can make it call with a stale or unknown uuID (a
  // QR code is just data): past the budget, a call naming a pending session of this app still
  // goes on, so a correct login is never refused for failures someone else caused (docs/api.md
  // "Abuse resistance"); the rest is refused before any signature work. Past the budget each
  // pending session takes at most `lockoutMaxFailures` failed calls, so a client cannot buy
  // unbounded verification (and chain API) work with the sessions it may create.
  const budget = clientFailureBudget(deps, app, 'mykey-callback', ip);
  let limited: SignetError | null = null;
  try {
    await budget.check();
  } catch (e) {
    if (!(e instanceof SignetError) || e.code !== 'rate_limited') throw e;
    limited = e;
  }
  let login: SignedLogin;
  try {
    const timestamp = field(body, 'timestamp', 12);
    const account = field(body, 'account', 64);
    const uuID = field(body, 'uuID', 128);
    const ref = field(body, 'ref', 64);
    login = {
      uuID,
      account,
      chain: chainOf(body),
      timestamp,
      proofs: [{ text: timestamp + account + uuID + ref, signature: field(body, 'sign', 256) }],
    };
  } catch (e) {
    if (limited) throw limited;
    await budget.count();
    return { code: 1, message: e instanceof SignetError ? e.message : 'invalid request' };
  }
  const perSession = [
    { key: `fail:mykey-session:${app.id}:${login.uuID}`, max: app.settings.lockoutMaxFailures },
  ];
  if (limited) {
    const pending = await deps.store.mykey.get(app.id, login.uuID);
    if (!pending || pending.status !== 'pending' || pending.expiresAt <= deps.clock()) throw limited;
    await checkRateLimit(deps, app, perSession);
  }
  const result = await completeSignedLogin(deps, tokens, app, login, 'mykey_callback', ip);
  if (!result.ok) await (limited ? countFailure(deps, app, perSession) : budget.count());
  return result.ok ? { code: 0, message: 'success' } : { code: 2, message: 'verification failed' };
}

/**
 * `POST /v1/mykey/verify`: the app forwards what MYKEY's SDK returned. Failures count towards
 * the rate limits (per account and per IP) like failed logins; MYKEY's own callback does not, as
 * it comes from MYKEY's servers for every user. Both `signature` (over
 * `timestamp + account + uuID + ref`, `ref` = the SDK's `origin`) and `mykeyUIDSignature` (over
 * the same plus `mykeyUID`) must verify with the account's key; the `pubKey` it carries is never
 * used on its own.
 */
export async function verifyMykeyResult(
  deps: Deps,
  tokens: TokenService,
  app: App,
  body: Record<string, unknown>,
  ip: string | null,
): Promise<MykeySessionView> {
  const timestamp = field(body, 'timestamp', 12);
  const account = field(body, 'account', 64);
  const uuID = field(body, 'uuID', 128);
  const ref = body['origin'] === undefined ? 'mykey' : field(body, 'origin', 64);
  const mykeyUID = field(body, 'mykeyUID', 256);
  const keys = limitKeys(app, `mykey:${account}`, ip);
  await checkRateLimit(deps, app, keys);
  const base = timestamp + account + uuID + ref;
  const result = await completeSignedLogin(
    deps,
    tokens,
    app,
    {
      uuID,
      account,
      chain: chainOf(body),
      timestamp,
      proofs: [
        { text: base, signature: field(body, 'signature', 256) },
        { text: base + mykeyUID, signature: field(body, 'mykeyUIDSignature', 256) },
      ],
    },
    'mykey_verify',
    ip,
  );
  if (!result.ok) {
    await countFailure(deps, app, keys);
    if (result.reason === 'session_unknown') throw new SignetError('not_found', 'No such MYKEY session.');
    throw new SignetError('verification_failed', undefined, { reason: result.reason });
  }
  return result.view;
}
