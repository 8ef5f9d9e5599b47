import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { findScheme } from '../../schemes/registry.js';
import type { OfflineInput } from '../../schemes/types.js';
import { UsageError, type CliIo } from '../io.js';

export const verifyUsage = `signet verify --batch FILE|-
  Offline verification: one JSON object a line in, one a line out, in order.
  In:  { "scheme": "device"|"eos"|"eth"|"tiniapp", "publicKey"?, "address"?, "secret"?,
         "message"? | "messageHex"?, "signature"? | "signatureHex"? }
  Out: { "valid": true } or { "valid": false, "code": "<stable_code>" }
  Signatures only: no clock window, no replay record. Exit 0 when every line was valid, 1 otherwise.`;

/** Largest accepted line; longer lines answer invalid_request without being parsed. */
const MAX_LINE = 1 << 20;

/** Verifies one batch line; never throws. */
export function verifyBatchLine(line: string): { valid: true } | { valid: false; code: string } {
  if (line.length > MAX_LINE) return { valid: false, code: 'invalid_request' };
  let input: unknown;
  try {
    input = JSON.parse(line);
  } catch {
    return { valid: false, code: 'invalid_request' };
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { valid: false, code: 'invalid_request' };
  }
  const scheme = findScheme((input as OfflineInput).scheme);
  if (!scheme?.verifyOffline) return { valid: false, code: 'invalid_request' };
  try {
    const result = scheme.verifyOffline(input as OfflineInput);
    return result.ok ? { valid: true } : { valid: false, code: result.code };
  } catch {
    // A verifier bug must not stop the batch; it is reported as the line's failure.
    return { valid: false, code: 'invalid_request' };
  }
}

/** `signet verify --batch`. */
export async function runVerify(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { batch: { type: 'string' }, json: { type: 'boolean', default: true } },
  });
  if (values.batch === undefined) throw new UsageError('--batch FILE|- is required');
  const text = values.batch === '-' ? await io.readStdin() : await readFile(values.batch, 'utf8');
  let valid = 0;
  let total = 0;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    total++;
    const result = verifyBatchLine(line);
    if (result.valid) valid++;
    io.out(JSON.stringify(result));
  }
  io.err(`${valid} of ${total} valid`);
  return valid === total ? 0 : 1;
}
