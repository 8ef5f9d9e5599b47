import type { WebhookMessage, WebhookOutboxStore } from '../../store/types.js';
import { silentLogger, type Logger } from '../deps.js';
import { encodeBase64Url } from '../../encoding/index.js';
import { signWebhook } from './signing.js';

/** Where an app's events go, read at every attempt: the URL and its `whsec_` secrets (newest first, two during rotation). */
export interface WebhookEndpoint {
  url: string;
  secrets: string[];
}

export interface WebhookRetryPolicy {
  /** Delay after the first failed attempt, ms. */
  baseMs: number;
  /** Each further failure multiplies the delay by this. */
  factor: number;
  /** The delay never exceeds this, ms. */
  maxMs: number;
  /** Each delay is scaled by a random factor in [1 - jitter, 1 + jitter] (0 = none), so retries of many events spread out. */
  jitter: number;
}

export interface WebhookDispatcherOptions {
  store: WebhookOutboxStore;
  /** The fetch used to POST events (Node's global `fetch` in production). */
  fetch: typeof fetch;
  /** Unix ms. */
  clock: () => number;
  /** Random bytes (lease ids, jitter). */
  random: (n: number) => Uint8Array;
  /** The app's endpoint, or `null` when it has webhooks turned off (the message is then dead-lettered as `webhooks_disabled`). */
  resolveEndpoint(appId: string): Promise<WebhookEndpoint | null>;
  /** How long a claimed message belongs to this node, ms (default 60 000); must exceed `timeoutMs`. */
  leaseMs?: number;
  /** One POST, connect to last byte of the headers, ms (default 10 000). */
  timeoutMs?: number;
  /** Messages claimed and sent in parallel per round (default 20, at most 100). */
  batchSize?: number;
  /** Idle wait between rounds when the outbox had nothing due, ms (default 1 000). */
  pollIntervalMs?: number;
  /** Back-off (default 5 s doubling to 1 h, ±20 % jitter). */
  retry?: Partial<WebhookRetryPolicy>;
  /** A message still failing this long after its cycle started is dead-lettered, ms (default 3 days). */
  deadAfterMs?: number;
  log?: Logger;
}

/** What one round did. */
export interface WebhookRoundResult {
  claimed: number;
  delivered: number;
  retried: number;
  dead: number;
}

export interface WebhookDispatcher {
  /** Starts the delivery loop (idempotent). */
  start(): void;
  /** Stops the loop and waits for the round in flight to finish recording its outcomes. */
  stop(): Promise<void>;
  /** One round: claim due messages, POST them, record each outcome. For tests and one-shot runs. */
  runOnce(): Promise<WebhookRoundResult>;
}

