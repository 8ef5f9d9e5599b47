/**
 * Line reading for `verify --batch`, in two steps so that `--jobs N` can hand raw bytes to its
 * worker threads (transferred, not copied) and let them split and decode the lines:
 *
 * - `readByteBatches` cuts a byte stream at line ends: each batch is whole lines. It holds at
 *   most one partial line (bounded by `maxLineBytes`) besides the chunk being read, so memory
 *   stays flat however large the input. A line longer than `maxLineBytes` that spans chunks is
 *   dropped as it streams by and reported as `oversizeBefore` on the next batch.
 * - `splitLines` splits one batch into lines, decoded as UTF-8 (malformed bytes become U+FFFD,
 *   as `readFile(…, 'utf8')` does); a line over `maxLineBytes` comes out as `null`. The `\n` is
 *   removed; a `\r` before it is left to the caller.
 */

/** Whole lines of input: `bytes` ends at a line end (or at the end of the input). */
export interface ByteBatch {
  bytes: Uint8Array;
  /** A line over the limit came (and was dropped) just before these bytes. */
  oversizeBefore: boolean;
}

function own(parts: Uint8Array[], length: number): Uint8Array {
  // A fresh ArrayBuffer of exactly this batch, so it can be transferred to a worker.
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export async function* readByteBatches(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  maxLineBytes: number,
): AsyncGenerator<ByteBatch, void, undefined> {
  let carry: Uint8Array[] = [];
  let carryBytes = 0;
  let oversize = false;
  let oversizeBefore = false;
  for await (const piece of source) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
    const last = chunk.lastIndexOf(0x0a);
    if (last === -1) {
      if (oversize) continue;
      if (carryBytes + chunk.length > maxLineBytes) {
        // Too long already: drop what was kept and skip to the next line end.
        oversize = true;
        carry = [];
        carryBytes = 0;
      } else {
        carry.push(Uint8Array.from(chunk));
        carryBytes += chunk.length;
      }
      continue;
    }
    let start = 0;
    if (oversize) {
      // The over-long line ends at this chunk's first line end.
      start = chunk.indexOf(0x0a) + 1;
      oversize = false;
      oversizeBefore = true;
    }
    if (start <= last) {
      yield {
        bytes: own([...carry, chunk.subarray(start, last + 1)], carryBytes + last + 1 - start),
        oversizeBefore,
      };
      oversizeBefore = false;
      carry = [];
      carryBytes = 0;
    }
    if (last + 1 < chunk.length) {
      const rest = chunk.subarray(last + 1);
      if (rest.length > maxLineBytes) oversize = true;
      else {
        carry = [Uint8Array.from(rest)];
        carryBytes = rest.length;
      }
    }
  }
  if (oversize) oversizeBefore = true;
  if (carryBytes > 0 || oversizeBefore) yield { bytes: own(carry, carryBytes), oversizeBefore };
}

/** Splits one batch into lines (see the module comment); `null` for a line over the limit. */
export function splitLines(batch: ByteBatch, maxLineBytes: number): (string | null)[] {
  const { bytes } = batch;
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lines: (string | null)[] = batch.oversizeBefore ? [null] : [];
  let start = 0;
  while (start < buffer.length) {
    let end = buffer.indexOf(0x0a, start);
    if (end === -1) end = buffer.length;
    lines.push(end - start > maxLineBytes ? null : buffer.toString('utf8', start, end));
    start = end + 1;
  }
  return lines;
}

/**
 * Both steps at once: the lines of a byte stream, a chunk's worth at a time.
 *
 * @example
 * for await (const lines of readLineBatches(createReadStream(file), 3 << 20)) for (const line of lines) …
 */
export async function* readLineBatches(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  maxLineBytes: number,
): AsyncGenerator<(string | null)[], void, undefined> {
  for await (const batch of readByteBatches(source, maxLineBytes)) {
    const lines = splitLines(batch, maxLineBytes);
    if (lines.length > 0) yield lines;
  }
}
