import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { FULL, QUICK } from './harness.js';
import { runHttp, type HttpResult } from './http/runHttp.js';
import { runBatchJobs, type BatchJobsResult } from './batchJobs.js';
import { runAuditGrowth, type AuditGrowthResult } from './auditGrowth.js';
import { runIndependent, type IndependentResult } from './http/independent.js';
import { runSoak, type SoakResult } from './soak.js';
import { runMicroRow, type MicroResult } from './micro.js';
import { renderText, type BenchReport, type Machine } from './report.js';
import { rsaDeviceRow, p256DeviceRow } from './rows/device.js';
import { ed25519Row } from './rows/ed25519.js';
import { eosRow } from './rows/eos.js';
import { ethRow } from './rows/eth.js';
import { tiniappRow } from './rows/tiniapp.js';
import type { MicroRow } from './rows/types.js';
import { webauthnRow } from './rows/webauthn.js';
import { eosBatchRow, ethBatchRow, rsaBatchRow, tiniappBatchRow } from './rows/batch.js';

/**
 * `npm run bench [-- --quick] [-- --json] [-- --only <row>]`: Signet against its peers and raw
 * node:crypto, single thread, row by row in one process; then the HTTP rows against real
 * listening servers with a load generator in a second process. See docs/benchmarks.md.
 *
 *   --quick        short batches and windows (under 60 s in all)
 *   --json         print one JSON object (every row, the machine, the targets) on stdout; progress on stderr
 *   --only <row>   run one row (or several, comma-separated): a micro row id, `batch-jobs`,
 *                  `audit-growth` (logins/s at 0, 100k and 1M audit records; not in a default run:
 *                  pre-filling takes a minute), `http` or `http-autocannon` (the /v1/verify row
 *                  again, loaded by autocannon in its own process) or `soak` (only when named:
 *                  /v1/verify logins at a steady rate, RSS and p99 sampled; --soak-seconds
 *                  (default 600), --soak-rate logins/s (default 200), --soak-sample s (default 30))
 *   --no-http      skip the HTTP rows
 *   --dist         start `signet` from dist/ (after `npm run build`) instead of src/ through tsx
 *   --connections N  keep-alive connections of the load generator (default 32)
 *   --inline-logins  also run full logins with the client signing inline (informative)
 *   --db URL       run the Signet servers on this store instead of a SQLite temp file (postgres://...;
 *                  a fresh schema is made and dropped), --redis URL beside it
 *   --out FILE     also write the JSON report to FILE (npm prints its own banner on stdout
 *                  unless run as `npm run -s bench`, so this is the safe way to keep it)
 *   --render FILE  print the text report of a saved `--json` run, and measure nothing
 */

const MICRO_ROWS: Record<string, () => MicroRow> = {
  'device-rsa2048': rsaDeviceRow,
  'device-p256': p256DeviceRow,
  ed25519: ed25519Row,
  'webauthn-es256': webauthnRow,
  'eos-k1': eosRow,
  'eth-eip191': ethRow,
  'tiniapp-hmac': tiniappRow,
  'batch-rsa': rsaBatchRow,
  'batch-eos': eosBatchRow,
  'batch-eth': ethBatchRow,
  'batch-tiniapp': tiniappBatchRow,
};

/** Rows that are not single-thread micro rows. */
const EXTRA_ROWS = ['batch-jobs', 'audit-growth', 'http', 'http-autocannon', 'soak'];

