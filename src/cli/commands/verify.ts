import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { createVerifier, MAX_BATCH_LINE, type BatchResult } from '../../core/verifier.js';
import { createBatchPool } from '../batch/createBatchPool.js';
import { readByteBatches, splitLines } from '../batch/readLineBatches.js';
import { verifyLines, type VerifiedLines } from '../batch/verifyLines.js';
import { UsageError, type CliIo } from '../io.js';

export const verifyUsage = `signet verify --batch FILE|- [--jobs N]
  Offline verification: one JSON object a line in, one a line out, in order.
  In:  { "scheme": "device"|"eos"|"eth"|"tiniapp"|"http-signature", "publicKey"?, "address"?,
         "secret"?, "message"? | "messageHex"?, "signature"? | "signatureHex"? }
         (http-signature: "message" is the RFC 9421 signature base, with "secret" or "publicKey")
  Out: { "valid": true } or { "valid": false, "code": "<stable_code>" }
  The input is streamed (memory stays flat on any size) and parsed keys are cached.
  --jobs N  verify on N worker threads (1-64, default 1); the output stays in input order.
  Signatures only: no clock window, no replay record. Exit 0 when every line was valid, 1 otherwise
  (141 when the reader of stdout goes away first, as with | head).`;

/**
 * A line's longest UTF-8 form: a line of at most MAX_BATCH_LINE UTF-16 units has at most 3 bytes
 * a unit, so the reader drops only lines the verifier would refuse anyway.
 */
const MAX_LINE_BYTES = 3 * MAX_BATCH_LINE;

/** Most parsed keys one verifier (one per job) keeps. */
const KEY_CACHE_SIZE = 4096;

/** Verifies one batch line; never throws. Kept for callers of the first round's API. */
export function verifyBatchLine(line: string): BatchResult {
  return createVerifier({ cacheSize: 0 }).verifyLine(line);
}

function readJobs(text: string | undefined): number {
  if (text === undefined) return 1;
  const n = Number(text);
  if (!/^[0-9]{1,2}$/.test(text) || n < 1 || n > 64) throw new UsageError('--jobs is a whole number 1-64');
  return n;
}

/** `signet verify --batch`. */
export async function runVerify(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      batch: { type: 'string' },
      jobs: { type: 'string' },
      json: { type: 'boolean', default: true },
    },
  });
  if (values.batch === undefined) throw new UsageError('--batch FILE|- is required');
  const jobs = readJobs(values.jobs);
  const source: AsyncIterable<Uint8Array | string> | Iterable<string> =
    values.batch === '-'
      ? (io.stdin?.() ?? [await io.readStdin()])
      : createReadStream(values.batch, { highWaterMark: 256 * 1024 });
  const write = async (text: string): Promise<void> => {
    if (text === '') return;
    if (io.outFlow) await io.outFlow(text);
    else io.out(text);
  };

  let valid = 0;
  let total = 0;
  const count = (r: VerifiedLines): string => {
    valid += r.valid;
    total += r.total;
    return r.text;
  };
  const batches = readByteBatches(source, MAX_LINE_BYTES);
  if (jobs === 1) {
    const verifier = createVerifier({ cacheSize: KEY_CACHE_SIZE });
    for await (const batch of batches) {
      await write(count(verifyLines(verifier, splitLines(batch, MAX_LINE_BYTES))));
    }
  } else {
    const pool = createBatchPool(jobs, KEY_CACHE_SIZE, MAX_LINE_BYTES);
    // Results are written in submission order; at most 2 batches a worker are in flight, so
    // reading waits for the slowest worker rather than piling up input in memory.
    const inFlight: Promise<VerifiedLines>[] = [];
    try {
      for await (const batch of batches) {
        inFlight.push(pool.submit(batch));
        while (inFlight.length >= 2 * jobs)
          await write(count(await (inFlight.shift() as Promise<VerifiedLines>)));
      }
      while (inFlight.length > 0) await write(count(await (inFlight.shift() as Promise<VerifiedLines>)));
    } finally {
      // Settle what is left (a read error part-way) before the workers go.
      await Promise.allSettled(inFlight);
      await pool.close();
    }
  }
  io.err(`${valid} of ${total} valid`);
  return valid === total ? 0 : 1;
}
