import { SignetError } from '../errors/SignetError.js';
import { checkPasskeySettings } from './passkeyPolicy.js';
import { parseHttpSigPublicKey } from '../schemes/httpsig/index.js';
import type { App, AppSettings } from '../store/types.js';
import type { Deps } from './deps.js';
import { randomAlphanumeric, randomId } from './ids.js';

/** Defaults for a new app (docs/api.md: challenge TTL 300 s, skew 300 000 ms). */
export const DEFAULT_APP_SETTINGS: AppSettings = {
  challengeTtlMs: 300_000,
  skewMs: 300_000,
  tokenTtlSec: 3600,
  clientChallenges: false,
  requireUserVerification: false,
  ethChainIds: [],
  chainApi: null,
  ethRpc: null,
  lockoutMaxFailures: 10,
  lockoutWindowMs: 900_000,
  requireWalletProof: true,
  // 30 days (src/core/sessions.ts DEFAULT_REFRESH_TTL_SEC; docs/tokens.md says why).
  refreshTtlSec: 30 * 86_400,
  attestation: 'none',
  attestationRoots: [],
  aaguidAllow: [],
  aaguidDeny: [],
  fidoMds: null,
};

const SECRET_PURPOSE = 'app-secret';

export interface NewApp {
  name: string;
  origins?: string[];
  rpId?: string | null;
  settings?: Partial<AppSettings>;
}

/**
 * Checks an origin as a user would type it: `https://host[:port]`, `http://localhost[:port]`
 * style, or an Android `android:apk-key-hash:` origin. Returns the normalised origin or throws.
 */
export function normalizeOrigin(origin: string): string {
  if (/^android:apk-key-hash:[A-Za-z0-9_-]{20,100}$/.test(origin)) return origin;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new SignetError('invalid_request', `origin '${origin.slice(0, 100)}' is not a URL`);
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.pathname !== '/' ||
    url.search ||
    url.hash
  ) {
    throw new SignetError('invalid_request', `origin '${origin.slice(0, 100)}' must be scheme://host[:port]`);
  }
  return url.origin;
}

