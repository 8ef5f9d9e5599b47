import { measureGroup, type HarnessOptions, type Measurement } from './harness.js';
import type { MicroRow, Target } from './rows/types.js';

/** The measured outcome of one single-thread row, as the JSON output and the table carry it. */
export interface MicroResult {
  id: string;
  title: string;
  work: string;
  signet: Measurement;
  peer?: Measurement;
  reference?: Measurement;
  /**
   * Signet's rate over the peer's / the reference's: the median over rounds of the ratio of
   * the two batches of the same round (they ran back to back), which cancels slow drifts of the
   * machine's speed better than a ratio of medians.
   */
  ratioPeer?: number;
  ratioReference?: number;
  target?: Target & { ratio: number; met: boolean };
}

/** Median over rounds of `a`'s rate over `b`'s in the same round. */
export function pairedRatio(a: Measurement, b: Measurement): number {
  const ratios = a.samples.map((x, i) => x / (b.samples[i] as number)).sort((p, q) => p - q);
  const mid = ratios.length >> 1;
  return ratios.length % 2 === 1
    ? (ratios[mid] as number)
    : ((ratios[mid - 1] as number) + (ratios[mid] as number)) / 2;
}

/**
 * Measures one row: Signet and its comparators in interleaved batches of the same run.
 *
 * @example
 * const result = await runMicroRow(eosRow(), QUICK);
 */
export async function runMicroRow(row: MicroRow, options: HarnessOptions): Promise<MicroResult> {
  const entries = [row.signet];
  if (row.peer) entries.push(row.peer);
  if (row.reference) entries.push(row.reference);
  const measured = await measureGroup(entries, options);
  const signet = measured[0] as Measurement;
  const result: MicroResult = { id: row.id, title: row.title, work: row.work, signet };
  let k = 1;
  if (row.peer) {
    result.peer = measured[k++] as Measurement;
    result.ratioPeer = pairedRatio(signet, result.peer);
  }
  if (row.reference) {
    result.reference = measured[k++] as Measurement;
    result.ratioReference = pairedRatio(signet, result.reference);
  }
  if (row.target) {
    const ratio = (row.target.against === 'peer' ? result.ratioPeer : result.ratioReference) as number;
    result.target = { ...row.target, ratio, met: ratio >= row.target.min };
  }
  return result;
}
