/**
 * JSON schemas of the console's routes (docs/console.md). Bounds follow core's checks
 * (`core/apps.ts`), so that a value the schema lets through is one core can judge.
 */
import { appId, userId } from '../schemas.js';

/** Body limit of the console's small JSON bodies (sign-in, app create and edit). */
export const CONSOLE_BODY_LIMIT = 16 * 1024;

export const appParams = { type: 'object', properties: { appId }, required: ['appId'] } as const;
export const userParams = {
  type: 'object',
  properties: { appId, userId },
  required: ['appId', 'userId'],
} as const;
export const noQuery = { type: 'object', additionalProperties: false, properties: {} } as const;
/** A time in a view: ISO 8601, or null when it has not happened. */
export const isoOrNull = { type: ['string', 'null'] } as const;

export const appView = {
  type: 'object',
  properties: {
    appId: { type: 'string' },
    name: { type: 'string' },
    rpId: { type: ['string', 'null'] },
    origins: { type: 'array', items: { type: 'string' } },
    settings: { type: 'object', additionalProperties: true },
    activeSecrets: { type: 'integer' },
    /** Webhook signing secrets in use (two during a rotation); never the secrets themselves. */
    activeWebhookSecrets: { type: 'integer' },
    createdAt: { type: 'string' },
  },
} as const;

/** An app and its new secret: the only answers that carry a secret, once. */
export const appWithSecret = {
  type: 'object',
  properties: { app: appView, secret: { type: 'string' } },
} as const;

/**
 * The settings an operator may set from the console (AppSettings, bounded as core checks them;
 * `updateApp`/`createApp` then run core's own checks, the ones `signet app set` runs). Key
 * material and URLs that may carry a provider's key (`httpSignatureKey`, attestation roots,
 * `ethRpc`, the webhook URL and its secrets) are set with the CLI only (docs/console.md).
 */
export const settingsPatch = {
  type: 'object',
  additionalProperties: false,
  properties: {
    challengeTtlMs: { type: 'integer', minimum: 1, maximum: 86_400_000 },
    skewMs: { type: 'integer', minimum: 1, maximum: 3_600_000 },
    tokenTtlSec: { type: 'integer', minimum: 1, maximum: 30 * 86_400 },
    /** Refresh-token family lifetime (docs/tokens.md): 1 s to 365 days. */
    refreshTtlSec: { type: 'integer', minimum: 1, maximum: 365 * 86_400 },
    lockoutMaxFailures: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    lockoutWindowMs: { type: 'integer', minimum: 1, maximum: 86_400_000 },
    clientChallenges: { type: 'boolean' },
    requireUserVerification: { type: 'boolean' },
    /** Wallet registrations must prove possession (docs/api.md). */
    requireWalletProof: { type: 'boolean' },
    ethChainIds: {
      type: 'array',
      maxItems: 32,
      items: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    },
  },
} as const;

const origins = {
  type: 'array',
  maxItems: 20,
  items: { type: 'string', minLength: 1, maxLength: 300 },
} as const;

/** A WebAuthn rpId: a host name (WebAuthn §5.1.2: a registrable domain suffix of the origins). */
const rpId = {
  type: ['string', 'null'],
  minLength: 1,
  maxLength: 253,
  pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$',
} as const;

const name = { type: 'string', minLength: 1, maxLength: 100 } as const;

export const createAppBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name, origins, rpId, settings: settingsPatch },
} as const;

export const updateAppBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name,
    origins,
    rpId,
    settings: settingsPatch,
    /** Ends a rotation: only the newest secret stays. */
    dropOldSecret: { type: 'boolean' },
  },
} as const;

// Paging in a query string: strings, as every console query, since the server's validator does
// not coerce types (an `integer` here refused every `?limit=` a browser or curl sends).
/** A page size, `1`-`9999` (each route bounds it further). */
export const pageLimit = { type: 'string', pattern: '^[0-9]{1,4}$' } as const;
/** A page edge: Unix ms. */
export const pageBefore = { type: 'string', pattern: '^[0-9]{1,15}$' } as const;

/** `cursor`: an audit page's `nextCursor`, `<at>.<id>` (opaque to clients). */
export const AUDIT_CURSOR = /^([0-9]{1,15})\.([A-Za-z0-9_-]{1,64})$/;

export const auditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    userId,
    userPrefix: { type: 'string', minLength: 1, maxLength: 128 },
    scheme: { type: 'string', pattern: '^[a-z0-9_-]{1,32}$' },
    action: { type: 'string', pattern: '^[a-z0-9_-]{1,32}$' },
    outcome: { type: 'string', enum: ['success', 'failure'] },
    reason: { type: 'string', pattern: '^[a-z0-9_]{1,64}$' },
    limit: pageLimit,
    before: pageBefore,
    cursor: { type: 'string', pattern: AUDIT_CURSOR.source },
  },
} as const;

export const chartView = {
  type: 'object',
  properties: {
    from: { type: 'integer' },
    to: { type: 'integer' },
    bucketMs: { type: 'integer' },
    truncated: { type: 'boolean' },
    series: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          kind: { type: 'string' },
          scheme: { type: 'string' },
          outcome: { type: 'string' },
          counts: { type: 'array', items: { type: 'integer' } },
          total: { type: 'integer' },
        },
      },
    },
    summary: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          kind: { type: 'string' },
          attempts: { type: 'integer' },
          failures: { type: 'integer' },
          failureRate: { type: 'number' },
        },
      },
    },
    reasons: {
      type: 'array',
      items: {
        type: 'object',
        properties: { reason: { type: 'string' }, count: { type: 'integer' } },
      },
    },
  },
} as const;
