/**
 * A worker thread for `sqlite.test.ts`: its own store (its own connection) on a shared file,
 * started at a barrier with the others, racing them to rotate the same refresh tokens.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';

export interface SessionRaceInput {
  path: string;
  now: number;
  appId: string;
  /** The refresh-token hash each worker presents, one a family (current, or spent for a retry). */
  hashes: string[];
  /** The retry grace passed to rotate. */
  graceMs: number;
  worker: number;
  /** Int32Array over a SharedArrayBuffer: slot 0 turns 1 when the race starts. */
  gate: SharedArrayBuffer;
}

export interface SessionRaceOutput {
  /** Hashes this worker spent (outcome `rotated`). */
  rotated: string[];
  /** Outcomes other than `rotated`, by kind. */
  others: Record<string, number>;
}

const input = workerData as SessionRaceInput;
const store = createSqliteStore({ path: input.path, clock: () => input.now });
const gate = new Int32Array(input.gate);
parentPort!.postMessage('ready');
Atomics.wait(gate, 0, 0);

const out: SessionRaceOutput = { rotated: [], others: {} };
for (const hash of input.hashes) {
  const r = await store.sessions.rotate(
    input.appId,
    hash,
    `${hash}:next:${input.worker}`,
    input.now,
    input.graceMs,
  );
  if (r.outcome === 'rotated') out.rotated.push(hash);
  else out.others[r.outcome] = (out.others[r.outcome] ?? 0) + 1;
}
await store.close();
parentPort!.postMessage(out);
