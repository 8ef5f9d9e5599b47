import { isSignetError, SignetError } from '../errors/SignetError.js';
import { SCHEMES } from '../schemes/registry.js';
import type { App, Credential, CredentialType } from '../store/types.js';
import { recordAttempt } from './audit.js';
import type { Deps } from './deps.js';
import { randomId } from './ids.js';
import { isRpcFailure } from './contractWallets.js';
import { verifyWalletProof } from './login.js';
import { checkNewUserId, checkUserId } from './users.js';
import { notifyApp, notifyCredentialCreated } from './appWebhooks.js';

export { checkUserId };

/** Credential types registered through `POST /v1/users/{userId}/credentials` (webauthn has its ceremony). */
export const DIRECT_TYPES = ['device', 'eos', 'eth'] as const;
type DirectType = (typeof DIRECT_TYPES)[number];

/** Most credentials one user may hold; bounds the work of a login that tries each key. */
export const MAX_CREDENTIALS_PER_USER = 20;

/** A registration's answer: `created` is false when the user already held this wallet. */
export interface Registered {
  credential: Credential;
  created: boolean;
}

const WALLET_TYPES: ReadonlySet<string> = new Set(['eos', 'eth']);

/**
 * Registers a device, eos or eth credential after strict parsing of its body by the scheme.
 * A device key with a `deviceId` replaces the user's earlier key for that device (the seed's
 * `createKey` deletes earlier keys on the phone).
 *
 * Wallets (docs/api.md "Identity binding"): an `eos` account or `eth` address belongs to at
 * most one user of the app. With the app setting `requireWalletProof` the body must carry
 * `proof: { challengeId, signature, message? }`, checked exactly as a login (400
 * `invalid_request` without one; 401 `verification_failed`, audited, when it does not verify);
 * a proof given to an app that does not require one is checked all the same. The wallet held
 * by another user answers 409 `conflict`; the same user registering it again gets the existing
 * credential back (`created: false`).
 *
 * @example
 * await registerCredential(deps, app, 'alice', { type: 'device', publicKey: pem });
 */
export async function registerCredential(
  deps: Deps,
  app: App,
  userId: string,
  body: unknown,
  ip: string | null = null,
): Promise<Credential> {
  return (await registerCredentialOnce(deps, app, userId, body, ip)).credential;
}

/**
 * {@link registerCredential}, telling a new credential (`created: true`, HTTP 201) from a wallet
 * the user already held (`created: false`, HTTP 200).
 *
 * @example
 * const { credential, created } = await registerCredentialOnce(deps, app, 'alice', { type: 'eth', address, proof });
 */
export async function registerCredentialOnce(
  deps: Deps,
  app: App,
  userId: string,
  body: unknown,
  ip: string | null = null,
): Promise<Registered> {
  checkNewUserId(userId);
  const type = (body as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !(DIRECT_TYPES as readonly string[]).includes(type)) {
    throw new SignetError('invalid_request', `type must be one of ${DIRECT_TYPES.join(', ')}`);
  }
  const parse = SCHEMES[type as DirectType].parseCredential;
  if (!parse) throw new SignetError('invalid_request', 'this type is not registered directly');
  const { proof, ...fields } = body as Record<string, unknown>;
  const wallet = WALLET_TYPES.has(type);
  if (proof !== undefined && !wallet)
    throw new SignetError('invalid_request', 'only eos and eth take a proof');
  const parsed = parse(fields);
  if (!parsed.ok) throw new SignetError('invalid_request', parsed.message);
  const draft = parsed.value;
  if (wallet && proof === undefined && app.settings.requireWalletProof === true) {
    throw new SignetError(
      'invalid_request',
      'this app requires a proof of possession: proof { challengeId, signature } from a challenge for this user',
    );
  }
  const credential: Credential = {
    id: randomId(deps.random, 'cred'),
    appId: app.id,
    userId,
    type: type as CredentialType,
    label: draft.label,
    deviceId: draft.deviceId,
    account: draft.account,
    publicKey: draft.publicKey,
    counter: 0,
    createdAt: deps.clock(),
    lastUsedAt: null,
  };
  const audit = (reason: string | null, credentialId: string | null) =>
    recordAttempt(deps, { app, scheme: type, action: 'register', reason, userId, credentialId, ip });
  if (proof !== undefined) {
    let result;
    try {
      result = await verifyWalletProof(deps, app, credential as Credential & { type: 'eos' | 'eth' }, proof);
    } catch (e) {
      if (isSignetError(e, 'challenge_unknown') || isSignetError(e, 'challenge_expired'))
        await audit(e.code, null);
      // The app's Ethereum RPC did not answer a contract-wallet proof (src/core/contractWallets.ts).
      else if (isSignetError(e, 'store_unavailable') && isRpcFailure(e.reason)) await audit(e.reason, null);
      throw e;
    }
    if (!result.ok) {
      await audit(result.reason, null);
      throw new SignetError('verification_failed', undefined, { reason: result.reason });
    }
  }
  const existing = await deps.store.credentials.listByUser(app.id, userId);
  if (wallet) {
    const held = await walletHolder(deps, app, credential);
    if (held !== null) return held;
  }
  const replacing =
    draft.deviceId !== null && existing.some((c) => c.type === 'device' && c.deviceId === draft.deviceId);
  if (!replacing && existing.length >= MAX_CREDENTIALS_PER_USER) {
    throw new SignetError('conflict', `a user holds at most ${MAX_CREDENTIALS_PER_USER} credentials`);
  }
  let replaced: string[];
  try {
    ({ replaced } = await deps.store.credentials.create(credential));
  } catch (e) {
    // A unique-index conflict: another registration of this wallet won a race with this one.
    if (wallet && isSignetError(e, 'conflict')) {
      const held = await walletHolder(deps, app, credential);
      if (held !== null) return held;
    }
    throw e;
  }
  if (wallet) await audit(null, credential.id);
  await notifyCredentialCreated(deps, app, credential, replaced);
  return { credential, created: true };
}

