import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { buildServer } from '../../server/buildServer.js';
import { UsageError, type CliIo } from '../io.js';
import { readAdminToken, resolveConfig } from '../config.js';
import { openRuntime } from '../runtime.js';
import { parseRetentionDays, retentionCutoff } from './audit.js';
import type { Deps } from '../../core/deps.js';
import { sqlitePath } from '../../store/openStore.js';
import { reportDisplacedCredentials } from '../../core/credentials.js';
import { parseIssueLimit, parseRequestTimeout, parseTrustProxy, readMetricsToken } from '../serveOptions.js';
import { createServer as createNetServer } from 'node:net';
import { createTokenService } from '../../core/tokens.js';
import { parseWebhookDelivery, startWebhookDelivery } from '../webhookDelivery.js';
import { serverAuthorities } from '../../server/auth.js';
import { describeListenFailure } from '../listenError.js';

export const serveUsage = `signet serve [--port 8080] [--host 127.0.0.1] [--db sqlite:./signet.db | postgres://...]
             [--redis redis://...] [--base-path /prefix] [--issuer URL] [--workers N|auto]
             [--audit-retention-days N] [--key-rotation-days N] [--trust-proxy false|HOPS|ADDR,CIDR,...]
             [--request-timeout SECONDS] [--issue-limit N] [--http-signature-authority HOST[:PORT]]...
             [--webhook-concurrency N] [--webhook-timeout SECONDS] [--webhook-dead-after-days N]
  Runs the HTTP server; --workers starts N processes sharing the port (node:cluster). Through npm,
  flags go after --: npm start -- --port 9000. Flags win over SIGNET_PORT, SIGNET_HOST,
  SIGNET_DATABASE_URL, SIGNET_REDIS_URL, SIGNET_BASE_PATH, SIGNET_ISSUER, SIGNET_WORKERS,
  SIGNET_AUDIT_RETENTION_DAYS, SIGNET_TRUST_PROXY, SIGNET_REQUEST_TIMEOUT (default 30),
  SIGNET_ISSUE_LIMIT (challenges and MYKEY sessions per client IP per minute, default 600; 0: none);
  SIGNET_LOG_LEVEL (default info) sets the JSON log lines on stdout;
  SIGNET_MASTER_KEY seals secrets at rest; SIGNET_ADMIN_TOKEN (32+ characters) turns on the admin
  console at /console (docs/console.md); SIGNET_METRICS_TOKEN (16+ characters) serves /metrics to
  \`Authorization: Bearer <token>\` (docs/deployment.md).
  The issuer (every token's iss, published at /.well-known/openid-configuration) is printed at start;
  behind a proxy set --issuer to the public URL (docs/deployment.md). --key-rotation-days (or
  SIGNET_KEY_ROTATION_DAYS) rotates the token signing key on a schedule (docs/tokens.md).
  Every node delivers signed webhooks from the store's outbox: --webhook-concurrency (default 20;
  0: not this node), --webhook-timeout per POST (default 10), dead letters after
  --webhook-dead-after-days (default 3) (docs/protocols.md).

  RFC 9421 server-API signatures must name as @authority the issuer's host or one of
  --http-signature-authority (repeatable; SIGNET_HTTP_SIGNATURE_AUTHORITIES, comma-separated).`;