export const WEBHOOK_DISPATCHER_DEFAULTS = {
  leaseMs: 60_000,
  timeoutMs: 10_000,
  batchSize: 20,
  pollIntervalMs: 1000,
  deadAfterMs: 3 * 24 * 3_600_000,
  retry: { baseMs: 5000, factor: 2, maxMs: 3_600_000, jitter: 0.2 } satisfies WebhookRetryPolicy,
} as const;

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new TypeError(`createWebhookDispatcher: ${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * The webhook delivery worker (docs/api.md "Webhooks", Standard Webhooks): each round claims
 * due messages from the outbox under a lease (so of several nodes, one delivers a message at a
 * time), signs each attempt with the app's current secrets (`webhook-id` is the message id,
 * `webhook-timestamp` the attempt time), POSTs the stored body, and records the outcome —
 * delivered on 2xx; otherwise a retry after exponential back-off, or the dead-letter state
 * once the message has failed for `deadAfterMs`. Redirects are not followed (a 3xx is a
 * failure) and the response body is never read. Options are checked here, at start-up.
 *
 * A node that dies mid-round leaves its messages leased; they are claimed again when the lease
 * runs out, so nothing is lost while the store lives (delivery is at-least-once; receivers
 * deduplicate on `webhook-id`).
 *
 * @example
 * const dispatcher = createWebhookDispatcher({ store: store.webhooks, fetch, clock: Date.now, random, resolveEndpoint });
 * dispatcher.start();
 * // on shutdown:
 * await dispatcher.stop();
 */
export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { store, clock, random, resolveEndpoint } = options;
  const doFetch = options.fetch;
  if (!store || typeof store.claim !== 'function')
    throw new TypeError('createWebhookDispatcher: store is required');
  if (typeof doFetch !== 'function') throw new TypeError('createWebhookDispatcher: fetch is required');
  if (typeof clock !== 'function' || typeof random !== 'function')
    throw new TypeError('createWebhookDispatcher: clock and random are required');
  if (typeof resolveEndpoint !== 'function')
    throw new TypeError('createWebhookDispatcher: resolveEndpoint is required');
  const d = WEBHOOK_DISPATCHER_DEFAULTS;
  const leaseMs = positiveInteger('leaseMs', options.leaseMs ?? d.leaseMs);
  const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? d.timeoutMs);
  const batchSize = positiveInteger('batchSize', options.batchSize ?? d.batchSize);
  const pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs ?? d.pollIntervalMs);
  const deadAfterMs = positiveInteger('deadAfterMs', options.deadAfterMs ?? d.deadAfterMs);
  const retry: WebhookRetryPolicy = { ...d.retry, ...options.retry };
  positiveInteger('retry.baseMs', retry.baseMs);
  positiveInteger('retry.maxMs', retry.maxMs);
  if (!(retry.factor >= 1) || !(retry.jitter >= 0 && retry.jitter < 1))
    throw new TypeError('createWebhookDispatcher: retry.factor must be >= 1 and retry.jitter in [0, 1)');
  if (batchSize > 100) throw new TypeError('createWebhookDispatcher: batchSize must be at most 100');
  // The lease must outlive the POST and the outcome write, or a second node could start the
  // same message while the first is still sending it.
  if (leaseMs < 2 * timeoutMs)
    throw new TypeError('createWebhookDispatcher: leaseMs must be at least twice timeoutMs');
  const log = options.log ?? silentLogger;

  /** Back-off after `attempts` failed attempts: base * factor^(attempts-1), capped, jittered. */
  function delayAfter(attempts: number): number {
    const raw = Math.min(retry.maxMs, retry.baseMs * retry.factor ** Math.max(0, attempts - 1));
    if (retry.jitter === 0) return Math.round(raw);
    const [a = 0, b = 0] = random(2);
    const unit = ((a << 8) | b) / 0xffff; // 0..1
    return Math.max(1, Math.round(raw * (1 - retry.jitter + 2 * retry.jitter * unit)));
  }

  /** POSTs one attempt; `null` on 2xx, else a short error code for `lastError` (no secrets, no body). */
  async function post(m: WebhookMessage, endpoint: WebhookEndpoint): Promise<string | null> {
    const headers = signWebhook({
      id: m.id,
      timestamp: Math.floor(clock() / 1000),
      body: m.payload,
      secrets: endpoint.secrets,
    });
    try {
      const res = await doFetch(endpoint.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Signet-Webhooks/1', ...headers },
        body: m.payload,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // The answer's body is not ours to read; release the connection.
      await res.body?.cancel().catch(() => {});
      return res.status >= 200 && res.status < 300 ? null : `http_${res.status}`;
    } catch (e) {
      const name = e instanceof Error ? e.name : '';
      return name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network_error';
    }
  }

  async function deliver(m: WebhookMessage, leaseId: string, result: WebhookRoundResult): Promise<void> {
    let endpoint: WebhookEndpoint | null;
    try {
      endpoint = await resolveEndpoint(m.appId);
    } catch (e) {
      // The app could not be read (store down): leave the lease to run out; it is retried then.
      log.warn(
        { webhookId: m.id, appId: m.appId, err: (e as Error).name },
        'webhook endpoint look-up failed',
      );
      return;
    }
    if (endpoint === null || endpoint.secrets.length === 0) {
      if (await store.markDead(m.id, leaseId, clock(), 'webhooks_disabled')) result.dead++;
      return;
    }
    const error = await post(m, endpoint);
    const now = clock();
    if (error === null) {
      if (await store.markDelivered(m.id, leaseId, now)) result.delivered++;
      return;
    }
    const next = now + delayAfter(m.attempts);
    if (next - m.cycleStartedAt > deadAfterMs) {
      if (await store.markDead(m.id, leaseId, now, error)) result.dead++;
      log.warn({ webhookId: m.id, appId: m.appId, error, attempts: m.attempts }, 'webhook dead-lettered');
    } else if (await store.scheduleRetry(m.id, leaseId, next, error)) {
      result.retried++;
    }
  }

  async function runOnce(): Promise<WebhookRoundResult> {
    const leaseId = `lease_${encodeBase64Url(random(16))}`;
    const claimed = await store.claim(leaseId, batchSize, leaseMs);
    const result: WebhookRoundResult = { claimed: claimed.length, delivered: 0, retried: 0, dead: 0 };
    await Promise.all(
      claimed.map((m) =>
        deliver(m, leaseId, result).catch((e: unknown) => {
          // A store write failed: the lease runs out and another round retries the message.
          log.warn({ webhookId: m.id, err: (e as Error).name }, 'webhook outcome not recorded');
        }),
      ),
    );
    return result;
  }

  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });
  }

  async function run(): Promise<void> {
    while (running) {
      let claimed = 0;
      try {
        claimed = (await runOnce()).claimed;
      } catch (e) {
        log.warn({ err: (e as Error).name }, 'webhook round failed (store unavailable?)');
      }
      // A full batch means more may be due: go again at once; otherwise wait.
      if (running && claimed < batchSize) await idle(pollIntervalMs);
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    async stop() {
      running = false;
      if (timer !== null) clearTimeout(timer);
      wake?.();
      await loop;
      loop = null;
    },
    runOnce,
  };
}
