import type { FastifyInstance } from 'fastify';
import { describeCredential } from '../../core/credentials.js';
import { finishPasskeyRegistration, startPasskeyRegistration } from '../../core/webauthnRegistration.js';
import type { RouteContext } from '../context.js';
import {
  challengeId,
  credentialView,
  errorResponses,
  tiniappSecurity,
  userId,
  webauthnResponse,
} from '../schemas.js';

/** Server API: the passkey registration ceremony. */
export function registerWebauthnRoutes(api: FastifyInstance, ctx: RouteContext): void {
  api.post<{ Body: { userId: string; userName: string; displayName?: string } }>(
    '/v1/webauthn/registration/options',
    {
      config: { side: 'server' },
      schema: {
        summary: 'Start a passkey registration: PublicKeyCredentialCreationOptionsJSON',
        security: tiniappSecurity,
        body: {
          type: 'object',
          required: ['userId', 'userName'],
          additionalProperties: false,
          properties: {
            userId,
            userName: { type: 'string', minLength: 1, maxLength: 256 },
            displayName: { type: 'string', minLength: 1, maxLength: 256 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              challengeId: { type: 'string' },
              options: { type: 'object', additionalProperties: true },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => startPasskeyRegistration(ctx.deps, request.signetApp!, request.body),
  );

  api.post<{ Body: { challengeId: string; response: unknown } }>(
    '/v1/webauthn/registration/verify',
    {
      bodyLimit: 256 * 1024,
      config: { side: 'server' },
      schema: {
        summary: 'Finish a passkey registration (RegistrationResponseJSON)',
        security: tiniappSecurity,
        body: {
          type: 'object',
          required: ['challengeId', 'response'],
          additionalProperties: false,
          properties: { challengeId, response: webauthnResponse },
        },
        response: { 201: credentialView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const credential = await finishPasskeyRegistration(
        ctx.deps,
        request.signetApp!,
        request.body,
        request.ip,
      );
      return reply.status(201).send(describeCredential(credential));
    },
  );
}
