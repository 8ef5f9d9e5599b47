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
  /** Signet's rate over the peer's / the reference's. */
  ratioPeer?: number;
  ratioReference?: number;
  target?: Target & { ratio: number; met: boolean };
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
    result.ratioPeer = signet.opsPerSec / result.peer.opsPerSec;
  }
  if (row.reference) {
    result.reference = measured[k++] as Measurement;
    result.ratioReference = signet.opsPerSec / result.reference.opsPerSec;
  }
  if (row.target) {
    const ratio = (row.target.against === 'peer' ? result.ratioPeer : result.ratioReference) as number;
    result.target = { ...row.target, ratio, met: ratio >= row.target.min };
  }
  return result;
}
