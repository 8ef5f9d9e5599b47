import type { FastifyInstance } from 'fastify';
import { describeCredential, registerCredentialOnce, revokeCredential } from '../../core/credentials.js';
import type { RouteContext } from '../context.js';
import { credentialId, credentialView, errorResponses, tiniappSecurity, userId } from '../schemas.js';

const credentialBody = {
  type: 'object',
  required: ['type'],
  additionalProperties: false,
  properties: {
    type: { type: 'string', enum: ['device', 'eos', 'eth'] },
    publicKey: { type: 'string', minLength: 1, maxLength: 16384 },
    deviceId: { type: 'string', minLength: 1, maxLength: 128 },
    label: { type: 'string', minLength: 1, maxLength: 128 },
    account: { type: 'string', minLength: 1, maxLength: 13 },
    address: { type: 'string', minLength: 1, maxLength: 64 },
    // Proof of possession for eos / eth (docs/api.md "Identity binding"), checked strictly in core.
    proof: {
      type: 'object',
      additionalProperties: false,
      required: ['challengeId', 'signature'],
      properties: {
        challengeId: { type: 'string', minLength: 1, maxLength: 64 },
        signature: { type: 'string', minLength: 1, maxLength: 4096 },
        message: { type: 'string', minLength: 1, maxLength: 8192 },
      },
    },
  },
} as const;

/** Server API: register, list and revoke a user's credentials (Tiniapp-signed). */
export function registerCredentialRoutes(api: FastifyInstance, ctx: RouteContext): void {
  api.post<{ Params: { userId: string }; Body: Record<string, unknown> }>(
    '/v1/users/:userId/credentials',
    {
      config: { side: 'server' },
      schema: {
        summary:
          'Register a device, eos or eth credential (a wallet with a proof of possession; 200 when the user already holds it)',
        security: tiniappSecurity,
        params: { type: 'object', properties: { userId }, required: ['userId'] },
        body: credentialBody,
        response: { 200: credentialView, 201: credentialView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { credential, created } = await registerCredentialOnce(
        ctx.deps,
        request.signetApp!,
        request.params.userId,
        request.body,
        request.ip,
      );
      return reply.status(created ? 201 : 200).send(describeCredential(credential));
    },
  );

  api.get<{ Params: { userId: string } }>(
    '/v1/users/:userId/credentials',
    {
      config: { side: 'server' },
      schema: {
        summary: "List a user's credentials",
        security: tiniappSecurity,
        params: { type: 'object', properties: { userId }, required: ['userId'] },
        response: {
          200: { type: 'object', properties: { credentials: { type: 'array', items: credentialView } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const list = await ctx.deps.store.credentials.listByUser(request.signetApp!.id, request.params.userId);
      return { credentials: list.map(describeCredential) };
    },
  );

  api.delete<{ Params: { userId: string; credentialId: string } }>(
    '/v1/users/:userId/credentials/:credentialId',
    {
      config: { side: 'server' },
      schema: {
        summary: 'Revoke a credential',
        security: tiniappSecurity,
        params: {
          type: 'object',
          properties: { userId, credentialId },
          required: ['userId', 'credentialId'],
        },
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await revokeCredential(
        ctx.deps,
        request.signetApp!,
        request.params.userId,
        request.params.credentialId,
      );
      return reply.status(204).send();
    },
  );
}
