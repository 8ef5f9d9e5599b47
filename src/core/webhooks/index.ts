/**
 * Signed webhooks (Standard Webhooks) to the app: signing, events into the store-backed outbox,
 * and the delivery worker. See docs/protocols.md.
 */
export {
  WEBHOOK_HEADERS,
  WEBHOOK_SECRET_PREFIX,
  WEBHOOK_ID,
  generateWebhookSecret,
  parseWebhookSecret,
  signWebhook,
  verifyWebhook,
  type WebhookSignInput,
  type WebhookVerifyInput,
} from './signing.js';
export {
  WEBHOOK_EVENT_TYPES,
  MAX_WEBHOOK_PAYLOAD_BYTES,
  buildWebhookPayload,
  emitWebhookEvent,
  type WebhookEventType,
  type WebhookEmitDeps,
} from './events.js';
export {
  createWebhookDispatcher,
  WEBHOOK_DISPATCHER_DEFAULTS,
  type WebhookDispatcher,
  type WebhookDispatcherOptions,
  type WebhookEndpoint,
  type WebhookRetryPolicy,
  type WebhookRoundResult,
} from './createWebhookDispatcher.js';
