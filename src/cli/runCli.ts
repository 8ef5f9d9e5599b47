import { isSignetError } from '../errors/SignetError.js';
import { readFileSync } from 'node:fs';
import { CliError, closestWord, UsageError, type CliIo } from './io.js';
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
    '       signet --version',
    '',
    ...Object.values(COMMANDS).map((c) => c.usage + '\n'),
  ].join('\n');
}

/** The package's version, read from the package.json beside `src/` (or `dist/`). */
export function readVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const version = typeof pkg === 'object' && pkg !== null ? (pkg as { version?: unknown }).version : null;
  return typeof version === 'string' ? version : 'unknown';
}

/** An error as the CLI reports it: a stable code, a message for people, and an exit code. */
interface Report {
  code: string;
  message: string;
  exit: number;
  /** Show the verb's usage under the message (usage errors in human mode). */
  showUsage: boolean;
}

/** What a failed operating-system call means, in words (never the raw `ENOENT: ...` text). */
const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EEXIST: 'already exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'file name too long',
};

function systemError(e: unknown): { code: string; path: string | undefined } | null {
  if (!(e instanceof Error) || !('code' in e) || typeof e.code !== 'string') return null;
  if (!(e.code in SYSTEM_ERRORS)) return null;
  return { code: e.code, path: 'path' in e && typeof e.path === 'string' ? e.path : undefined };
}

/** Sorts a thrown value into the CLI's channels; the catch-all never carries a message text. */
function toReport(e: unknown, env: CliIo['env'], usageText: string, verb: string): Report {
  if (e instanceof UsageError) return { code: e.code, message: e.message, exit: 2, showUsage: true };
  if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))
    return {
      code: 'usage_error',
      message: describeParseArgsError(e, usageText, verb),
      exit: 2,
      showUsage: true,
    };
  if (isSignetError(e)) return { code: e.code, message: e.message, exit: 1, showUsage: false };
  if (e instanceof CliError) return { code: e.code, message: e.message, exit: 1, showUsage: false };
  const sys = systemError(e);
  if (sys) {
    const what = SYSTEM_ERRORS[sys.code] as string;
    return {
      code: 'file_error',
      message: sys.path ? `${sys.path}: ${what}` : what,
      exit: 1,
      showUsage: false,
    };
  }
  // A bug, not a user's mistake: the name only (a library message may carry a URL with a
  // password); SIGNET_DEBUG=1 prints the stack for a bug report.
  const name = e instanceof Error ? e.name : 'unknown';
  const stack = env['SIGNET_DEBUG'] && e instanceof Error ? `\n${e.stack ?? ''}` : '';
  return {
    code: 'internal_error',
    message: `unexpected error (${name}); please report it, with SIGNET_DEBUG=1 for the stack${stack}`,
    exit: 1,
    showUsage: false,
  };
}

/**
 * node:util's parseArgs messages, for people: an unknown option names the nearest the verb has
 * (`--orgin` → `--origin`, from its usage text) instead of parseArgs' advice to put it after `--`.
 */
function describeParseArgsError(e: TypeError, usageText: string, verb: string): string {
  // `npm start --port 9000`: npm keeps `--port` for itself and passes `9000` on.
  const stray = /^Unexpected argument '([^']*)'/.exec(e.message);
  if (stray && verb === 'serve')
    return `unexpected argument '${stray[1]}': through npm, flags go after --, as in npm start -- --port 9000 (or set SIGNET_PORT=9000)`;
  if (stray) return `unexpected argument '${stray[1]}'`;
  const unknown = /^Unknown option '(-{1,2}[^']*)'/.exec(e.message);
  if (!unknown) return e.message;
  const option = unknown[1] as string;
  const flags = new Set(usageText.match(/--[a-z][a-z0-9-]*/g) ?? []);
  const near = closestWord(option.split('=')[0] as string, flags);
  return `Unknown option '${option}'${near ? `; did you mean ${near}?` : ''}`;
}

/** True when `--json` comes before any `--` terminator. */
function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/**
 * Runs one CLI invocation and returns its exit code: 0 success, 1 a verification, request or
 * operational failure, 2 a usage error. Never prints a stack trace (unless SIGNET_DEBUG is set for
 * a bug); secrets given as flags are never echoed. With `--json`, an error is one object on
 * stdout, `{ "error": { "code", "message" } }`, and the same words go to stderr for people.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [verb, ...rest] = argv;
  const json = wantsJson(argv);
  const fail = (report: Report, usageText: string, prefix: string): number => {
    if (json) io.out(JSON.stringify({ error: { code: report.code, message: report.message } }));
    // Usage errors read as a sentence; other errors lead with their stable code, as scripts grep.
    const code = report.code === 'usage_error' ? '' : `${report.code}: `;
    io.err(`${prefix}: ${code}${report.message}${report.showUsage && !json ? `\n\n${usageText}` : ''}`);
    return report.exit;
  };
  if (verb === '--version' || verb === '-V' || verb === 'version') {
    io.out(json ? JSON.stringify({ version: readVersion() }) : readVersion());
    return 0;
  }
  if (verb === undefined || verb === 'help' || verb === '--help' || verb === '-h') {
    io.err(usage());
    return verb === undefined ? 2 : 0;
  }
  const command = COMMANDS[verb];
  if (!command) {
    const near = closestWord(verb, Object.keys(COMMANDS));
    return fail(
      {
        code: 'usage_error',
        message: `unknown command '${verb}'${near ? `; did you mean '${near}'?` : ''}`,
        exit: 2,
        showUsage: true,
      },
      usage(),
      'signet',
    );
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.err(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    return fail(toReport(e, io.env, command.usage, verb), command.usage, `signet ${verb}`);
  }
}
