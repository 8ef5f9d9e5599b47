import { SignetError } from '../errors/SignetError.js';
import { SCHEMES } from '../schemes/registry.js';
import type { App, Credential, CredentialType } from '../store/types.js';
import type { Deps } from './deps.js';
import { randomId } from './ids.js';

/** Credential types registered through `POST /v1/users/{userId}/credentials` (webauthn has its ceremony). */
export const DIRECT_TYPES = ['device', 'eos', 'eth'] as const;
type DirectType = (typeof DIRECT_TYPES)[number];

/** Most credentials one user may hold; bounds the work of a login that tries each key. */
export const MAX_CREDENTIALS_PER_USER = 20;

const USER_ID = /^[\s\S]{1,128}$/;

/** Checks a userId from a path or body (docs/api.md: 1-128 characters). */
export function checkUserId(userId: unknown): string {
  if (typeof userId !== 'string' || !USER_ID.test(userId) || /[\u0000-\u001f]/.test(userId)) {
    throw new SignetError('invalid_request', 'userId must be 1-128 characters without control characters');
  }
  return userId;
}

/**
 * Registers a device, eos or eth credential after strict parsing of its body by the scheme.
 * A device key with a `deviceId` replaces the user's earlier key for that device (the seed's
 * `createKey` deletes earlier keys on the phone).
 *
 * @example
 * await registerCredential(deps, app, 'alice', { type: 'device', publicKey: pem });
 */
export async function registerCredential(
  deps: Deps,
  app: App,
  userId: string,
  body: unknown,
): Promise<Credential> {
  checkUserId(userId);
  const type = (body as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !(DIRECT_TYPES as readonly string[]).includes(type)) {
    throw new SignetError('invalid_request', `type must be one of ${DIRECT_TYPES.join(', ')}`);
  }
  const parse = SCHEMES[type as DirectType].parseCredential;
  if (!parse) throw new SignetError('invalid_request', 'this type is not registered directly');
  const parsed = parse(body);
  if (!parsed.ok) throw new SignetError('invalid_request', parsed.message);
  const draft = parsed.value;
  const existing = await deps.store.credentials.listByUser(app.id, userId);
  const replacing =
    draft.deviceId !== null && existing.some((c) => c.type === 'device' && c.deviceId === draft.deviceId);
  if (!replacing && existing.length >= MAX_CREDENTIALS_PER_USER) {
    throw new SignetError('conflict', `a user holds at most ${MAX_CREDENTIALS_PER_USER} credentials`);
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
  await deps.store.credentials.create(credential);
  return credential;
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
}
