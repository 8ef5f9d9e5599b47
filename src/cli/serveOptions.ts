import { isIP } from 'node:net';
import { DEFAULT_REQUEST_TIMEOUT_MS, type TrustProxy } from '../server/buildServer.js';
import { DEFAULT_ISSUE_LIMIT } from '../core/rateLimit.js';
import { UsageError, type CliIo } from './io.js';

/** One proxy address or CIDR (`10.0.0.0/8`, `fd00::/8`). */
function isAddressOrCidr(text: string): boolean {
  const [address = '', prefix, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * `--trust-proxy` / `SIGNET_TRUST_PROXY`: `false` (the default: X-Forwarded-For is ignored),
 * a hop count (`1`: the one proxy in front), or a comma-separated list of proxy addresses and
 * CIDRs (`127.0.0.1,10.0.0.0/8`). `true` (trust any sender) is refused: anybody could then
 * choose the client IP the rate limits count by.
 *
 * @example
 * parseTrustProxy('10.0.0.0/8, 127.0.0.1') // ['10.0.0.0/8', '127.0.0.1']
 */
export function parseTrustProxy(text: string | undefined): TrustProxy {
  if (text === undefined || text.trim() === '' || text.trim() === 'false') return false;
  const value = text.trim();
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops < 1 || hops > 16) throw new UsageError('--trust-proxy: a hop count is 1-16');
    return hops;
  }
  if (value === 'true')
    throw new UsageError(
      '--trust-proxy true would let any client choose its IP; give a hop count or the proxy addresses/CIDRs',
    );
  const list = value.split(',').map((s) => s.trim());
  const bad = list.find((s) => !isAddressOrCidr(s));
  if (bad !== undefined)
    throw new UsageError(
      `--trust-proxy: '${bad}' is not an IP address or CIDR (give false, a hop count, or addresses/CIDRs separated by commas)`,
    );
  return list;
}

/** `--request-timeout SECONDS` / `SIGNET_REQUEST_TIMEOUT` (default 30), returned in ms. */
export function parseRequestTimeout(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_REQUEST_TIMEOUT_MS;
  const value = text.trim();
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > 3600)
    throw new UsageError('--request-timeout is a number of seconds, 1-3600');
  return Number(value) * 1000;
}

/** `--issue-limit N` / `SIGNET_ISSUE_LIMIT`: challenges and MYKEY sessions per client IP per minute (0 = none). */
export function parseIssueLimit(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_ISSUE_LIMIT;
  const value = text.trim();
  if (!/^\d{1,9}$/.test(value))
    throw new UsageError('--issue-limit is a number of requests per minute (0: no limit)');
  return Number(value);
}

/**
 * `SIGNET_METRICS_TOKEN` (environment only, never a flag `ps` would show): the bearer token of
 * `/metrics`; null when unset (no `/metrics`).
 */
export function readMetricsToken(env: CliIo['env']): string | null {
  const token = env['SIGNET_METRICS_TOKEN'] || null;
  if (token !== null && (token.length < 16 || /[\s\u0000-\u001f\u007f]/.test(token))) {
    throw new UsageError(
      'SIGNET_METRICS_TOKEN must be at least 16 characters without spaces (e.g. `openssl rand -base64 24`)',
    );
  }
  return token;
}
