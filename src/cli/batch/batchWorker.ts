import { parentPort, workerData } from 'node:worker_threads';
import { createVerifier } from '../../core/verifier.js';
import { splitLines, type ByteBatch } from './readLineBatches.js';
import { verifyLines } from './verifyLines.js';

/**
 * A `verify --batch --jobs N` worker thread: splits and verifies the batches of whole lines the
 * main thread transfers (`{ seq, batch }`, raw bytes) with its own key cache, and posts back
 * `{ seq, text, valid, total }`.
 */
const { cacheSize, maxLineBytes } = workerData as { cacheSize: number; maxLineBytes: number };
const verifier = createVerifier({ cacheSize });
parentPort?.on('message', (message: { seq: number; batch: ByteBatch }) => {
  const lines = splitLines(message.batch, maxLineBytes);
  parentPort?.postMessage({ seq: message.seq, ...verifyLines(verifier, lines) });
});
