import type { Entry } from '../harness.js';

/** A target of issue 5: Signet's rate over the named comparator's must be at least `min`. */
export interface Target {
  against: 'peer' | 'reference';
  min: number;
}

/**
 * One single-thread row: Signet's entry, a peer library doing the same job and/or a raw
 * node:crypto reference, and what each of them does per call (the table prints it).
 */
export interface MicroRow {
  id: string;
  title: string;
  signet: Entry;
  peer?: Entry;
  reference?: Entry;
  target?: Target;
  /** One line: the work each side does per call, so the comparison can be judged. */
  work: string;
}
