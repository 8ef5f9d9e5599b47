import type { Verifier } from '../../core/verifier.js';

/** What one batch of lines gave: the output text (one JSON object a line, no final newline) and counts. */
export interface VerifiedLines {
  text: string;
  valid: number;
  total: number;
}

const INVALID_LINE = '{"valid":false,"code":"invalid_request"}';
const VALID_LINE = '{"valid":true}';

/**
 * Verifies a batch of lines as `verify --batch` prints them: blank lines skipped, a trailing
 * `\r` ignored, `null` (a line over the size limit) answered `invalid_request`.
 */
export function verifyLines(verifier: Verifier, lines: readonly (string | null)[]): VerifiedLines {
  const out: string[] = [];
  let valid = 0;
  for (const raw of lines) {
    if (raw === null) {
      out.push(INVALID_LINE);
      continue;
    }
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const result = verifier.verifyLine(line);
    if (result.valid) {
      valid++;
      out.push(VALID_LINE);
    } else {
      out.push(JSON.stringify(result));
    }
  }
  return { text: out.join('\n'), valid, total: out.length };
}
