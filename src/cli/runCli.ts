import { isSignetError } from '../errors/SignetError.js';
import { UsageError, type CliIo } from './io.js';
import { runSign, signUsage } from './commands/sign.js';
import { runVerify, verifyUsage } from './commands/verify.js';
import { runServe, serveUsage } from './commands/serve.js';
import { runApp, appUsage } from './commands/app.js';
import { runKeys, keysUsage } from './commands/keys.js';
import { runDevice, deviceUsage } from './commands/device.js';
import { runRequest, requestUsage } from './commands/request.js';
import { runAudit, auditUsage } from './commands/audit.js';

interface Command {
  usage: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

/** The verb table: `signet <verb> ...`. */
const COMMANDS: Record<string, Command> = {
  serve: { usage: serveUsage, run: runServe },
  app: { usage: appUsage, run: runApp },
  keys: { usage: keysUsage, run: runKeys },
  audit: { usage: auditUsage, run: runAudit },
  request: { usage: requestUsage, run: runRequest },
  device: { usage: deviceUsage, run: runDevice },
  sign: { usage: signUsage, run: runSign },
  verify: { usage: verifyUsage, run: runVerify },
};

function usage(): string {
  return [
    'Usage: signet <command> [options]',
    '',
    ...Object.values(COMMANDS).map((c) => c.usage + '\n'),
  ].join('\n');
}

/**
 * Runs one CLI invocation and returns its exit code: 0 success, 1 a verification or request
 * failure, 2 a usage error. Never prints a stack trace; secrets given as flags are never echoed.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === 'help' || verb === '--help' || verb === '-h') {
    io.err(usage());
    return verb === undefined ? 2 : 0;
  }
  const command = COMMANDS[verb];
  if (!command) {
    io.err(`signet: unknown command '${verb}'\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.err(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (
      e instanceof UsageError ||
      (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      io.err(`signet ${verb}: ${e.message}\n\n${command.usage}`);
      return 2;
    }
    if (isSignetError(e)) {
      io.err(`signet ${verb}: ${e.code}: ${e.message}`);
      return 1;
    }
    if (e instanceof Error && 'code' in e && (e.code === 'ENOENT' || e.code === 'EACCES')) {
      io.err(`signet ${verb}: ${e.message}`);
      return 1;
    }
    io.err(`signet ${verb}: unexpected error: ${e instanceof Error ? e.name : 'unknown'}`);
    return 1;
  }
}
