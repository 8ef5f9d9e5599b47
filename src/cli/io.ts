/**
 * The CLI's output channels (docs/api.md "CLI"): data on stdout (one JSON object with `--json`),
 * human text and progress on stderr.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Reads all of stdin (for `-` arguments). */
  readStdin(): Promise<string>;
  /** Stdin as a stream of chunks, for verbs that stream (`verify --batch -`); else `readStdin` is used. */
  stdin?(): AsyncIterable<Uint8Array | string>;
  /** Writes data to stdout and resolves once the stream can take more (backpressure); else `out`. */
  outFlow?(text: string): Promise<void>;
  env: Readonly<Record<string, string | undefined>>;
}

/** Exit status when the reader of stdout went away: 128 + SIGPIPE, what a Unix tool reports. */
const EXIT_BROKEN_PIPE = 141;

/** The process's real streams. */
export function processIo(): CliIo {
  // `signet verify --batch big.jsonl | head`: once the reader has gone, stop quietly (as Unix
  // tools do on SIGPIPE, which Node ignores) instead of dying of an unhandled EPIPE with a stack.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
    throw e;
  });
  return {
    out: (t) => void process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => void process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    stdin: () => process.stdin,
    outFlow: (t) =>
      new Promise<void>((resolve, reject) => {
        const more = process.stdout.write(t.endsWith('\n') ? t : `${t}\n`, (e) => {
          if (e) reject(e);
        });
        if (more) resolve();
        else process.stdout.once('drain', resolve);
      }),
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
 * "CLI errors", which lists exactly these): the server could not be reached, a file could not be
 * read or written, `serve` could not listen, the master key does not open the database's secrets,
 * the Node.js is too old (checked by main.ts before the CLI loads).
 */
export const CLI_ERROR_CODES = [
  'connection_failed',
  'file_error',
  'listen_failed',
  'master_key_mismatch',
  'unsupported_node',
] as const;
export type CliErrorCode = (typeof CLI_ERROR_CODES)[number];

/** An operational failure of a verb (not the user's syntax): printed with exit code 1. */
export class CliError extends Error {
  readonly code: CliErrorCode;
  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
  }
}

/** Edit distance with adjacent transpositions (`prot` → `port` is one), for "did you mean". */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min(
        (up[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The candidate a mistyped word most likely meant (`--orgin` → `--origin`, `crate` → `create`):
 * the nearest within two edits (one for words of four characters or fewer), or null.
 *
 * @example
 * closestWord('--prot', ['--port', '--host']); // '--port'
 */
export function closestWord(word: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= (word.replace(/^-+/, '').length <= 4 ? 1 : 2) ? best : null;
}

/**
 * The usage error for a verb's missing or unknown command (`signet keys`, `signet app crate`),
 * naming the commands there are.
 */
export function subcommandError(
  verb: string,
  sub: string | undefined,
  commands: readonly string[],
): UsageError {
  const list = commands.join(', ');
  if (sub === undefined || sub === '') return new UsageError(`missing command: ${list}`);
  if (sub.startsWith('-')) return new UsageError(`missing command before '${sub}': ${list}`);
  const near = closestWord(sub, commands);
  return new UsageError(
    `unknown ${verb} command '${sub}'${near ? `; did you mean '${near}'?` : ''} (commands: ${list})`,
  );
}
