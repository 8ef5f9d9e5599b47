/**
 * A tiny benchmark harness. Single thread, no dependencies: each entry is warmed up, its batch
 * size is calibrated so one batch takes about `batchMs`, and then the entries of one row run in
 * interleaved timed batches (A B C, B C A, C A B, ...) so that a slow second on a shared machine
 * hurts every entry alike. The reported rate is the median of the per-batch rates.
 *
 * Every call's result goes through the entry's `check`, and a batch with a result that fails it
 * aborts the run: a benchmark of a verifier that stopped verifying is worse than none.
 */

/** One thing to time: a synchronous or asynchronous operation and the check of its result. */
export interface Entry {
  /** What is measured, for the table (`Signet`, `@simplewebauthn/server`, `node:crypto`). */
  label: string;
  /** The operation; an async one is awaited call by call, as a caller would. */
  run: () => unknown;
  /** True when `run` returns a promise. */
  async?: boolean;
  /** Accepts a correct result (a verification that succeeded). */
  check: (result: unknown) => boolean;
}

/** Timing settings: how long to warm up, how long one batch lasts, how many batches per entry. */
export interface HarnessOptions {
  warmupMs: number;
  batchMs: number;
  batches: number;
}

/** The outcome for one entry. */
export interface Measurement {
  label: string;
  /** Median of the per-batch rates, operations per second. */
  opsPerSec: number;
  /** Per-batch rates, in the order they ran. */
  samples: number[];
  /** Half the spread of the middle half of the samples, relative to the median (a robust +-). */
  spread: number;
  /** Calls per batch. */
  batchSize: number;
  /** Mean time of one call, nanoseconds (from the median rate). */
  nsPerOp: number;
}

/** Settings of `--quick` and of the full run. */
export const QUICK: HarnessOptions = { warmupMs: 100, batchMs: 50, batches: 5 };
export const FULL: HarnessOptions = { warmupMs: 500, batchMs: 100, batches: 25 };

const now = (): number => performance.now();

/** Runs `n` calls and returns the elapsed milliseconds; throws when a result fails its check. */
async function runBatch(entry: Entry, n: number): Promise<number> {
  const { run, check } = entry;
  let bad = 0;
  const start = now();
  if (entry.async) {
    for (let i = 0; i < n; i++) if (!check(await run())) bad++;
  } else {
    for (let i = 0; i < n; i++) if (!check(run())) bad++;
  }
  const elapsed = now() - start;
  if (bad > 0) throw new Error(`bench: ${entry.label}: ${bad} of ${n} results failed their check`);
  return elapsed;
}

/** Warms an entry up for about `ms` and returns a batch size of about `batchMs`. */
async function calibrate(entry: Entry, ms: number, batchMs: number): Promise<number> {
  let n = 1;
  let spent = 0;
  let calls = 0;
  // Grow the batch until one takes a measurable time, then keep going until the warm-up is spent.
  while (spent < ms) {
    const t = await runBatch(entry, n);
    spent += t;
    calls += n;
    if (t < 5) n *= 2;
  }
  const perCall = spent / calls;
  return Math.max(1, Math.round(batchMs / perCall));
}

function median(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/**
 * Measures the entries of one row in interleaved batches and returns one measurement per entry,
 * in the order given.
 *
 * @example
 * const [signet, raw] = await measureGroup([signetEntry, rawEntry], QUICK);
 * console.log(signet.opsPerSec / raw.opsPerSec);
 */
export async function measureGroup(
  entries: readonly Entry[],
  options: HarnessOptions,
): Promise<Measurement[]> {
  for (const entry of entries) {
    const first = entry.async ? await entry.run() : entry.run();
    if (!entry.check(first)) throw new Error(`bench: ${entry.label}: the fixture does not verify`);
  }
  const sizes: number[] = [];
  for (const entry of entries) sizes.push(await calibrate(entry, options.warmupMs, options.batchMs));
  const samples: number[][] = entries.map(() => []);
  for (let b = 0; b < options.batches; b++) {
    for (let k = 0; k < entries.length; k++) {
      const i = (b + k) % entries.length;
      const n = sizes[i] as number;
      const ms = await runBatch(entries[i] as Entry, n);
      (samples[i] as number[]).push((n * 1000) / ms);
    }
  }
  return entries.map((entry, i) => {
    const own = samples[i] as number[];
    const sorted = [...own].sort((a, b) => a - b);
    const med = median(sorted);
    return {
      label: entry.label,
      opsPerSec: med,
      samples: own,
      spread: (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / 2 / med,
      batchSize: sizes[i] as number,
      nsPerOp: 1e9 / med,
    };
  });
}
