/**
 * The CLI's output channels (docs/api.md "CLI"): data on stdout (one JSON object with `--json`),
 * human text and progress on stderr.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Reads all of stdin (for `-` arguments). */
  readStdin(): Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
}

/** The process's real streams. */
export function processIo(): CliIo {
  return {
    out: (t) => void process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => void process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    env: process.env,
  };
}

/** A usage error (a flag or argument the verb does not take): printed with exit code 2. */
export class UsageError extends Error {
  readonly code = 'usage_error';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The CLI's own failure codes, for what happens outside Signet's error table (docs/errors.md
 * "CLI"): the server could not be reached, a file could not be read or written.
 */
export type CliErrorCode = 'connection_failed' | 'file_error';

/** An operational failure of a verb (not the user's syntax): printed with exit code 1. */
export class CliError extends Error {
  readonly code: CliErrorCode;
  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
  }
}
