/**
 * Splits a byte stream into lines, a chunk's worth at a time, holding at most one partial line
 * (bounded by `maxLineBytes`) besides the chunk being read: memory stays flat however large the
 * input. A line longer than `maxLineBytes` is not kept: it comes out as `null` once its end is
 * found. Lines are decoded as UTF-8 (malformed bytes become U+FFFD, as `readFile(…, 'utf8')` did);
 * the `\n` is removed, a `\r` before it is left to the caller. A last line without `\n` counts.
 *
 * @example
 * for await (const lines of readLineBatches(createReadStream(file), 3 << 20)) for (const line of lines) …
 */
export async function* readLineBatches(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
  maxLineBytes: number,
): AsyncGenerator<(string | null)[], void, undefined> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let oversize = false;
  for await (const piece of source) {
    const chunk =
      typeof piece === 'string'
        ? Buffer.from(piece, 'utf8')
        : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    const lines: (string | null)[] = [];
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(0x0a, start);
      if (end === -1) break;
      if (oversize || pendingBytes + (end - start) > maxLineBytes) {
        lines.push(null);
      } else if (pendingBytes === 0) {
        lines.push(chunk.toString('utf8', start, end));
      } else {
        pending.push(chunk.subarray(start, end));
        lines.push(Buffer.concat(pending, pendingBytes + (end - start)).toString('utf8'));
      }
      pending = [];
      pendingBytes = 0;
      oversize = false;
      start = end + 1;
    }
    if (start < chunk.length && !oversize) {
      const rest = chunk.length - start;
      if (pendingBytes + rest > maxLineBytes) {
        // Too long already: drop what was kept and skip to the next newline.
        oversize = true;
        pending = [];
        pendingBytes = 0;
      } else {
        // A copy, so the partial line does not keep the whole chunk alive.
        pending.push(Buffer.from(chunk.subarray(start)));
        pendingBytes += rest;
      }
    }
    if (lines.length > 0) yield lines;
  }
  if (oversize) yield [null];
  else if (pendingBytes > 0) yield [Buffer.concat(pending, pendingBytes).toString('utf8')];
}
