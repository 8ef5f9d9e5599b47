/**
 * A real local webhook receiver for the webhook tests: a `node:http` server that records every
 * POST and checks it with the `standardwebhooks` library, against each secret it is told about
 * (`verifies`) or, given one secret up front, as a relying app would (refusing what fails with 401).
 */
import { createServer, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { listenOnFreePort } from '../support/network.js';

export interface ReceivedEvent {
  id: string;
  /** The `webhook-timestamp` header (Unix seconds). */
  timestamp: number;
  raw: string;
  body: { type: string; timestamp: string; data: Record<string, any> };
  /** The request headers as received (webhook-id, webhook-timestamp, webhook-signature, ...). */
  headers: Record<string, string>;
  /** With a receiver `secret`: whether standardwebhooks accepted the event with it. */
  verified?: boolean;
}

/** What the receiver answers next: a status or `hang` (never answers); default 204. */
export type Answer = number | 'hang';

/**
 * Starts the receiver on a free loopback port; its `url` ends in `/hooks/signet`. Given `secret`,
 * it verifies every event on arrival (`verified`) and answers 401 to one that does not verify.
 *
 * @example
 * const receiver = await startReceiver({ secret });
 * receiver.answers.push(500); // the next delivery fails once
 */
export async function startReceiver(options: { secret?: string } = {}) {
  const received: ReceivedEvent[] = [];
  const answers: Answer[] = [];
  let fallback: Answer = 204;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: ReceivedEvent['body'];
      try {
        body = JSON.parse(raw) as ReceivedEvent['body'];
      } catch {
        res.writeHead(400).end();
        return;
      }
      const event: ReceivedEvent = {
        id: String(req.headers['webhook-id']),
        timestamp: Number(req.headers['webhook-timestamp']),
        raw,
        body,
        headers: req.headers as Record<string, string>,
      };
      if (options.secret !== undefined) event.verified = verifies(event, options.secret);
      received.push(event);
      const answer = answers.shift() ?? fallback;
      if (answer === 'hang') return; // the socket stays open until the client gives up
      res.writeHead(event.verified === false ? 401 : answer).end('ignored');
    });
  });
  const url = `${await listenOnFreePort(server)}/hooks/signet`;
  return {
    url,
    received,
    answers,
    /** The status answered once the queued `answers` run out. */
    setFallback(a: Answer) {
      fallback = a;
    },
    /** Whether standardwebhooks, holding `secret`, accepts the event as received. */
    verifies,
    /** Events of one type, in arrival order. */
    ofType(type: string): ReceivedEvent[] {
      return received.filter((e) => e.body.type === type);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Whether standardwebhooks, holding `secret`, accepts the event as received. */
function verifies(event: ReceivedEvent, secret: string): boolean {
  try {
    new Webhook(secret).verify(event.raw, event.headers);
    return true;
  } catch {
    return false;
  }
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
