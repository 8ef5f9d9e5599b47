/**
 * A real local webhook receiver for the wiring tests: a `node:http` server that records every
 * POST and checks it with the `standardwebhooks` library against each secret it is told about.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedEvent {
  id: string;
  raw: string;
  body: { type: string; timestamp: string; data: Record<string, any> };
  /** The request headers as received (webhook-id, webhook-timestamp, webhook-signature, ...). */
  headers: Record<string, string>;
}

/** What the receiver answers next: a status or `hang` (never answers); default 204. */
export type Answer = number | 'hang';

export async function startReceiver() {
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
      received.push({
        id: String(req.headers['webhook-id']),
        raw,
        body,
        headers: req.headers as Record<string, string>,
      });
      const answer = answers.shift() ?? fallback;
      if (answer === 'hang') return;
      res.writeHead(answer).end('ignored');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/signet`;
  return {
    url,
    received,
    answers,
    /** The status answered once the queued `answers` run out. */
    setFallback(a: Answer) {
      fallback = a;
    },
    /** Whether standardwebhooks, holding `secret`, accepts the event as received. */
    verifies(event: ReceivedEvent, secret: string): boolean {
      try {
        new Webhook(secret).verify(event.raw, event.headers);
        return true;
      } catch {
        return false;
      }
    },
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

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
