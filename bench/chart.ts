import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchReport } from './report.js';
import { formatRate, formatRatio } from './report.js';

/**
 * Draws the chart of docs/benchmarks.md from one `npm run bench -- --json` report, as a plain
 * hand-written SVG (no dependencies):
 *
 *   node --import tsx bench/chart.ts bench/results/full.json docs/benchmarks.svg
 *
 * Top panel: every target as Signet's ratio over its comparator, on a log scale, with the
 * target marked (green bar = met, red = missed). Bottom panel: the HTTP rows in requests (or
 * logins) per second.
 */

const WIDTH = 940;
const LABEL_W = 390;
const BAR_W = WIDTH - LABEL_W - 150;
const ROW_H = 26;
const GREEN = '#2e7d32';
const RED = '#c62828';
const BLUE = '#1565c0';
const GREY = '#9e9e9e';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(content)}</text>`;
}

/** The ratio panel: log10 scale from a power of ten under the smallest ratio (at most 0.25x) to one above the largest. */
function ratioPanel(report: BenchReport, top: number): { svg: string[]; height: number } {
  const rows = report.targets.filter((t) => Number.isFinite(t.ratio));
  const maxRatio = Math.max(10, ...rows.map((t) => t.ratio), ...rows.map((t) => t.min));
  const minRatio = Math.min(0.25, ...rows.map((t) => t.ratio));
  const lo = minRatio >= 0.25 ? Math.log10(0.25) : Math.floor(Math.log10(minRatio) - 0.05);
  const hi = Math.ceil(Math.log10(maxRatio) + 0.05);
  const x = (ratio: number): number =>
    LABEL_W + ((Math.log10(Math.max(ratio, 10 ** lo)) - lo) / (hi - lo)) * BAR_W;
  const out: string[] = [];
  out.push(text(16, top + 18, 'Signet / comparator, same run (log scale); black tick = target', 'class="h"'));
  const plotTop = top + 32;
  const plotH = rows.length * ROW_H;
  const ticks = new Set<number>([1, 2, 5, 0.5]);
  if (minRatio >= 0.25) ticks.add(0.25);
  for (let p = Math.ceil(lo); p <= hi; p++) ticks.add(10 ** p);
  for (let p = Math.ceil(lo); p < hi; p++) [2, 5].forEach((m) => ticks.add(m * 10 ** p));
  for (const t of [...ticks]
    .filter((t) => Math.log10(t) >= lo - 1e-9 && Math.log10(t) <= hi + 1e-9)
    .sort((a, b) => a - b)) {
    const tx = x(t);
    out.push(
      `<line x1="${tx.toFixed(1)}" y1="${plotTop}" x2="${tx.toFixed(1)}" y2="${plotTop + plotH}" class="${t === 1 ? 'one' : 'grid'}"/>`,
    );
    out.push(
      text(tx, plotTop + plotH + 14, `${Number(t.toPrecision(2))}x`, 'class="tick" text-anchor="middle"'),
    );
  }
  rows.forEach((t, i) => {
    const y = plotTop + i * ROW_H;
    const x0 = x(1);
    const x1 = x(t.ratio);
    const color = t.met ? GREEN : RED;
    out.push(text(LABEL_W - 8, y + 17, `${t.title} vs ${t.against}`, 'class="label" text-anchor="end"'));
    out.push(
      `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 5}" width="${Math.max(2, Math.abs(x1 - x0)).toFixed(1)}" height="${ROW_H - 10}" fill="${color}"/>`,
    );
    const tx = x(t.min);
    out.push(
      `<line x1="${tx.toFixed(1)}" y1="${y + 2}" x2="${tx.toFixed(1)}" y2="${y + ROW_H - 2}" class="target"/>`,
    );
    // The value goes right of whatever is drawn on the row: the bar, the 1x line, the target tick.
    const labelX = Math.max(x0, x1, tx) + 6;
    out.push(
      text(
        labelX,
        y + 17,
        `${formatRatio(t.ratio)} (target ≥ ${t.min}x)${t.met ? '' : ' missed'}`,
        'class="value"',
      ),
    );
  });
  return { svg: out, height: 32 + plotH + 26 };
}

