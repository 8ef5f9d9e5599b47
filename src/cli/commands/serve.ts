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

export const serveUsage = `signet serve [--port 8080] [--host 127.0.0.1] [--db sqlite:./signet.db | postgres://...]
             [--redis redis://...] [--base-path /prefix] [--issuer URL] [--workers N|auto]
             [--audit-retention-days N]
  Runs the HTTP server; --workers starts N processes sharing the port (node:cluster). Flags win over SIGNET_PORT, SIGNET_HOST, SIGNET_DATABASE_URL,
  SIGNET_REDIS_URL, SIGNET_BASE_PATH, SIGNET_ISSUER; SIGNET_MASTER_KEY seals secrets at rest;
  SIGNET_ADMIN_TOKEN (32+ characters) turns on the admin console at /console (docs/console.md).`;

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
    },
  });
  const retentionDays = parseRetentionDays(
    values['audit-retention-days'] ?? io.env['SIGNET_AUDIT_RETENTION_DAYS'],
    '--audit-retention-days',
  );
  const workersText = values.workers ?? io.env['SIGNET_WORKERS'] ?? '1';
  const workers = workersText === 'auto' ? availableParallelism() : Number(workersText);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64)
    throw new UsageError('--workers is 1-64 or auto');
  const { workers: _w, 'audit-retention-days': _r, ...flags } = values;
  // Port, base path and database URLs are checked before anything reads a key or touches a file.
  resolveConfig(flags, io.env);
  const adminToken = readAdminToken(io.env);
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
  const runtime = await openRuntime(flags, io);
  const server = await buildServer({
    deps: runtime.deps,
    basePath: runtime.config.basePath,
    adminToken,
    logger: {
      level: io.env['SIGNET_LOG_LEVEL'] ?? 'info',
      redact: ['req.headers["x-tiniapp-signature"]', 'req.headers.authorization'],
    },
  });
  await server.listen({ port: runtime.config.port, host: runtime.config.host });
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
  }
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
  await server.close();
  await runtime.close();
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
  await prepared.close();
  let stopping = false;
  const fork = () => cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    io.err(`signet: worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    fork();
  });
  let listening = 0;
  const ready = new Promise<number>((resolve) => {
    cluster.on('listening', (_worker, address) => {
      if (++listening === workers) resolve(address.port);
    });
  });
  for (let i = 0; i < workers; i++) fork();
  const port = await ready;
  io.err(
    `signet: listening on http://${prepared.config.host}:${port}${prepared.config.basePath} with ${workers} workers (store ${prepared.deps.store.kind})`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stopping = true;
  io.err('signet: shutting down workers');
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
  return 0;
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