function checkSettings(settings: AppSettings): AppSettings {
  const positive = (n: number, max: number) => Number.isInteger(n) && n > 0 && n <= max;
  if (!positive(settings.challengeTtlMs, 86_400_000))
    throw new SignetError('invalid_request', 'challengeTtlMs out of range');
  if (!positive(settings.skewMs, 3_600_000)) throw new SignetError('invalid_request', 'skewMs out of range');
  if (!positive(settings.tokenTtlSec, 30 * 86_400))
    throw new SignetError('invalid_request', 'tokenTtlSec out of range');
  if (settings.refreshTtlSec !== undefined && !positive(settings.refreshTtlSec, 365 * 86_400))
    throw new SignetError('invalid_request', 'refreshTtlSec out of range (1 s to 365 days)');
  if (!positive(settings.lockoutMaxFailures, 1_000_000))
    throw new SignetError('invalid_request', 'lockoutMaxFailures out of range');
  if (!positive(settings.lockoutWindowMs, 86_400_000))
    throw new SignetError('invalid_request', 'lockoutWindowMs out of range');
  if (typeof settings.requireWalletProof !== 'boolean')
    throw new SignetError('invalid_request', 'requireWalletProof must be true or false');
  if (!settings.ethChainIds.every((id) => Number.isSafeInteger(id) && id > 0)) {
    throw new SignetError('invalid_request', 'ethChainIds must be positive integers');
  }
  checkPasskeySettings(settings);
  if (settings.chainApi !== null) {
    let url: URL;
    try {
      url = new URL(settings.chainApi);
    } catch {
      throw new SignetError(
        'invalid_request',
        `chainApi '${settings.chainApi.slice(0, 100)}' is not a URL (e.g. https://eos.greymass.com)`,
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new SignetError('invalid_request', 'chainApi must be http(s)');
  }
  if (settings.httpSignatureKey !== undefined && settings.httpSignatureKey !== null) {
    const key = parseHttpSigPublicKey(settings.httpSignatureKey);
    if (!key.ok) throw new SignetError('invalid_request', key.message);
    settings.httpSignatureKey = settings.httpSignatureKey.trim();
  }
  if (settings.ethRpc !== undefined && settings.ethRpc !== null) checkEthRpc(settings.ethRpc);
  return settings;
}

/** An Ethereum JSON-RPC URL: http(s), a host, at most 2048 characters, no fragment. */
function checkEthRpc(value: unknown): void {
  let url: URL | null = null;
  if (typeof value === 'string' && value.length <= 2048) {
    try {
      url = new URL(value);
    } catch {
      url = null;
    }
  }
  if (
    url === null ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.hostname === '' ||
    url.hash
  ) {
    throw new SignetError('invalid_request', 'ethRpc must be an http(s) URL of at most 2048 characters');
  }
}

/** The default WebAuthn rpId: the host of the first web origin. */
function defaultRpId(origins: string[]): string | null {
  const web = origins.find((o) => o.startsWith('http'));
  return web ? new URL(web).hostname : null;
}

/**
 * Creates an app with one fresh secret; the plaintext secret is returned once and stored sealed.
 *
 * @example
 * const { app, secret } = await createApp(deps, { name: 'shop', origins: ['https://shop.example'] });
 */
export async function createApp(deps: Deps, input: NewApp): Promise<{ app: App; secret: string }> {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100)
    throw new SignetError('invalid_request', 'name must be 1-100 characters');
  const origins = [...new Set((input.origins ?? []).map(normalizeOrigin))];
  const secret = randomAlphanumeric(deps.random, 64);
  const now = deps.clock();
  const app: App = {
    id: randomAlphanumeric(deps.random, 32),
    name,
    secrets: [
      {
        id: randomId(deps.random, 'sec', 10),
        sealed: deps.sealer.seal(secret, SECRET_PURPOSE),
        createdAt: now,
      },
    ],
    rpId: input.rpId ?? defaultRpId(origins),
    origins,
    settings: checkSettings({ ...DEFAULT_APP_SETTINGS, ...input.settings }),
    createdAt: now,
  };
  await deps.store.apps.create(app);
  return { app, secret };
}

/**
 * Adds a new secret and keeps only the previous one beside it: both verify until the next
 * rotation (docs/api.md: two active secrets during rotation).
 */
export async function rotateAppSecret(deps: Deps, appId: string): Promise<{ app: App; secret: string }> {
  const app = await requireApp(deps, appId);
  const secret = randomAlphanumeric(deps.random, 64);
  const fresh = {
    id: randomId(deps.random, 'sec', 10),
    sealed: deps.sealer.seal(secret, SECRET_PURPOSE),
    createdAt: deps.clock(),
  };
  const updated: App = { ...app, secrets: [fresh, ...app.secrets.slice(0, 1)] };
  await deps.store.apps.update(updated);
  return { app: updated, secret };
}

export interface AppPatch {
  name?: string;
  origins?: string[];
  addOrigins?: string[];
  rpId?: string | null;
  settings?: Partial<AppSettings>;
  /** Drops every secret but the newest (ends a rotation). */
  dropOldSecret?: boolean;
}

/** Changes an app's name, origins, rpId or settings. */
export async function updateApp(deps: Deps, appId: string, patch: AppPatch): Promise<App> {
  const app = await requireApp(deps, appId);
  let origins = patch.origins ? patch.origins.map(normalizeOrigin) : app.origins;
  if (patch.addOrigins) origins = [...origins, ...patch.addOrigins.map(normalizeOrigin)];
  const updated: App = {
    ...app,
    name: patch.name?.trim() || app.name,
    origins: [...new Set(origins)],
    rpId: patch.rpId === undefined ? app.rpId : patch.rpId,
    // An app stored before wallet proofs existed reads requireWalletProof as false (migration 2).
    settings: checkSettings({
      ...app.settings,
      requireWalletProof: app.settings.requireWalletProof === true,
      ...patch.settings,
    }),
    secrets: patch.dropOldSecret ? app.secrets.slice(0, 1) : app.secrets,
  };
  await deps.store.apps.update(updated);
  return updated;
}

/** The app, or `not_found`. */
export async function requireApp(deps: Deps, appId: string): Promise<App> {
  const app = await deps.store.apps.get(appId);
  if (!app) throw new SignetError('not_found', 'No such app.');
  return app;
}

/**
 * The app's active secrets in plaintext, newest first (for Tiniapp verification). A secret that
 * does not open (sealed under another master key, e.g. rotated by a CLI run with the wrong
 * SIGNET_MASTER_KEY) is logged and left out, so the app's other secrets keep working; when none
 * opens, `store_unavailable` (503): the server cannot check any signature of the app.
 */
export function openAppSecrets(deps: Deps, app: App): string[] {
  const opened: string[] = [];
  let failure: unknown = null;
  for (const s of app.secrets) {
    try {
      opened.push(deps.sealer.open(s.sealed, SECRET_PURPOSE));
    } catch (e) {
      failure = e;
      deps.log.warn(
        { appId: app.id, secretId: s.id },
        'an app secret does not open with this master key (check SIGNET_MASTER_KEY; rotate the secret to replace it)',
      );
    }
  }
  if (opened.length === 0 && failure !== null) throw failure;
  return opened;
}

/** An app as shown to operators: never a secret, sealed or not. */
export function describeApp(app: App): Record<string, unknown> {
  const { webhookSecrets, ...settings } = app.settings;
  return {
    appId: app.id,
    name: app.name,
    rpId: app.rpId,
    origins: app.origins,
    settings: { ...settings, webhookUrl: settings.webhookUrl ?? null },
    activeSecrets: app.secrets.length,
    activeWebhookSecrets: (webhookSecrets ?? []).length,
    createdAt: new Date(app.createdAt).toISOString(),
  };
}

/** The app's WebAuthn rpId, or `invalid_request` naming the setting an operator must make. */
export function requireRpId(app: App): string {
  if (!app.rpId) {
    throw new SignetError(
      'invalid_request',
      'this app has no WebAuthn rpId; set one with `signet app set --rp-id`',
    );
  }
  // A WebAuthn ceremony checks the page origin too: without any, no answer could verify.
  if (app.origins.length === 0) {
    throw new SignetError(
      'invalid_request',
      'this app has no origins for WebAuthn; add one with `signet app set --add-origin`',
    );
  }
  return app.rpId;
}
