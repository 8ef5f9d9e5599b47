import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { Agent, request } from 'node:http';

/**
 * The load generator: a process of its own (`fork`ed by bench/http/runHttp.ts, driven over
 * IPC), so that its work never shares a V8 thread with the server it measures. Each job runs N
 * concurrent request loops over N keep-alive connections (node:http, no dependencies), records
 * every request's latency, and answers with counts, rate and percentiles. Request loops are
 * bounded in count and time, and only ever target the loopback address they are given.
 */

/** A Signet server to log in to: the app, the user and the device key registered for it. */
export interface SignetTarget {
  url: string;
  appId: string;
  userId: string;
  privateKeyPem: string;
}

export type Job =
  /** Issue login challenges for `durationMs` (at most `max`), keep them, sign them afterwards (untimed). */
  | { kind: 'challenges'; target: SignetTarget; connections: number; durationMs: number; max: number }
  /** Send one `/v1/verify` per kept signed challenge, each used once, until none is left. */
  | { kind: 'verify'; target: SignetTarget; connections: number }
  /** Full logins, one after the other per connection: challenge, sign here, verify (client signing included). */
  | { kind: 'logins'; target: SignetTarget; connections: number; durationMs: number }
  /** POST `{ challenge, signature }` to the bare route for `durationMs`, cycling over pre-signed pairs. */
  | {
      kind: 'ceiling';
      url: string;
      privateKeyPem: string;
      connections: number;
      durationMs: number;
      pool: number;
    }
  | { kind: 'exit' };

/** What one timed phase measured. */
export interface PhaseResult {
  requests: number;
  /** Answers that were not the expected 200 (they are counted, never retried). */
  errors: number;
  /** First non-200 answers, for the log. */
  errorSamples: string[];
  elapsedMs: number;
  /** Successful requests (or logins) per second. */
  rate: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  connections: number;
  /** CPU time this load generator spent during the phase (user + system), milliseconds. */
  loadgenCpuMs: number;
}

interface Reply {
  status: number;
  body: string;
}

let agent: Agent | null = null;

const REQUEST_TIMEOUT_MS = 10_000;

function post(url: URL, path: string, payload: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path,
        agent: agent as Agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    // A server that stops answering must not hang the run: every request is bounded in time.
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('request timed out')));
    req.end(payload);
  });
}

function checkLoopback(url: URL): void {
  // The bench only ever loads servers it started itself, on this machine.
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new Error(`loadgen: refusing a non-loopback target ${url.hostname}`);
  }
}

class Recorder {
  latencies: number[] = [];
  errors = 0;
  errorSamples: string[] = [];
  ok = 0;
  private readonly cpu0 = process.cpuUsage();
  private readonly t0 = performance.now();

  constructor(private readonly connections: number) {}

  error(reply: Reply | Error): void {
    this.errors++;
    if (this.errorSamples.length < 5) {
      this.errorSamples.push(
        reply instanceof Error ? reply.message : `${reply.status} ${reply.body.slice(0, 200)}`,
      );
    }
  }

  finish(units = this.ok): PhaseResult {
    const elapsedMs = performance.now() - this.t0;
    const cpu = process.cpuUsage(this.cpu0);
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (q: number): number =>
      sorted.length === 0
        ? 0
        : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
    return {
      requests: this.latencies.length,
      errors: this.errors,
      errorSamples: this.errorSamples,
      elapsedMs,
      rate: (units * 1000) / elapsedMs,
      p50Ms: at(0.5),
      p90Ms: at(0.9),
      p99Ms: at(0.99),
      maxMs: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] as number),
      connections: this.connections,
      loadgenCpuMs: (cpu.user + cpu.system) / 1000,
    };
  }
}

/** Sends one request and records its latency; `true` when it answered 200. */
async function timed(rec: Recorder, url: URL, path: string, payload: string): Promise<Reply | null> {
  const start = performance.now();
  let reply: Reply;
  try {
    reply = await post(url, path, payload);
  } catch (error) {
    rec.error(error as Error);
    return null;
  }
  rec.latencies.push(performance.now() - start);
  if (reply.status !== 200) {
    rec.error(reply);
    return null;
  }
  return reply;
}

/** Signed challenges kept between the `challenges` and `verify` jobs. */
let signed: Array<{ challengeId: string; signature: string }> = [];

function signChallenge(key: KeyObject, challenge: string): string {
  return sign('sha256', Buffer.from(challenge, 'utf8'), key).toString('base64');
}

async function loops(connections: number, body: (worker: number) => Promise<void>): Promise<void> {
  await Promise.all(Array.from({ length: connections }, (_, i) => body(i)));
}

