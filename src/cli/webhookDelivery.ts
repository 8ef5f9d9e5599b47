import { webhookEndpoint } from '../core/appWebhooks.js';
import type { Deps } from '../core/deps.js';
import {
  createWebhookDispatcher,
  WEBHOOK_DISPATCHER_DEFAULTS,
  type WebhookDispatcherOptions,
} from '../core/webhooks/index.js';
import { UsageError } from './io.js';

/** `signet serve`'s webhook flags (docs/protocols.md "Signed webhooks"). */
export interface WebhookDeliveryOptions {
  /** Messages sent in parallel per round on this node (1-100); 0: this node does not deliver. */
  concurrency: number;
  /** One POST's time limit, ms; a claimed message is leased for six times this. */
  timeoutMs: number;
  /** A message failing this long is dead-lettered, ms. */
  deadAfterMs: number;
}

function whole(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,6}$/.test(text) || Number(text) < min || Number(text) > max)
    throw new UsageError(`${flag} is a whole number, ${min}-${max}`);
  return Number(text);
}

/**
 * Reads `--webhook-concurrency N` (default 20; 0 turns delivery off on this node),
 * `--webhook-timeout SECONDS` (default 10) and `--webhook-dead-after-days N` (default 3).
 *
 * @example
 * parseWebhookDelivery({ concurrency: '5' }) // { concurrency: 5, timeoutMs: 10000, deadAfterMs: 259200000 }
 */
export function parseWebhookDelivery(flags: {
  concurrency?: string | undefined;
  timeout?: string | undefined;
  deadAfterDays?: string | undefined;
}): WebhookDeliveryOptions {
  const d = WEBHOOK_DISPATCHER_DEFAULTS;
  const concurrency = whole('--webhook-concurrency', flags.concurrency, 0, 100) ?? d.batchSize;
  const timeout = whole('--webhook-timeout', flags.timeout, 1, 60);
  const days = whole('--webhook-dead-after-days', flags.deadAfterDays, 1, 365);
  return {
    concurrency,
    timeoutMs: timeout === undefined ? d.timeoutMs : timeout * 1000,
    deadAfterMs: days === undefined ? d.deadAfterMs : days * 86_400_000,
  };
}

/** Delivered messages are kept this long (for support questions), then pruned hourly. */
const DELIVERED_RETENTION_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Starts this node's webhook dispatcher (every node runs one; the outbox's leases make each
 * message go out from one node at a time) and the hourly prune of delivered messages. Returns
 * the stopper, which waits for the round in flight to record its outcomes: call it before the
 * store closes.
 *
 * @example
 * const stopWebhooks = startWebhookDelivery(runtime.deps, parseWebhookDelivery({}));
 * // on shutdown:
 * await stopWebhooks();
 */
export function startWebhookDelivery(
  deps: Deps,
  options: WebhookDeliveryOptions,
  extra: Partial<WebhookDispatcherOptions> = {},
): () => Promise<void> {
  if (options.concurrency === 0) return async () => {};
  const dispatcher = createWebhookDispatcher({
    store: deps.store.webhooks,
    fetch: globalThis.fetch,
    clock: deps.clock,
    random: deps.random,
    resolveEndpoint: (appId) => webhookEndpoint(deps, appId),
    batchSize: options.concurrency,
    timeoutMs: options.timeoutMs,
    leaseMs: 6 * options.timeoutMs,
    deadAfterMs: options.deadAfterMs,
    log: deps.log,
    ...extra,
  });
  dispatcher.start();
  const prune = () => {
    deps.store.webhooks.prune(deps.clock() - DELIVERED_RETENTION_MS).catch(() => {
      deps.log.warn({}, 'webhook outbox prune failed; next try in an hour');
    });
  };
  prune();
  const timer = setInterval(prune, PRUNE_EVERY_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await dispatcher.stop();
  };
}
