import { CliError } from './io.js';

/**
 * What a failed `listen()` means for the person who ran `signet serve`, and what to do about it:
 * the port is taken (a second `npm start`), the host is not one of this machine's addresses, the
 * host name does not resolve, or the port needs privileges. Null for anything else (a bug).
 *
 * @example
 * try { await server.listen({ port, host }); } catch (e) { throw describeListenFailure(e, host, port) ?? e; }
 */
export function describeListenFailure(e: unknown, host: string, port: number): CliError | null {
  const code =
    e instanceof Error && 'code' in e && typeof e.code === 'string' ? (e.code as string) : undefined;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const why: Record<string, string> = {
    EADDRINUSE: `the port is in use: another program (another \`signet serve\` or \`npm start\`?) listens on ${where}; stop it, or choose another port with --port (or SIGNET_PORT)`,
    EADDRNOTAVAIL: `${host} is not an address of this machine; use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every interface)`,
    ENOTFOUND: `the host name ${host} does not resolve; give --host (or SIGNET_HOST) as an address such as 127.0.0.1 or 0.0.0.0`,
    EAI_AGAIN: `the host name ${host} could not be resolved; give --host (or SIGNET_HOST) as an address such as 127.0.0.1 or 0.0.0.0`,
    EACCES: `permission denied (ports below 1024 need privileges); choose a port above 1023 with --port (or SIGNET_PORT) and put a proxy in front`,
  };
  if (code === undefined || why[code] === undefined) return null;
  return new CliError('listen_failed', `cannot listen on ${where}: ${why[code]}`, { cause: e });
}
