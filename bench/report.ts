import type { PhaseResult } from './http/loadgen.js';
import type { HttpResult } from './http/runHttp.js';
import type { MicroResult } from './micro.js';
import type { BatchJobsResult } from './batchJobs.js';
import type { AuditGrowthResult } from './auditGrowth.js';
import type { IndependentResult } from './http/independent.js';
import type { SoakResult } from './soak.js';

/** Where and with what the run happened. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  openssl: string;
  v8: string;
  platform: string;
  /** 1-minute load average when the run started: other work on the box skews every number. */
  loadAverage: number;
  /** 1-minute load average when the run ended (the bench's own processes count in it, ~1-3). */
  loadAverageEnd?: number;
}

/** Everything one run measured: what `--json` prints and what bench/chart.ts reads. */
export interface BenchReport {
  version: 1;
  date: string;
  command: string;
  mode: 'quick' | 'full';
  machine: Machine;
  micro: MicroResult[];
  /** `signet verify --batch --jobs 1` against `--jobs 2` (absent in runs made before it existed). */
  batchJobs?: BatchJobsResult | null;
  /** Logins/s as `audit_events` grows (`--only audit-growth`). */
  auditGrowth?: AuditGrowthResult | null;
  http: HttpResult | null;
  /** The `/v1/verify` row under autocannon in its own process (absent in older runs). */
  independent?: IndependentResult | null;
  soak?: SoakResult | null;
  /** Every target of issue 5 with its measured ratio. */
  targets: Array<{ id: string; title: string; against: string; ratio: number; min: number; met: boolean }>;
  durationSec: number;
}

/** `12 345` style: digits grouped so the columns read at a glance. */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(1);
}

export function formatRatio(value: number | undefined | null): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '-';
  return value >= 10 ? `${value.toFixed(1)}x` : `${value.toFixed(2)}x`;
}