/** `signet serve`: runs until SIGINT/SIGTERM, then closes the server and the store. */
export async function runServe(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      db: { type: 'string' },
      redis: { type: 'string' },
      'base-path': { type: 'string' },
      issuer: { type: 'string' },
      workers: { type: 'string' },
      'audit-retention-days': { type: 'string' },
      'trust-proxy': { type: 'string' },
      'request-timeout': { type: 'string' },
      'issue-limit': { type: 'string' },
      // Tokens and sessions (docs/tokens.md).
      'key-rotation-days': { type: 'string' },
      // Signed webhooks (docs/protocols.md).
      'webhook-concurrency': { type: 'string' },
      'webhook-timeout': { type: 'string' },
      'webhook-dead-after-days': { type: 'string' },
      'http-signature-authority': { type: 'string', multiple: true },
    },
  });
  const trustProxy = parseTrustProxy(values['trust-proxy'] ?? io.env['SIGNET_TRUST_PROXY']);
  const requestTimeoutMs = parseRequestTimeout(values['request-timeout'] ?? io.env['SIGNET_REQUEST_TIMEOUT']);
  const issueLimitPerMinute = parseIssueLimit(values['issue-limit'] ?? io.env['SIGNET_ISSUE_LIMIT']);
  const metricsToken = readMetricsToken(io.env);
  const keyRotationDays = parseKeyRotationDays(
    values['key-rotation-days'] ?? io.env['SIGNET_KEY_ROTATION_DAYS'],
  );
  const retentionDays = parseRetentionDays(
    values['audit-retention-days'] ?? io.env['SIGNET_AUDIT_RETENTION_DAYS'],
    '--audit-retention-days',
  );
  const webhookDelivery = parseWebhookDelivery({
    concurrency: values['webhook-concurrency'],
    timeout: values['webhook-timeout'],
    deadAfterDays: values['webhook-dead-after-days'],
  });
  const workersText = values.workers ?? io.env['SIGNET_WORKERS'] ?? '1';
  const workers = workersText === 'auto' ? availableParallelism() : Number(workersText);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64)
    throw new UsageError('--workers is 1-64 or auto');
  const {
    workers: _w,
    'audit-retention-days': _r,
    'trust-proxy': _t,
    'request-timeout': _q,
    'issue-limit': _i,
    'key-rotation-days': _k,
    'webhook-concurrency': _wc,
    'webhook-timeout': _wt,
    'webhook-dead-after-days': _wd,
    'http-signature-authority': _h,
    ...flags
  } = values;
  // Port, base path and database URLs are checked before anything reads a key or touches a file.
  resolveConfig(flags, io.env);
  const adminToken = readAdminToken(io.env);
  const httpSignatureAuthorities =
    values['http-signature-authority'] ??
    (io.env['SIGNET_HTTP_SIGNATURE_AUTHORITIES'] ?? '').split(',').filter((a) => a.trim() !== '');
  try {
    serverAuthorities('http://localhost', httpSignatureAuthorities);
  } catch (e) {
    throw new UsageError(`--http-signature-authority: ${(e as Error).message}`);
  }
  if (
    cluster.isPrimary &&
    flags.issuer === undefined &&
    !io.env['SIGNET_ISSUER'] &&
    sqlitePath(flags.db ?? io.env['SIGNET_DATABASE_URL'] ?? 'sqlite:') === null
  ) {
    // Nodes behind one load balancer must agree on `iss` and on MYKEY callback URLs.
    io.err(
      'signet: warning: on a shared database set --issuer (or SIGNET_ISSUER) to the public URL every node serves',
    );
  }
  if (workers > 1 && cluster.isPrimary) return runPrimary(flags, workers, io);
  // `--port 0` without --issuer: the issuer must name the port actually served, so pick it first.
  if (
    workers === 1 &&
    (flags.port ?? io.env['SIGNET_PORT']) === '0' &&
    !flags.issuer &&
    !io.env['SIGNET_ISSUER']
  )
    flags.port = String(await findFreePort(flags.host ?? io.env['SIGNET_HOST'] ?? '127.0.0.1'));
  const runtime = await openRuntime(flags, io);
  const server = await buildServer({
    deps: runtime.deps,
    basePath: runtime.config.basePath,
    adminToken,
    metricsToken,
    trustProxy,
    requestTimeoutMs,
    issueLimitPerMinute,
    httpSignatureAuthorities,
    logger: {
      level: io.env['SIGNET_LOG_LEVEL'] ?? 'info',
      redact: [
        'req.headers["x-tiniapp-signature"]',
        'req.headers.signature',
        'req.headers.authorization',
        'req.headers["x-signet-poll-secret"]',
      ],
    },
  });
  try {
    await server.listen({ port: runtime.config.port, host: runtime.config.host });
  } catch (e) {
    // A second `npm start`, a --host this machine does not have: say so, not `unexpected error`.
    await server.close().catch(() => {});
    await runtime.close();
    // A worker lets go of the primary so that it exits (the primary then stops starting workers).
    if (cluster.isWorker) cluster.worker?.disconnect();
    throw describeListenFailure(e, runtime.config.host, runtime.config.port) ?? e;
  }
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : runtime.config.port;
  // Workers share the primary's port; the primary says where, and stops them by disconnecting.
  if (!cluster.isWorker) {
    io.err(
      `signet: listening on http://${runtime.config.host}:${port}${runtime.config.basePath} (store ${runtime.deps.store.kind})`,
    );
    if (adminToken !== null)
      io.err(
        `signet: admin console at http://${runtime.config.host}:${port}${runtime.config.basePath}/console`,
      );
    await reportDisplaced(runtime.deps, server.log, io);
    printIssuer(runtime.config, io);
  }
  const stopKeyRotation =
    keyRotationDays === undefined ? () => {} : startKeyRotation(runtime.deps, keyRotationDays, io);
  const stopSessionPrune = startSessionPrune(runtime.deps);
  const stopWebhooks = startWebhookDelivery(
    {
      ...runtime.deps,
      log: { info: (f, m) => server.log.info(f, m), warn: (f, m) => server.log.warn(f, m) },
    },
    webhookDelivery,
  );
  const stopRetention =
    retentionDays === undefined
      ? () => {}
      : startAuditRetention(
          {
            ...runtime.deps,
            log: { info: (f, m) => server.log.info(f, m), warn: (f, m) => server.log.warn(f, m) },
          },
          retentionDays,
          io,
        );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    if (cluster.isWorker) process.once('disconnect', () => resolve());
  });
  io.err('signet: shutting down');
  stopRetention();
  stopKeyRotation();
  stopSessionPrune();
  await server.close();
  await stopWebhooks();
  await runtime.close();
  // A worker's channel to the primary keeps its event loop alive: let go, so that it exits (the
  // primary waits for every worker to exit before it does).
  if (cluster.isWorker && cluster.worker?.isConnected()) cluster.worker.disconnect();
  return 0;
}