/** The HTTP panel: requests or logins per second, linear scale. */
function httpPanel(report: BenchReport, top: number): { svg: string[]; height: number } {
  const h = report.http;
  if (!h) return { svg: [], height: 0 };
  const bars: Array<{ label: string; value: number; color: string; note: string }> = [
    {
      label: 'bare Fastify + RSA verify (ceiling)',
      value: h.ceiling.rate,
      color: GREY,
      note: `p99 ${h.ceiling.p99Ms.toFixed(1)} ms`,
    },
  ];
  for (const s of h.signet) {
    bars.push({
      label: `Signet /v1/verify, ${s.workers} worker${s.workers > 1 ? 's' : ''}`,
      value: s.verify.rate,
      color: BLUE,
      note: `p99 ${s.verify.p99Ms.toFixed(1)} ms`,
    });
  }
  for (const s of h.signet) {
    bars.push({
      label: `Signet logins (challenge + verify), ${s.workers} worker${s.workers > 1 ? 's' : ''}`,
      value: s.loginsPerSec,
      color: '#6a1b9a',
      note: '',
    });
  }
  const max = Math.max(...bars.map((b) => b.value));
  const out: string[] = [];
  out.push(
    text(
      16,
      top + 18,
      `HTTP over loopback, per second (${h.connections} keep-alive connections, load generator in its own process)`,
      'class="h"',
    ),
  );
  const plotTop = top + 32;
  bars.forEach((b, i) => {
    const y = plotTop + i * ROW_H;
    const w = (b.value / max) * BAR_W;
    out.push(text(LABEL_W - 8, y + 17, b.label, 'class="label" text-anchor="end"'));
    out.push(
      `<rect x="${LABEL_W}" y="${y + 5}" width="${Math.max(1, w).toFixed(1)}" height="${ROW_H - 10}" fill="${b.color}"/>`,
    );
    out.push(
      text(
        LABEL_W + w + 6,
        y + 17,
        `${formatRate(b.value)}/s${b.note ? `  ${b.note}` : ''}`,
        'class="value"',
      ),
    );
  });
  return { svg: out, height: 32 + bars.length * ROW_H + 10 };
}

/**
 * Renders the whole chart as an SVG document.
 *
 * @example
 * writeFileSync('docs/benchmarks.svg', renderChart(JSON.parse(readFileSync('run.json', 'utf8'))));
 */
export function renderChart(report: BenchReport): string {
  const m = report.machine;
  const header = [
    text(16, 24, `Signet benchmarks (${report.mode} run, ${report.date.slice(0, 10)})`, 'class="title"'),
    text(16, 42, `${m.cpu}, ${m.cores} cores; Node ${m.node}, OpenSSL ${m.openssl}`, 'class="sub"'),
  ];
  const ratios = ratioPanel(report, 52);
  const http = httpPanel(report, 52 + ratios.height);
  const height = 52 + ratios.height + http.height + 6;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    '<style>',
    '.title{font-size:16px;font-weight:bold;fill:#212121}.sub{font-size:12px;fill:#616161}',
    '.h{font-size:13px;font-weight:bold;fill:#212121}.label{font-size:12px;fill:#212121}',
    '.value{font-size:11px;fill:#424242}.tick{font-size:10px;fill:#757575}',
    '.grid{stroke:#e0e0e0;stroke-width:1}.one{stroke:#616161;stroke-width:1}.target{stroke:#000;stroke-width:2}',
    '</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...header,
    ...ratios.svg,
    ...http.svg,
    '</svg>',
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    process.stderr.write('usage: node --import tsx bench/chart.ts <report.json> <out.svg>\n');
    process.exit(2);
  }
  const report = JSON.parse(readFileSync(input, 'utf8')) as BenchReport;
  writeFileSync(output, renderChart(report));
  process.stderr.write(`chart: wrote ${output}\n`);
}
