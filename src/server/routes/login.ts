import type { FastifyInstance } from 'fastify';
import { requireAppForPublic } from '../publicApp.js';
import { issueLoginChallenge } from '../../core/loginChallenges.js';
import { verifyLogin } from '../../core/login.js';
import { limitIssuance } from '../../core/rateLimit.js';
import type { RouteContext } from '../context.js';
import {
  appId,
  challengeId,
  errorResponses,
  sessionTokenFields,
  signatureText,
  userId,
  webauthnResponse,
} from '../schemas.js';

const loginTypes = { type: 'string', enum: ['device', 'webauthn', 'eos', 'eth'] } as const;
/** A signed transaction: a JSON object, checked strictly (4 KiB canonical) by `parseTransaction`. */
const transaction = { type: 'object', additionalProperties: true } as const;

/** Public API: login challenges and proofs. */
export function registerLoginRoutes(api: FastifyInstance, ctx: RouteContext): void {
  api.post<{ Body: { appId: string; type: string; userId?: string; transaction?: unknown } }>(
    '/v1/challenges',
    {
      config: { side: 'public' },
      schema: {
        summary: 'Issue a single-use login challenge',
        body: {
          type: 'object',
          required: ['appId', 'type'],
          additionalProperties: false,
          properties: { appId, type: loginTypes, userId, transaction },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              challengeId: { type: 'string' },
              challenge: { type: 'string' },
              expiresAt: { type: 'integer' },
              options: { type: 'object', additionalProperties: true },
              txn: { type: 'string' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const app = await requireAppForPublic(ctx.deps, request, request.body.appId);
      await limitIssuance(ctx.deps, 'challenge', request.ip, ctx.issueLimitPerMinute);
      return issueLoginChallenge(
        ctx.deps,
        app,
        request.body.type,
        request.body.userId,
        request.body.transaction,
      );
    },
  );

  api.post<{ Body: Record<string, unknown> & { appId: string } }>(
    '/v1/verify',
    {
      config: { side: 'public' },
      schema: {
        summary: 'Verify a login proof and issue a token',
        body: {
          type: 'object',
          required: ['appId', 'type'],
          additionalProperties: false,
          properties: {
            appId,
            type: loginTypes,
            challengeId,
            challenge: { type: 'string', minLength: 1, maxLength: 1024 },
            userId,
            signature: signatureText,
            account: { type: 'string', minLength: 1, maxLength: 13 },
            address: { type: 'string', minLength: 1, maxLength: 64 },
            message: { type: 'string', minLength: 1, maxLength: 8192 },
            response: webauthnResponse,
            transaction,
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              verified: { type: 'boolean' },
              userId: { type: 'string' },
              credentialId: { type: 'string' },
              ...sessionTokenFields,
              transaction: { type: 'object', additionalProperties: true },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const app = await requireAppForPublic(ctx.deps, request, request.body.appId);
      return verifyLogin(ctx.deps, ctx.tokens, app, request.body, request.ip);
    },
  );
}
