// The `signet` CLI run in process (runCli with a recording CliIo), for tests of its verbs.
import { runCli } from '../../src/cli/runCli.js';
import { captureIo } from './harness.js';

/** What one CLI run gave: its exit code and everything it printed. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one `signet` command in process with the given environment and stdin, and returns its exit
 * code and what it printed on stdout and stderr.
 *
 * @example
 * const r = await runCliCaptured(['app', 'list', '--db', db, '--json'], { SIGNET_MASTER_KEY: key });
 * assert.equal(r.code, 0, r.stderr);
 */
export async function runCliCaptured(
  args: string[],
  env: Record<string, string | undefined> = {},
  stdin = '',
): Promise<CliRun> {
  const io = captureIo(env, stdin);
  const code = await runCli(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}
