import { parentPort, workerData } from 'node:worker_threads';
import { createVerifier } from '../../core/verifier.js';
import { verifyLines } from './verifyLines.js';

/**
 * A `verify --batch --jobs N` worker thread: verifies the batches of lines the main thread
 * posts (`{ seq, lines }`) with its own key cache, and posts back `{ seq, text, valid, total }`.
 */
const verifier = createVerifier({ cacheSize: (workerData as { cacheSize?: number } | null)?.cacheSize });
parentPort?.on('message', (message: { seq: number; lines: (string | null)[] }) => {
  parentPort?.postMessage({ seq: message.seq, ...verifyLines(verifier, message.lines) });
});