/**
 * The primary of `serve --workers N`: prepares the store once (migrations, the generated master
 * key file) so workers never race on them, then forks N workers that share the listening port,
 * restarts a worker that dies, and stops them all on SIGINT/SIGTERM.
 */
async function runPrimary(
  flags: Parameters<typeof openRuntime>[0],
  workers: number,
  io: CliIo,
): Promise<number> {
  const prepared = await openRuntime(flags, io);
  await reportDisplaced(prepared.deps, null, io);
  await prepared.close();
  let stopping = false;
  let listening = 0;
  const fork = () => cluster.fork();
  let startFailed: (code: number) => void = () => {};
  const failure = new Promise<{ failed: number }>((resolve) => {
    startFailed = (code) => resolve({ failed: code });
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (listening < workers) {
      // During start-up a worker that died (the port is taken, say: it said why) would die again.
      stopping = true;
      startFailed(code || 1);
      return;
    }
    io.err(`signet: worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    fork();
  });
  const ready = new Promise<{ port: number }>((resolve) => {
    cluster.on('listening', (_worker, address) => {
      if (++listening === workers) resolve({ port: address.port });
    });
  });
  for (let i = 0; i < workers; i++) fork();
  const started = await Promise.race([ready, failure]);
  if ('failed' in started) {
    await stopWorkers();
    io.err('signet: a worker stopped during start-up (its reason is above); nothing is serving');
    return started.failed;
  }
  const port = started.port;
  io.err(
    `signet: listening on http://${prepared.config.host}:${port}${prepared.config.basePath} with ${workers} workers (store ${prepared.deps.store.kind})`,
  );
  printIssuer(prepared.config, io);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stopping = true;
  io.err('signet: shutting down workers');
  await stopWorkers();
  return 0;
}

/** Stops every live worker with SIGTERM and waits for them to exit. */
async function stopWorkers(): Promise<void> {
  await Promise.all(
    Object.values(cluster.workers ?? {}).map(
      (w) =>
        new Promise<void>((resolve) => {
          if (!w || w.isDead()) return resolve();
          w.once('exit', () => resolve());
          w.process.kill('SIGTERM');
        }),
    ),
  );
}

/** How often `serve` applies the audit retention. */
const RETENTION_EVERY_MS = 3_600_000;

/**
 * Applies the audit retention now and then hourly, in the background: a failed prune (a store
 * that is down) is logged and tried again at the next hour, never fatal. Returns the stopper.
 */
function startAuditRetention(deps: Deps, days: number, io: CliIo): () => void {
  const prune = () => {
    deps.store.audit
      .prune(retentionCutoff(deps.clock(), days))
      .then((deleted) => {
        if (deleted > 0) deps.log.info({ deleted, days }, 'audit retention');
      })
      .catch(() => deps.log.warn({ days }, 'audit retention failed; next try in an hour'));
  };
  if (!cluster.isWorker) io.err(`signet: audit records older than ${days} days are deleted hourly`);
  prune();
  const timer = setInterval(prune, RETENTION_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Reports wallet credentials the one-wallet-per-app migration moved aside (identity binding):
 * the details to the log, one line to stderr. A store that cannot answer is not fatal here.
 */
async function reportDisplaced(
  deps: Deps,
  log: { warn(fields: Record<string, unknown>, message: string): void } | null,
  io: CliIo,
): Promise<void> {
  try {
    const count = await reportDisplacedCredentials({
      ...deps,
      log: log ? { info: () => {}, warn: (f, m) => log.warn(f, m) } : deps.log,
    });
    if (count > 0)
      io.err(
        `signet: warning: ${count} wallet credential(s) named an eos account or eth address another user of the app held first; they were moved to credentials_displaced and no longer log in (details in the log)`,
      );
  } catch {
    io.err('signet: warning: could not read the displaced wallet credentials');
  }
}

/** Says which issuer every token names, and where a relying party reads it (docs/tokens.md). */
function printIssuer(config: { issuer: string; issuerDerived: boolean; host: string }, io: CliIo): void {
  io.err(
    `signet: issuer ${config.issuer} (the iss of every token; relying parties read it from ${config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration)`,
  );
  if (
    config.issuerDerived &&
    config.host !== '127.0.0.1' &&
    config.host !== 'localhost' &&
    config.host !== '::1'
  )
    io.err(
      'signet: warning: the issuer was derived from --host and --port; set --issuer (or SIGNET_ISSUER) to the URL clients use (docs/deployment.md)',
    );
}

/** A free TCP port on `host`, for `--port 0` with an issuer derived from the port. */
async function findFreePort(host: string): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, host, () => resolve());
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new UsageError(`cannot bind ${host}`);
  return address.port;
}

/** `--key-rotation-days`: a whole number of days, 1-365; undefined when not given. */
export function parseKeyRotationDays(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 365)
    throw new UsageError('--key-rotation-days is a whole number of days, 1-365');
  return Number(text);
}

/** How often `serve` checks whether the signing key is due for rotation. */
const KEY_ROTATION_CHECK_MS = 3_600_000;

/**
 * Scheduled signing-key rotation: hourly, rotates when the active key is `days` old. Every node
 * checks; the store serialises rotations, and two nodes rotating in the same minute only leave
 * one extra retired key in the JWKS. A failure (store down) is logged and tried again next hour.
 */
function startKeyRotation(deps: Deps, days: number, io: CliIo): () => void {
  const tokens = createTokenService(deps);
  const check = () => {
    tokens
      .rotateIfOlderThan(days * 86_400_000)
      .then((kid) => {
        if (kid !== null) io.err(`signet: scheduled key rotation: new signing key ${kid}`);
      })
      .catch(() => io.err('signet: scheduled key rotation failed; next try in an hour'));
  };
  if (!cluster.isWorker) io.err(`signet: the token signing key is rotated every ${days} days`);
  check();
  const timer = setInterval(check, KEY_ROTATION_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Deletes sessions (and their refresh-token hashes) a day after they expired, hourly, in bounded
 * batches; a failure is retried the next hour. Within the day a late refresh still hears
 * `session_expired` in the audit log rather than `refresh_unknown`.
 */
function startSessionPrune(deps: Deps): () => void {
  const prune = () => {
    deps.store.sessions.prune(deps.clock() - 86_400_000).catch(() => {});
  };
  prune();
  const timer = setInterval(prune, KEY_ROTATION_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