async function runChallenges(
  job: Extract<Job, { kind: 'challenges' }>,
): Promise<PhaseResult & { signMs: number }> {
  const url = new URL(job.target.url);
  const issued: Array<{ challengeId: string; challenge: string }> = [];
  const payload = JSON.stringify({ appId: job.target.appId, type: 'device', userId: job.target.userId });
  const rec = new Recorder(job.connections);
  const deadline = performance.now() + job.durationMs;
  let started = 0;
  await loops(job.connections, async () => {
    while (performance.now() < deadline && started < job.max) {
      started++;
      const reply = await timed(rec, url, '/v1/challenges', payload);
      if (reply === null) continue;
      const data = JSON.parse(reply.body) as { challengeId: string; challenge: string };
      issued.push({ challengeId: data.challengeId, challenge: data.challenge });
      rec.ok++;
    }
  });
  const result = rec.finish();
  // The phone's part, untimed: sign each challenge with the device key.
  const t = performance.now();
  const key = createPrivateKey(job.target.privateKeyPem);
  signed = issued.map((c) => ({ challengeId: c.challengeId, signature: signChallenge(key, c.challenge) }));
  return { ...result, signMs: performance.now() - t };
}

async function runVerify(job: Extract<Job, { kind: 'verify' }>): Promise<PhaseResult> {
  const url = new URL(job.target.url);
  const { appId, userId } = job.target;
  const queue = signed;
  signed = [];
  let next = 0;
  const rec = new Recorder(job.connections);
  await loops(job.connections, async () => {
    while (next < queue.length) {
      const proof = queue[next++] as { challengeId: string; signature: string };
      const payload = JSON.stringify({
        appId,
        type: 'device',
        challengeId: proof.challengeId,
        userId,
        signature: proof.signature,
      });
      const reply = await timed(rec, url, '/v1/verify', payload);
      if (reply !== null && (JSON.parse(reply.body) as { verified?: boolean }).verified === true) rec.ok++;
      else if (reply !== null) rec.error(reply);
    }
  });
  return rec.finish();
}

async function runLogins(job: Extract<Job, { kind: 'logins' }>): Promise<PhaseResult> {
  const url = new URL(job.target.url);
  const { appId, userId } = job.target;
  const key = createPrivateKey(job.target.privateKeyPem);
  const challengePayload = JSON.stringify({ appId, type: 'device', userId });
  const rec = new Recorder(job.connections);
  const deadline = performance.now() + job.durationMs;
  await loops(job.connections, async () => {
    while (performance.now() < deadline) {
      const issued = await timed(rec, url, '/v1/challenges', challengePayload);
      if (issued === null) continue;
      const c = JSON.parse(issued.body) as { challengeId: string; challenge: string };
      const payload = JSON.stringify({
        appId,
        type: 'device',
        challengeId: c.challengeId,
        userId,
        signature: signChallenge(key, c.challenge),
      });
      const reply = await timed(rec, url, '/v1/verify', payload);
      if (reply !== null) rec.ok++;
    }
  });
  return rec.finish();
}

async function runCeiling(job: Extract<Job, { kind: 'ceiling' }>): Promise<PhaseResult> {
  const url = new URL(job.url);
  const key = createPrivateKey(job.privateKeyPem);
  // Pre-signed pairs shaped like a login proof; the bare route has no replay record, so they cycle.
  const payloads = Array.from({ length: job.pool }, (_, i) => {
    const challenge = `ceiling-${i}-${'x'.repeat(32)}`;
    return JSON.stringify({ challenge, signature: signChallenge(key, challenge) });
  });
  const rec = new Recorder(job.connections);
  const deadline = performance.now() + job.durationMs;
  let n = 0;
  await loops(job.connections, async () => {
    while (performance.now() < deadline) {
      const reply = await timed(rec, url, '/verify', payloads[n++ % payloads.length] as string);
      if (reply !== null && (JSON.parse(reply.body) as { verified?: boolean }).verified === true) rec.ok++;
      else if (reply !== null) rec.error(reply);
    }
  });
  return rec.finish();
}

async function handle(job: Job): Promise<unknown> {
  if (job.kind === 'exit') return null;
  checkLoopback(new URL(job.kind === 'ceiling' ? job.url : job.target.url));
  agent?.destroy();
  agent = new Agent({ keepAlive: true, maxSockets: job.connections, maxFreeSockets: job.connections });
  switch (job.kind) {
    case 'challenges':
      return runChallenges(job);
    case 'verify':
      return runVerify(job);
    case 'logins':
      return runLogins(job);
    case 'ceiling':
      return runCeiling(job);
  }
}

process.on('message', (job: Job) => {
  handle(job).then(
    (result) => {
      process.send?.({ ok: true, result });
      if (job.kind === 'exit') {
        agent?.destroy();
        process.disconnect();
      }
    },
    (error: unknown) => process.send?.({ ok: false, error: String((error as Error)?.stack ?? error) }),
  );
});
process.send?.({ ready: true });
