import { SignetError } from '../errors/SignetError.js';
import type { App, Credential, StoredSecret } from '../store/types.js';
import type { Deps } from './deps.js';
import { randomId } from './ids.js';
import { requireApp } from './apps.js';
import {
  emitWebhookEvent,
  generateWebhookSecret,
  type WebhookEndpoint,
  type WebhookEventType,
} from './webhooks/index.js';

/**
 * An app's webhook settings (docs/protocols.md "Signed webhooks"): the URL and its sealed
 * `whsec_` secrets live in the app's settings JSON (`webhookUrl`, `webhookSecrets`); events go
 * into the outbox only for apps with a URL, read from the app already in hand.
 */

const WEBHOOK_SECRET_PURPOSE = 'webhook-secret';
const MAX_URL_LENGTH = 2048;

/**
 * A webhook URL as an operator types it: absolute `http:` or `https:`, no user name or password
 * (they would sit in the settings in plaintext), no fragment, at most 2048 characters. Private
 * and loopback addresses are allowed: Signet is self-hosted and the receiver is often on the
 * same network; only an operator with the store sets the URL (docs/security.md).
 *
 * @example
 * normalizeWebhookUrl('https://shop.example/hooks/signet') // 'https://shop.example/hooks/signet'
 */
export function normalizeWebhookUrl(text: string): string {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_URL_LENGTH)
    throw new SignetError('invalid_request', `webhook URL must be 1-${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SignetError('invalid_request', 'webhook URL is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new SignetError('invalid_request', 'webhook URL must be http or https');
  if (url.username !== '' || url.password !== '')
    throw new SignetError('invalid_request', 'webhook URL must not carry a user name or password');
  if (url.hash !== '') throw new SignetError('invalid_request', 'webhook URL must not have a fragment');
  return url.href;
}

export interface WebhookChange {
  /** A new URL, or `null` to turn webhooks off (the secrets are forgotten with it). */
  url?: string | null;
  /** Adds a new secret and keeps the previous one beside it (both sign every delivery). */
  rotate?: boolean;
  /** Keeps only the newest secret (ends a rotation). */
  dropOld?: boolean;
}

function sealSecret(deps: Deps, secret: string): StoredSecret {
  return {
    id: randomId(deps.random, 'whs', 10),
    sealed: deps.sealer.seal(secret, WEBHOOK_SECRET_PURPOSE),
    createdAt: deps.clock(),
  };
}

/**
 * Changes an app's webhook settings. Setting a URL on an app without a secret, or rotating,
 * generates a `whsec_` secret: it is returned here once (`webhookSecret`) and stored sealed.
 * A new URL on an app that has a secret keeps it. `url: null` turns webhooks off and forgets the
 * secrets (messages still in the outbox are dead-lettered as `webhooks_disabled`).
 *
 * @example
 * const { webhookSecret } = await setAppWebhook(deps, appId, { url: 'https://shop.example/hooks' });
 */
export async function setAppWebhook(
  deps: Deps,
  appId: string,
  change: WebhookChange,
): Promise<{ app: App; webhookSecret: string | null }> {
  const app = await requireApp(deps, appId);
  if (change.url === null && (change.rotate || change.dropOld))
    throw new SignetError('invalid_request', 'a rotation needs a webhook URL; give one, not none');
  const url = change.url === undefined ? (app.settings.webhookUrl ?? null) : change.url;
  if (url === null) {
    if (change.rotate || change.dropOld)
      throw new SignetError('invalid_request', 'this app has no webhook URL; set one with --webhook-url');
    const updated: App = { ...app, settings: { ...app.settings, webhookUrl: null, webhookSecrets: [] } };
    await deps.store.apps.update(updated);
    return { app: updated, webhookSecret: null };
  }
  let secrets = app.settings.webhookSecrets ?? [];
  let webhookSecret: string | null = null;
  if (secrets.length === 0 || change.rotate) {
    webhookSecret = generateWebhookSecret(deps.random);
    secrets = [sealSecret(deps, webhookSecret), ...secrets.slice(0, 1)];
  }
  if (change.dropOld) secrets = secrets.slice(0, 1);
  const updated: App = {
    ...app,
    settings: { ...app.settings, webhookUrl: normalizeWebhookUrl(url), webhookSecrets: secrets },
  };
  await deps.store.apps.update(updated);
  return { app: updated, webhookSecret };
}

/**
 * Where the dispatcher sends the app's events, read at each attempt: its URL and unsealed
 * secrets (newest first), or `null` when the app is gone or has webhooks turned off.
 *
 * @example
 * createWebhookDispatcher({ ..., resolveEndpoint: (appId) => webhookEndpoint(deps, appId) });
 */
export async function webhookEndpoint(deps: Deps, appId: string): Promise<WebhookEndpoint | null> {
  const app = await deps.store.apps.get(appId);
  const url = app?.settings.webhookUrl;
  const sealed = app?.settings.webhookSecrets ?? [];
  if (!url || sealed.length === 0) return null;
  return { url, secrets: sealed.map((s) => deps.sealer.open(s.sealed, WEBHOOK_SECRET_PURPOSE)) };
}

/**
 * Puts an event for the app in the webhook outbox, when the app has a webhook URL; for any other
 * app it returns at once, without touching the store. `data` is ids, scheme names and reason
 * codes (never a secret or a token); `appId` is added. The enqueue follows the caller's own
 * write: it is not in one transaction with it, so a crash between the two loses the event, and
 * an enqueue that fails (store down) is logged, never turned into another answer for the caller.
 *
 * @example
 * await notifyApp(deps, app, 'credential.created', { userId, credentialId, type: 'device' });
 */
export async function notifyApp(
  deps: Deps,
  app: App,
  type: WebhookEventType,
  data: Record<string, unknown>,
): Promise<void> {
  if (!app.settings.webhookUrl) return;
  try {
    await emitWebhookEvent(deps, app.id, type, { appId: app.id, ...data });
  } catch (e) {
    deps.log.warn({ appId: app.id, type, err: (e as Error).name }, 'webhook event not enqueued');
  }
}

/**
 * `credential.created` for a new credential, and `credential.deleted` (reason `replaced`) for
 * each earlier key of the same device it replaced.
 *
 * @example
 * await notifyCredentialCreated(deps, app, credential, replaced);
 */
export async function notifyCredentialCreated(
  deps: Deps,
  app: App,
  credential: Credential,
  replaced: string[] = [],
): Promise<void> {
  if (!app.settings.webhookUrl) return;
  const { userId, type, deviceId, account } = credential;
  await notifyApp(deps, app, 'credential.created', {
    userId,
    credentialId: credential.id,
    type,
    deviceId,
    account,
  });
  for (const id of replaced)
    await notifyApp(deps, app, 'credential.deleted', { userId, credentialId: id, reason: 'replaced' });
}
