import { Worker } from 'node:worker_threads';
import type { ByteBatch } from './readLineBatches.js';
import type { VerifiedLines } from './verifyLines.js';

/**
 * A pool of `verify --batch` worker threads. `submit` transfers a batch of whole lines (raw
 * bytes: the main thread neither decodes nor copies them again) to the least busy worker and
 * resolves with its verified text; callers keep the order themselves. Each worker has its own
 * key cache.
 */
export interface BatchPool {
  submit(batch: ByteBatch): Promise<VerifiedLines>;
  close(): Promise<void>;
}

type Reply = VerifiedLines & { seq: number };

// Under tsx (tests, `npm run bench`) this module is TypeScript, and so is the worker beside it.
// Node 20 does not carry the parent's `--import tsx` loader hooks into a worker, so the
// TypeScript worker is started through a short script that registers tsx and imports it.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './batchWorker.ts' : './batchWorker.js', import.meta.url);

function startWorker(cacheSize: number, maxLineBytes: number): Worker {
  const options = { workerData: { cacheSize, maxLineBytes } };
  return FROM_SOURCE
    ? new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`,
        { ...options, eval: true },
      )
    : new Worker(WORKER_URL, options);
}

export function createBatchPool(size: number, cacheSize: number, maxLineBytes: number): BatchPool {
  let seq = 0;
  let failed: Error | null = null;
  const waiting = new Map<number, { resolve(v: VerifiedLines): void; reject(e: Error): void }>();
  const workers = Array.from({ length: size }, () => {
    const worker = startWorker(cacheSize, maxLineBytes);
    const entry = { worker, busy: 0 };
    worker.on('message', (reply: Reply) => {
      entry.busy--;
      const w = waiting.get(reply.seq);
      waiting.delete(reply.seq);
      w?.resolve({ text: reply.text, valid: reply.valid, total: reply.total });
    });
    worker.on('error', (e: Error) => {
      failed = e;
      for (const w of waiting.values()) w.reject(e);
      waiting.clear();
    });
    return entry;
  });
  return {
    submit(batch) {
      if (failed) return Promise.reject(failed);
      let best = workers[0] as (typeof workers)[number];
      for (const w of workers) if (w.busy < best.busy) best = w;
      best.busy++;
      const id = seq++;
      return new Promise<VerifiedLines>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        // `readByteBatches` gives each batch an ArrayBuffer of its own: moved, not copied.
        best.worker.postMessage({ seq: id, batch }, [batch.bytes.buffer as ArrayBuffer]);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
