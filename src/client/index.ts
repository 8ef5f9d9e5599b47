/**
 * `signet-auth/client`: the app backend's client for Signet's server API, every request
 * Tiniapp-signed. Loads `node:crypto` and the Tiniapp signer only (and the global `fetch`).
 *
 * @example
 * import { createSignetClient } from 'signet-auth/client';
 * const signet = createSignetClient({ baseUrl: 'http://127.0.0.1:8080', appId, secret });
 * const { status, body } = await signet.listCredentials('alice');
 */
export { createSignetClient, type SignetClient, type SignetClientOptions } from './createSignetClient.js';
export type {
  SignetResponse,
  SignetErrorBody,
  ApiCredential,
  ApiAuditRecord,
  WebauthnRegistrationStart,
} from './types.js';
export {
  signTiniappRequest,
  type TiniappSignInput,
  type TiniappSignature,
} from '../schemes/tiniapp/index.js';
export * from './tokens.js';
export {
  createHttpSignatureSigner,
  type HttpSignatureClientKey,
  type HttpSignatureSignerOptions,
  type OutgoingRequest,
} from './httpSignatureSigner.js';
export {
  WEBHOOK_HEADERS,
  WEBHOOK_SECRET_PREFIX,
  parseWebhookSecret,
  signWebhook,
  verifyWebhook,
  type WebhookSignInput,
  type WebhookVerifyInput,
} from '../core/webhooks/signing.js';
