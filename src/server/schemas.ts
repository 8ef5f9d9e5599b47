/**
 * JSON schemas shared by the routes. Strings are bounded everywhere; objects refuse unknown
 * properties unless a standard (WebAuthn JSON) allows extensions.
 */

export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, reason: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
} as const;

/** Error responses every route may give. */
export const errorResponses = {
  '4xx': errorSchema,
  '5xx': errorSchema,
} as const;

export const appId = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' } as const;
export const userId = { type: 'string', minLength: 1, maxLength: 128 } as const;
export const credentialId = { type: 'string', minLength: 1, maxLength: 1400 } as const;
export const challengeId = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
} as const;
export const signatureText = { type: 'string', minLength: 1, maxLength: 4096 } as const;
export const base64url = (maxLength: number) =>
  ({ type: 'string', maxLength, pattern: '^[A-Za-z0-9_-]*={0,2}$' }) as const;

/** The server-API security requirement, for the OpenAPI document. */
/** Server-API routes: a Tiniapp signature or an RFC 9421 HTTP message signature (either one). */
export const tiniappSecurity: Array<Record<string, string[]>> = [{ tiniapp: [] }, { httpSignature: [] }];

export const credentialView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    userId: { type: 'string' },
    label: { type: ['string', 'null'] },
    deviceId: { type: ['string', 'null'] },
    account: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    lastUsedAt: { type: ['string', 'null'] },
    publicKey: { type: 'object', additionalProperties: true },
    counter: { type: 'integer' },
  },
} as const;

/**
 * The tokens a login and a refresh answer with (docs/tokens.md): the access token and its `exp`,
 * the refresh token and its family's end (Unix seconds). Spread into a response's properties, in
 * this order (the serializer writes the properties in schema order).
 */
export const sessionTokenFields = {
  token: { type: 'string' },
  expiresAt: { type: 'integer' },
  refreshToken: { type: 'string' },
  refreshExpiresAt: { type: 'integer' },
} as const;

/** WebAuthn AuthenticationResponseJSON / RegistrationResponseJSON: checked strictly by the scheme parser. */
export const webauthnResponse = { type: 'object', maxProperties: 16, additionalProperties: true } as const;

/** One audit record as the server API and the console show it (`at` as ISO 8601). */
export const auditRecord = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    at: { type: 'string' },
    scheme: { type: 'string' },
    action: { type: 'string' },
    outcome: { type: 'string' },
    reason: { type: ['string', 'null'] },
    userId: { type: ['string', 'null'] },
    credentialId: { type: ['string', 'null'] },
    ip: { type: ['string', 'null'] },
    count: { type: 'integer' },
  },
} as const;
