/**
 * A worker thread for `sqlite.test.ts`: opens its own store (its own connection) on a shared
 * file, waits at a barrier so every worker starts together, then races the other workers for the
 * same challenges, replay keys and counter. Real parallel connections, unlike `Promise.all` on one
 * synchronous better-sqlite3 handle.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSqliteStore } from '../../src/store/sqlite/createSqliteStore.js';

export interface RaceInput {
  path: string;
  now: number;
  appId: string;
  challengeIds: string[];
  replayKeys: string[];
  credentialId: string;
  worker: number;
  /** Int32Array over a SharedArrayBuffer: slot 0 turns 1 when the race starts. */
  gate: SharedArrayBuffer;
}

export interface RaceOutput {
  consumed: string[];
  remembered: string[];
  markedUsed: boolean;
  /** Webhook outbox messages this worker's claims leased. */
  claimed: string[];
}

const input = workerData as RaceInput;
const store = createSqliteStore({ path: input.path, clock: () => input.now });
const gate = new Int32Array(input.gate);
parentPort!.postMessage('ready');
Atomics.wait(gate, 0, 0);

const out: RaceOutput = { consumed: [], remembered: [], markedUsed: false, claimed: [] };
out.markedUsed = await store.credentials.markUsed(
  input.appId,
  input.credentialId,
  0,
  input.worker + 1,
  input.now,
);
for (let i = 0; i < input.challengeIds.length; i++) {
  const id = input.challengeIds[i]!;
  if ((await store.challenges.consume(input.appId, id)) !== null) out.consumed.push(id);
  const key = input.replayKeys[i]!;
  if (await store.replay.remember(key, 60_000)) out.remembered.push(key);
}
// Claim the outbox dry, a few at a time, under this worker's own leases.
for (let round = 0; ; round++) {
  const batch = await store.webhooks.claim(`lease_w${input.worker}_${round}`, 5, 60_000);
  if (batch.length === 0) break;
  out.claimed.push(...batch.map((m) => m.id));
}
await store.close();
parentPort!.postMessage(out);