/**
 * The answer for a wallet someone already holds in the app: the user's own credential again
 * (idempotent, when it is the same key), or 409 `conflict`; `null` when the wallet is free.
 */
async function walletHolder(deps: Deps, app: App, wanted: Credential): Promise<Registered | null> {
  const [held] = await deps.store.credentials.findByAccount(app.id, wanted.type, wanted.account as string);
  if (held === undefined) return null;
  if (held.userId !== wanted.userId) {
    throw new SignetError(
      'conflict',
      `this ${wanted.type} ${wanted.type === 'eos' ? 'account' : 'address'} belongs to another user of the app`,
    );
  }
  if (JSON.stringify(held.publicKey) !== JSON.stringify(wanted.publicKey)) {
    throw new SignetError(
      'conflict',
      'the user holds this account with another key; revoke that credential first to change it',
    );
  }
  return { credential: held, created: false };
}

/** A credential as the API shows it (docs/api.md `{ id, type, userId, createdAt, lastUsedAt, label, ... }`). */
export function describeCredential(c: Credential): Record<string, unknown> {
  return {
    id: c.id,
    type: c.type,
    userId: c.userId,
    label: c.label,
    deviceId: c.deviceId,
    account: c.account,
    publicKey: c.publicKey,
    counter: c.counter,
    createdAt: new Date(c.createdAt).toISOString(),
    lastUsedAt: c.lastUsedAt === null ? null : new Date(c.lastUsedAt).toISOString(),
  };
}

/** Revokes one of the user's credentials; `not_found` when there is none by that id. */
export async function revokeCredential(
  deps: Deps,
  app: App,
  userId: string,
  credentialId: string,
): Promise<void> {
  checkUserId(userId);
  if (!(await deps.store.credentials.delete(app.id, userId, credentialId)))
    throw new SignetError('not_found', 'No such credential.');
  // Its sessions end with it: refresh refused, access tokens introspect inactive (docs/api.md).
  const sessionsRevoked = await deps.store.sessions.revokeByCredential(
    app.id,
    credentialId,
    'credential_deleted',
    deps.clock(),
  );
  await notifyApp(deps, app, 'credential.deleted', {
    userId,
    credentialId,
    reason: 'revoked',
    sessionsRevoked,
  });
}

/**
 * The start-up report of wallets the one-wallet-per-app migration moved aside (store migration
 * 2): one warning per app with the credential ids that lost, who held them, and the credential
 * that kept the wallet, so an operator can tell those users. Nothing is logged when there are
 * none. Returns how many there are.
 *
 * @example
 * await reportDisplacedCredentials(deps); // at `signet serve` start
 */
export async function reportDisplacedCredentials(deps: Deps): Promise<number> {
  const displaced = await deps.store.credentials.listDisplaced();
  const byApp = new Map<string, typeof displaced>();
  for (const d of displaced) byApp.set(d.appId, [...(byApp.get(d.appId) ?? []), d]);
  for (const [appId, list] of byApp) {
    deps.log.warn(
      {
        appId,
        displaced: list.map((d) => ({
          credentialId: d.id,
          userId: d.userId,
          type: d.type,
          account: d.account,
          keptCredentialId: d.keptId,
          keptUserId: d.keptUserId,
        })),
      },
      `${list.length} wallet credential(s) of this app named an account another user held first; ` +
        'they were moved to credentials_displaced (one wallet, one user) and no longer log in',
    );
  }
  return displaced.length;
}
