import type { WebhookOutboxStore } from '../../store/types.js';
import { randomId } from '../ids.js';

/** The events Signet sends (docs/api.md "Webhooks"). */
export const WEBHOOK_EVENT_TYPES = [
  'login.succeeded',
  'login.failed',
  'credential.created',
  'credential.deleted',
  'token.revoked',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Largest event body; `data` is a handful of ids, so anything bigger is a caller's bug. */
export const MAX_WEBHOOK_PAYLOAD_BYTES = 16 * 1024;

/**
 * The body of an event, `{ type, timestamp, data }` (Standard Webhooks "payload structure":
 * `timestamp` is the ISO 8601 time the event happened, not the delivery time).
 *
 * @example
 * buildWebhookPayload('login.succeeded', 1767225600000, { userId: 'u1', scheme: 'device' })
 * // '{"type":"login.succeeded","timestamp":"2026-01-01T00:00:00.000Z","data":{"userId":"u1","scheme":"device"}}'
 */
export function buildWebhookPayload(
  type: WebhookEventType,
  at: number,
  data: Record<string, unknown>,
): string {
  if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(type))
    throw new TypeError(`buildWebhookPayload: unknown event type ${String(type)}`);
  if (!Number.isSafeInteger(at) || at < 0)
    throw new TypeError('buildWebhookPayload: at must be Unix milliseconds');
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new TypeError('buildWebhookPayload: data must be an object');
  const payload = JSON.stringify({ type, timestamp: new Date(at).toISOString(), data });
  if (Buffer.byteLength(payload, 'utf8') > MAX_WEBHOOK_PAYLOAD_BYTES)
    throw new RangeError(`buildWebhookPayload: the event is larger than ${MAX_WEBHOOK_PAYLOAD_BYTES} bytes`);
  return payload;
}

/** What {@link emitWebhookEvent} needs: the outbox, the clock and randomness (for the id). */
export interface WebhookEmitDeps {
  store: { webhooks: WebhookOutboxStore };
  clock: () => number;
  random: (n: number) => Uint8Array;
}

/**
 * Puts an event in the app's outbox (durable before this resolves; a dispatcher on any node
 * delivers it). The caller decides whether the app wants webhooks (a webhook URL is set) and
 * keeps secrets out of `data`: ids, scheme names and reason codes only.
 *
 * @example
 * await emitWebhookEvent(deps, app.id, 'credential.created', { userId, credentialId, type: 'device' }); // 'msg_…'
 */
export async function emitWebhookEvent(
  deps: WebhookEmitDeps,
  appId: string,
  type: WebhookEventType,
  data: Record<string, unknown>,
): Promise<string> {
  const createdAt = deps.clock();
  const id = randomId(deps.random, 'msg', 24);
  await deps.store.webhooks.enqueue({
    id,
    appId,
    type,
    payload: buildWebhookPayload(type, createdAt, data),
    createdAt,
  });
  return id;
}