function pad(cells: string[], widths: number[], right: boolean[]): string {
  return cells
    .map((c, i) => (right[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
    .join('  ');
}

function table(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = widths.map((w) => '-'.repeat(w)).join('  ');
  return [pad(header, widths, right), line, ...rows.map((r) => pad(r, widths, right))].join('\n');
}

function spread(m: { spread: number }): string {
  return `±${(m.spread * 100).toFixed(1)}%`;
}

/** The human report: one table for the single-thread rows, one for HTTP, then the targets. */
export function renderText(report: BenchReport): string {
  const out: string[] = [];
  const m = report.machine;
  out.push(`Signet benchmarks (${report.mode}) ${report.date}`);
  out.push(
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; Node ${m.node}, OpenSSL ${m.openssl}; load ${m.loadAverage.toFixed(2)} at start${m.loadAverageEnd === undefined ? '' : `, ${m.loadAverageEnd.toFixed(2)} at end`}`,
  );
  out.push('');
  out.push(
    'Single thread, ops/s: median of interleaved batches (± half the interquartile range); ratios: median of per-round ratios',
  );
  out.push(
    table(
      ['row', 'Signet', '', 'peer', 'peer ops/s', 'Signet/peer', 'reference', 'ref ops/s', 'Signet/ref'],
      report.micro.map((r) => [
        r.title,
        formatRate(r.signet.opsPerSec),
        spread(r.signet),
        r.peer?.label ?? '-',
        r.peer ? formatRate(r.peer.opsPerSec) : '-',
        formatRatio(r.ratioPeer),
        r.reference?.label ?? '-',
        r.reference ? formatRate(r.reference.opsPerSec) : '-',
        formatRatio(r.ratioReference),
      ]),
      [false, true, false, false, true, true, false, true, true],
    ),
  );
  const b = report.batchJobs;
  if (b) {
    out.push('');
    out.push(
      `signet verify --batch FILE --jobs N: ${b.lines.toLocaleString('en-US')} RSA-2048 device lines (4 keys), CLI from ${b.runner}, median of ${b.rounds} round(s), each process's start-up on a one-line file (${Object.entries(
        b.startupMs,
      )
        .map(([j, ms]) => `--jobs ${j}: ${ms.toFixed(0)} ms`)
        .join(', ')}) subtracted`,
    );
    out.push(
      table(
        ['jobs', 'lines/s', 'rounds'],
        b.rates.map((r) => [
          `--jobs ${r.jobs}`,
          formatRate(r.linesPerSec),
          r.samples.map(formatRate).join(' '),
        ]),
        [false, true, false],
      ),
    );
  }
  const g = report.auditGrowth;
  if (g) {
    out.push('');
    out.push(
      `Logins as audit_events grows: SQLite file, Signet's server in process (inject), ${g.inFlight} logins in flight, sizes interleaved`,
    );
    out.push(
      table(
        ['audit rows', 'logins/s', '', 'vs 0 rows', 'one append µs', 'pre-fill s'],
        g.sizes.map((z) => [
          z.rows.toLocaleString('en-US'),
          formatRate(z.loginsPerSec),
          `±${(z.spread * 100).toFixed(1)}%`,
          formatRatio(g.ratios[String(z.rows)]),
          z.appendUs.toFixed(1),
          z.prefillSec.toFixed(1),
        ]),
        [true, true, false, true, true, true],
      ),
    );
  }
  const h = report.http;
  if (h) {
    out.push('');
    out.push(
      `HTTP over loopback, Signet on ${h.store ?? 'sqlite (temp file)'}, load generator in its own process, ${h.connections} keep-alive connections, CLI from ${h.runner}, median of ${h.rounds} round(s)`,
    );
    const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v.toFixed(3));
    const row = (
      what: string,
      rate: number,
      p: PhaseResult | null,
      server: number | null,
      loadgen: number | null,
    ) => [
      what,
      formatRate(rate),
      p ? p.p50Ms.toFixed(2) : '',
      p ? p.p99Ms.toFixed(2) : '',
      ms(server),
      ms(loadgen),
    ];
    const perReq = (p: PhaseResult): number => p.loadgenCpuMs / Math.max(1, p.requests);
    const rows: string[][] = [
      row(
        'bare Fastify + RSA verify (ceiling)',
        h.ceiling.rate,
        h.ceiling,
        h.ceiling.serverCpuMsPerRequest,
        perReq(h.ceiling),
      ),
    ];
    for (const s of h.signet) {
      const w = `--workers ${s.workers}`;
      rows.push(
        row(
          `Signet POST /v1/challenges, ${w}`,
          s.challenges.rate,
          s.challenges,
          s.serverCpuMsPerChallenge,
          perReq(s.challenges),
        ),
      );
      rows.push(
        row(
          `Signet POST /v1/verify (device RSA), ${w}`,
          s.verify.rate,
          s.verify,
          s.serverCpuMsPerVerify,
          perReq(s.verify),
        ),
      );
      const loadgen = (s.challenges.loadgenCpuMs + s.verify.loadgenCpuMs) / Math.max(1, s.verify.requests);
      rows.push(
        row(`Signet logins (challenge + verify), ${w}`, s.loginsPerSec, null, s.serverCpuMsPerLogin, loadgen),
      );
      if (s.inline) {
        rows.push(
          row(
            `Signet logins, client signs inline, ${w}`,
            s.inline.rate,
            s.inline,
            null,
            s.inline.loadgenCpuMs / Math.max(1, s.inline.requests / 2),
          ),
        );
      }
    }
    out.push(
      table(['what', 'per second', 'p50 ms', 'p99 ms', 'server CPU ms each', 'loadgen CPU ms each'], rows, [
        false,
        true,
        true,
        true,
        true,
        true,
      ]),
    );
  }
  const soak = report.soak;
  if (soak) {
    out.push(
      '',
      `Soak: /v1/verify logins at ${soak.ratePerSec}/s for ${soak.seconds} s, ${soak.failures} failures; RSS last/first ${soak.rssGrowth.toFixed(2)}x, p99 last/first ${soak.p99Growth.toFixed(2)}x`,
      '| at s | RSS MiB | verifies | p50 ms | p99 ms | load |',
      '|---:|---:|---:|---:|---:|---:|',
      ...soak.samples.map(
        (x) => `| ${x.atSec} | ${x.rssMiB} | ${x.verifies} | ${x.p50Ms} | ${x.p99Ms} | ${x.load} |`,
      ),
    );
  }
  const ac = report.independent;
  if (ac) {
    out.push('');
    out.push(
      `Independent load generator: ${ac.loadgen}, ${ac.connections} connections, median of ${ac.rounds} round(s); /v1/verify sends ${ac.logins.toLocaleString('en-US')} single-use proofs a round (issued and signed before the timed window)`,
    );
    const line = (what: string, r: IndependentResult['ceiling']) => [
      what,
      formatRate(r.rate),
      r.p50Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      r.maxMs.toFixed(2),
    ];
    out.push(
      table(
        ['what', 'per second', 'p50 ms', 'p99 ms', 'max ms'],
        [
          line('bare Fastify + RSA verify (ceiling)', ac.ceiling),
          line('Signet POST /v1/verify (device RSA), --workers 1', ac.verify),
        ],
        [false, true, true, true, true],
      ),
    );
    out.push(
      `/v1/verify / ceiling: ${formatRatio(ac.verifyVsCeiling)} (rounds: ${ac.perRound
        .map((r) => formatRatio(r.verify / r.ceiling))
        .join(' ')}); p99 / ceiling p99: ${formatRatio(ac.p99VsCeiling)}`,
    );
  }
  out.push('');
  out.push('Targets (issue 5)');
  out.push(
    table(
      ['target', 'measured', 'needed', ''],
      report.targets.map((t) => [
        `${t.title} (vs ${t.against})`,
        formatRatio(t.ratio),
        `>= ${t.min}x`,
        t.met ? 'met' : 'MISSED',
      ]),
      [false, true, true, false],
    ),
  );
  out.push('');
  out.push(`${report.durationSec.toFixed(1)} s in all`);
  return out.join('\n');
}