function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
    openssl: process.versions.openssl,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg()[0] ?? 0,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      only: { type: 'string' },
      'no-http': { type: 'boolean', default: false },
      dist: { type: 'boolean', default: false },
      connections: { type: 'string' },
      'inline-logins': { type: 'boolean', default: false },
      render: { type: 'string' },
      out: { type: 'string' },
      db: { type: 'string' },
      redis: { type: 'string' },
      'soak-seconds': { type: 'string' },
      'soak-rate': { type: 'string' },
      'soak-sample': { type: 'string' },
    },
  });
  if (values.render !== undefined) {
    process.stdout.write(`${renderText(JSON.parse(readFileSync(values.render, 'utf8')) as BenchReport)}\n`);
    return 0;
  }
  const started = performance.now();
  const quick = values.quick === true;
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const only = values.only === undefined ? null : new Set(values.only.split(',').map((s) => s.trim()));
  if (only) {
    for (const id of only) {
      if (!EXTRA_ROWS.includes(id) && !(id in MICRO_ROWS)) {
        throw new Error(
          `bench: unknown row '${id}'; rows: ${[...Object.keys(MICRO_ROWS), ...EXTRA_ROWS].join(', ')}`,
        );
      }
    }
  }
  const connections = values.connections === undefined ? 32 : Number(values.connections);
  if (!Number.isInteger(connections) || connections < 1 || connections > 256)
    throw new Error('bench: --connections is 1-256');

  const info = machine();
  if (info.loadAverage > 0.5) {
    progress(
      `bench: load average is ${info.loadAverage.toFixed(2)}: something else is running, numbers will be noisy`,
    );
  }

  const micro: MicroResult[] = [];
  const harness = quick ? QUICK : FULL;
  for (const [id, make] of Object.entries(MICRO_ROWS)) {
    if (only && !only.has(id)) continue;
    progress(`micro: ${id}`);
    const result = await runMicroRow(make(), harness);
    micro.push(result);
  }

  let batchJobs: BatchJobsResult | null = null;
  if (!only || only.has('batch-jobs')) {
    progress('batch-jobs: signet verify --batch --jobs 1 against --jobs 2');
    batchJobs = await runBatchJobs({
      runner: values.dist ? 'dist' : 'src',
      lines: quick ? 20_000 : 120_000,
      rounds: quick ? 1 : 3,
      progress,
    });
  }

  let auditGrowth: AuditGrowthResult | null = null;
  if (only?.has('audit-growth')) {
    auditGrowth = await runAuditGrowth({
      sizes: quick ? [0, 100_000] : [0, 100_000, 1_000_000],
      harness: quick
        ? { warmupMs: 300, batchMs: 100, batches: 5 }
        : { warmupMs: 1000, batchMs: 200, batches: 15 },
      progress,
    });
  }

  let http: HttpResult | null = null;
  if (!values['no-http'] && (!only || only.has('http'))) {
    http = await runHttp({
      runner: values.dist ? 'dist' : 'src',
      connections,
      windowMs: quick ? 1200 : 3000,
      maxLogins: quick ? 6000 : 15000,
      warmupMs: quick ? 400 : 1500,
      workers: [1, 2],
      rounds: quick ? 1 : 3,
      inlineLogins: values['inline-logins'] === true,
      ...(values.db === undefined ? {} : { databaseUrl: values.db }),
      ...(values.redis === undefined ? {} : { redisUrl: values.redis }),
      progress,
    });
  }

  let independent: IndependentResult | null = null;
  if (!values['no-http'] && (!only || only.has('http-autocannon'))) {
    independent = await runIndependent({
      runner: values.dist ? 'dist' : 'src',
      connections,
      rounds: quick ? 1 : 3,
      logins: quick ? 3000 : 8000,
      windowMs: quick ? 1500 : 3000,
      progress,
    });
  }

  let soak: SoakResult | null = null;
  if (only?.has('soak')) {
    const num = (v: string | undefined, d: number, name: string) => {
      const n = v === undefined ? d : Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`bench: --${name} must be a positive number`);
      return n;
    };
    soak = await runSoak({
      runner: values.dist ? 'dist' : 'src',
      seconds: num(values['soak-seconds'], 600, 'soak-seconds'),
      ratePerSec: num(values['soak-rate'], 200, 'soak-rate'),
      sampleSec: num(values['soak-sample'], 30, 'soak-sample'),
      progress,
    });
  }

  const targets: BenchReport['targets'] = [];
  for (const r of micro) {
    if (!r.target) continue;
    const against = (r.target.against === 'peer' ? r.peer?.label : r.reference?.label) ?? r.target.against;
    targets.push({
      id: r.id,
      title: r.title,
      against,
      ratio: r.target.ratio,
      min: r.target.min,
      met: r.target.met,
    });
  }
  if (batchJobs) {
    targets.push({
      id: 'batch-jobs',
      title: 'verify --batch --jobs 2 lines/s',
      against: '--jobs 1',
      ratio: batchJobs.ratio,
      min: 1.7,
      met: batchJobs.ratio >= 1.7,
    });
  }
  if (auditGrowth) {
    const largest = auditGrowth.sizes[auditGrowth.sizes.length - 1];
    targets.push({
      id: 'audit-growth',
      title: `logins/s at ${largest?.rows.toLocaleString('en-US')} audit rows`,
      against: '0 rows',
      ratio: auditGrowth.ratio,
      min: 0.9,
      met: auditGrowth.ratio >= 0.9,
    });
  }
  if (independent) {
    targets.push({
      id: 'verify-vs-ceiling-autocannon',
      title: '/v1/verify req/s, 1 worker, SQLite, autocannon',
      against: 'bare Fastify + RSA, autocannon',
      ratio: independent.verifyVsCeiling,
      min: 0.35,
      met: independent.verifyVsCeiling >= 0.35,
    });
  }
  for (const t of http?.targets ?? []) {
    targets.push({ ...t, against: t.id === 'verify-vs-ceiling' ? 'bare Fastify + RSA' : '1 worker' });
  }

  info.loadAverageEnd = loadavg()[0] ?? 0;
  const report: BenchReport = {
    version: 1,
    date: new Date().toISOString(),
    command: `npm run bench --${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    mode: quick ? 'quick' : 'full',
    machine: info,
    micro,
    batchJobs,
    auditGrowth,
    http,
    independent,
    soak,
    targets,
    durationSec: (performance.now() - started) / 1000,
  };
  if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify(report, null, 1)}\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${renderText(report)}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
