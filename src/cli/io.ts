/**
 * The CLI's output channels (CONTRACT.md "CLI"): data on stdout (one JSON object with `--json`),
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

/** A usage error: printed to stderr with exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
