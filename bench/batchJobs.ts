import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rsaBatchLines } from './rows/batch.js';

/**
 * `signet verify --batch FILE --jobs N` as a real process: the same file of RSA-2048 device lines
 * (4 keys), `--jobs 1` and `--jobs 2` in alternating rounds. A process's start-up (measured on
 * a one-line file, the same rounds: every worker thread started and loaded) is subtracted, so
 * the rate is the verifying part alone.
 */
export interface BatchJobsResult {
  lines: number;
  runner: 'src' | 'dist';
  rounds: number;
  /** Median start-up of a process (one-line input), per `--jobs` value. */
  startupMs: Record<string, number>;
  /** Lines per second, median round, for each `--jobs` value. */
  rates: Array<{ jobs: number; linesPerSec: number; samples: number[] }>;
  /** Median over rounds of the `--jobs 2` rate over the `--jobs 1` rate of the same round. */
  ratio: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function runOnce(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`bench: verify --batch exited ${code}: ${err}`));
      else resolve(ms);
    });
  });
}

export async function runBatchJobs(options: {
  runner: 'src' | 'dist';
  lines: number;
  rounds: number;
  progress: (line: string) => void;
}): Promise<BatchJobsResult> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-batch-'));
  try {
    // 256 distinct signed lines repeated: verification has no replay record, so repeats cost the same.
    const distinct = rsaBatchLines(256, 4);
    const text = Array.from({ length: options.lines }, (_, i) => distinct[i % distinct.length]).join('\n');
    const file = join(dir, 'rsa.jsonl');
    // Start-up: a one-line file, so that every worker thread loads its modules and answers.
    const empty = join(dir, 'one.jsonl');
    writeFileSync(file, `${text}\n`);
    writeFileSync(empty, `${distinct[0]}\n`);
    const cli =
      options.runner === 'dist'
        ? [new URL('../dist/cli/main.js', import.meta.url).pathname]
        : ['--import', 'tsx', new URL('../src/cli/main.ts', import.meta.url).pathname];
    const jobs = [1, 2];
    const samples = new Map<number, number[]>(jobs.map((j) => [j, []]));
    const startups = new Map<number, number[]>(jobs.map((j) => [j, []]));
    const ratios: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? jobs : [...jobs].reverse();
      const ms = new Map<number, number>();
      for (const j of order) {
        // Start-up with N workers, then the run: the same process shape minus the lines.
        const startup = await runOnce([...cli, 'verify', '--batch', empty, '--jobs', String(j)]);
        (startups.get(j) as number[]).push(startup);
        const total = await runOnce([...cli, 'verify', '--batch', file, '--jobs', String(j)]);
        const rate = (options.lines * 1000) / Math.max(1, total - startup);
        ms.set(j, rate);
        (samples.get(j) as number[]).push(rate);
        options.progress(`batch-jobs: round ${round + 1}, --jobs ${j}: ${Math.round(rate)} lines/s`);
      }
      ratios.push((ms.get(2) as number) / (ms.get(1) as number));
    }
    return {
      lines: options.lines,
      runner: options.runner,
      rounds: options.rounds,
      startupMs: Object.fromEntries(jobs.map((j) => [String(j), median(startups.get(j) as number[])])),
      rates: jobs.map((j) => ({
        jobs: j,
        linesPerSec: median(samples.get(j) as number[]),
        samples: samples.get(j) as number[],
      })),
      ratio: median(ratios),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
