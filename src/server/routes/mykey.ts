import type { FastifyInstance } from 'fastify';
import {
  handleMykeyCallback,
  readMykeySession,
  startMykeySession,
  verifyMykeyResult,
} from '../../core/mykey.js';
import { limitIssuance } from '../../core/rateLimit.js';
import type { RouteContext } from '../context.js';
import { requireAppForPublic } from '../publicApp.js';
import { appId, errorResponses } from '../schemas.js';

const scalar = { type: ['string', 'integer'], maxLength: 512 } as const;

/** A body or query string that names the app and nothing else. */
const appOnly = {
  type: 'object',
  required: ['appId'],
  additionalProperties: false,
  properties: { appId },
} as const;

const sessionView = {
  type: 'object',
  properties: {
    uuID: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'verified', 'failed'] },
    account: { type: 'string' },
    chain: { type: 'string' },
    token: { type: 'string' },
    refreshToken: { type: 'string' },
    refreshExpiresAt: { type: 'integer' },
    expiresAt: { type: 'integer' },
  },
} as const;

const uuID = { type: 'string', minLength: 1, maxLength: 128 } as const;

/**
 * The header that carries a MYKEY session's poll secret (from `POST /v1/mykey/sessions`): a
 * header rather than the query, so it stays out of access logs and browser history.
 */
export const MYKEY_POLL_SECRET_HEADER = 'x-signet-poll-secret';

/** Public API: MYKEY sessions, MYKEY's server callback, and the SDK-result check. */
export function registerMykeyRoutes(api: FastifyInstance, ctx: RouteContext): void {
  api.post<{ Body: { appId: string } }>(
    '/v1/mykey/sessions',
    {
      config: { side: 'public' },
      schema: {
        summary: 'Start a MYKEY login session',
        body: appOnly,
        response: {
          200: {
            type: 'object',
            properties: {
              uuID: { type: 'string' },
              callbackUrl: { type: 'string' },
              expiresAt: { type: 'integer' },
              pollSecret: { type: 'string' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const app = await requireAppForPublic(ctx.deps, request, request.body.appId);
      await limitIssuance(ctx.deps, 'mykey-session', request.ip, ctx.issueLimitPerMinute);
      return startMykeySession(ctx.deps, app);
    },
  );

  api.get<{ Params: { uuID: string }; Querystring: { appId: string } }>(
    '/v1/mykey/sessions/:uuID',
    {
      config: { side: 'public' },
      schema: {
        summary: 'Read a MYKEY session',
        params: { type: 'object', properties: { uuID }, required: ['uuID'] },
        headers: {
          type: 'object',
          properties: {
            [MYKEY_POLL_SECRET_HEADER]: {
              type: 'string',
              maxLength: 128,
              description: "The session's pollSecret: without it the answer never carries the token.",
            },
          },
        },
        querystring: appOnly,
        response: { 200: sessionView, ...errorResponses },
      },
    },
    async (request) => {
      const secret = request.headers[MYKEY_POLL_SECRET_HEADER];
      return readMykeySession(
        ctx.deps,
        await requireAppForPublic(ctx.deps, request, request.query.appId),
        request.params.uuID,
        typeof secret === 'string' && secret.length > 0 && secret.length <= 128 ? secret : null,
      );
    },
  );

  api.post<{ Params: { appId: string }; Body: Record<string, unknown> }>(
    '/v1/mykey/callback/:appId',
    {
      config: { side: 'public' },
      schema: {
        summary: "MYKEY's signed callback; answers MYKEY's { code, message }",
        params: { type: 'object', properties: { appId }, required: ['appId'] },
        body: {
          type: 'object',
          maxProperties: 32,
          additionalProperties: scalar,
          properties: {
            protocol: scalar,
            version: scalar,
            dapp_key: scalar,
            uuID: scalar,
            sign: scalar,
            ref: scalar,
            timestamp: scalar,
            account: scalar,
            chain: scalar,
            public_key: scalar,
          },
        },
        response: {
          200: { type: 'object', properties: { code: { type: 'integer' }, message: { type: 'string' } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const app = await ctx.deps.store.apps.get(request.params.appId);
      if (!app) return { code: 1, message: 'unknown app' };
      return handleMykeyCallback(ctx.deps, ctx.tokens, app, request.body, request.ip);
    },
  );

  api.post<{ Body: Record<string, unknown> & { appId: string } }>(
    '/v1/mykey/verify',
    {
      config: { side: 'public' },
      schema: {
        summary: "Check the JSON MYKEY's SDK returned and complete the session",
        body: {
          type: 'object',
          required: ['appId', 'uuID', 'account', 'signature', 'mykeyUID', 'mykeyUIDSignature', 'timestamp'],
          maxProperties: 32,
          additionalProperties: scalar,
          properties: {
            appId,
            uuID,
            account: scalar,
            signature: scalar,
            mykeyUID: scalar,
            mykeyUIDSignature: scalar,
            timestamp: scalar,
            chain: scalar,
            origin: scalar,
            pubKey: scalar,
          },
        },
        response: { 200: sessionView, ...errorResponses },
      },
    },
    async (request) => {
      const app = await requireAppForPublic(ctx.deps, request, request.body.appId);
      return verifyMykeyResult(ctx.deps, ctx.tokens, app, request.body, request.ip);
    },
  );
}
