import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createSignetClient } from '../../client/createSignetClient.js';
import { CliError, UsageError, type CliIo } from '../io.js';

export const requestUsage = `signet request METHOD URL [--body JSON] [--base-path /prefix] [--timeout SECONDS] [--json]
               [--scheme tiniapp|http-signature] [--key FILE]
  Sends a signed request to Signet's server API. METHOD is GET, POST, PUT, PATCH or DELETE.
  Credentials from the environment: SIGNET_APP_ID and SIGNET_APP_SECRET. URL includes any base
  path, e.g. http://127.0.0.1:8080/v1/users/alice/credentials. Exit 1 on a non-2xx answer or when
  the server cannot be reached (code connection_failed; --timeout, default 30).
  --scheme tiniapp (default) signs with X-Tiniapp-* headers; --scheme http-signature signs with
  RFC 9421 (Signature-Input / Signature): alg ed25519 with the private key (PKCS#8 PEM) in --key FILE
  or SIGNET_HTTP_SIGNATURE_KEY (a PEM or a file path), else hmac-sha256 with SIGNET_APP_SECRET.`;

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** Why a fetch failed, in words: the undici cause's code when there is one. */
function describeFetchFailure(e: unknown, timeoutSec: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))
    return `no answer within ${timeoutSec} s`;
  const cause =
    e instanceof Error ? (e.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused (is `signet serve` running there?)',
    ENOTFOUND: 'unknown host',
    EAI_AGAIN: 'the host name could not be resolved',
    ECONNRESET: 'the connection was reset',
    EHOSTUNREACH: 'host unreachable',
    ETIMEDOUT: 'the connection timed out',
  };
  if (code && known[code]) return known[code] as string;
  if (code) return code;
  return typeof cause?.message === 'string' ? cause.message : 'the request failed';
}

/** An Ed25519 private key given as a PEM or as the path of a file holding one. */
function readPrivateKey(value: string): KeyObject {
  let pem = value;
  if (!value.trimStart().startsWith('-----BEGIN')) {
    try {
      pem = readFileSync(value, 'utf8');
    } catch {
      throw new UsageError(`--key: '${value.slice(0, 200)}' is neither a PEM nor a readable file`);
    }
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new UsageError('--key must be a private key (PKCS#8 PEM)');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new UsageError('--key must be an Ed25519 private key');
  return key;
}

/**
 * What to check when the server API refused the signature (401): the answer's `error.reason`
 * (docs/errors.md) turned into the newcomer's likely slip. Null when there is nothing to add.
 */
function refusalHint(
  body: unknown,
  call: { appId: string; scheme: string; target: URL; privateKey: KeyObject | undefined },
): string | null {
  const error =
    typeof body === 'object' && body !== null && 'error' in body ? (body as { error: unknown }).error : null;
  if (typeof error !== 'object' || error === null) return null;
  const reason = (error as { reason?: unknown }).reason;
  switch (reason) {
    case undefined:
      return `is SIGNET_APP_ID (${call.appId.slice(0, 64)}) an app of the database this server uses? \`npx signet app list\` (with the server's --db) shows them`;
    case 'signature_invalid':
      return call.privateKey !== undefined
        ? 'the key in --key (or SIGNET_HTTP_SIGNATURE_KEY) is not the one registered with `signet app set APPID --http-signature-key`'
        : `SIGNET_APP_SECRET is not a current secret of app ${call.appId.slice(0, 64)}: use the one \`signet app create\` (or \`app rotate-secret\`) printed`;
    case 'authority_mismatch':
      return `the URL names ${call.target.host}, not the host of the server's issuer: use the URL \`signet serve\` printed (\`signet: issuer ...\`), or start it with --http-signature-authority ${call.target.host}`;
    case 'timestamp_skew':
      return "this machine's clock and the server's differ by more than the app's skew (`app set --skew`)";
    default:
      return null;
  }
}

export async function runRequest(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      body: { type: 'string' },
      json: { type: 'boolean', default: false },
      'base-path': { type: 'string' },
      timeout: { type: 'string' },
      scheme: { type: 'string' },
      key: { type: 'string' },
    },
  });
  const [methodText, url, ...extra] = positionals;
  if (!methodText || !url) throw new UsageError('METHOD and URL are required');
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  const method = methodText.toUpperCase();
  if (!METHODS.has(method))
    throw new UsageError(`unknown method '${methodText}': use GET, POST, PUT, PATCH or DELETE`);
  const timeoutText = values.timeout ?? '30';
  if (!/^\d{1,4}$/.test(timeoutText) || Number(timeoutText) < 1)
    throw new UsageError('--timeout is a whole number of seconds, 1-9999');
  const timeoutSec = Number(timeoutText);
  const scheme = values.scheme ?? 'tiniapp';
  if (scheme !== 'tiniapp' && scheme !== 'http-signature')
    throw new UsageError('--scheme is tiniapp or http-signature');
  const appId = io.env['SIGNET_APP_ID'];
  const secret = io.env['SIGNET_APP_SECRET'];
  const keyArg = values.key ?? io.env['SIGNET_HTTP_SIGNATURE_KEY'];
  if (scheme === 'tiniapp' && values.key !== undefined)
    throw new UsageError('--key needs --scheme http-signature');
  const privateKey = scheme === 'http-signature' && keyArg ? readPrivateKey(keyArg) : undefined;
  if (!appId || (!secret && privateKey === undefined)) {
    const unset = [
      !appId ? 'SIGNET_APP_ID' : null,
      !secret && privateKey === undefined ? 'SIGNET_APP_SECRET' : null,
    ].filter(Boolean);
    throw new UsageError(
      `${unset.join(' and ')} ${unset.length > 1 ? 'are' : 'is'} not set: ` +
        (scheme === 'tiniapp'
          ? 'export SIGNET_APP_ID and SIGNET_APP_SECRET, the appId and secret `signet app create` printed'
          : 'export SIGNET_APP_ID, and SIGNET_APP_SECRET (hmac-sha256) or --key / SIGNET_HTTP_SIGNATURE_KEY (ed25519)'),
    );
  }
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new UsageError(`'${url}' is not a URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new UsageError(`'${target.protocol}' URLs are not supported: use http:// or https://`);
  const basePath = (values['base-path'] ?? io.env['SIGNET_BASE_PATH'] ?? '').replace(/\/+$/, '');
  const fullPath = target.pathname + target.search;
  if (basePath && !fullPath.startsWith(basePath + '/'))
    throw new UsageError(`URL path does not start with the base path ${basePath}`);
  const client = createSignetClient({
    baseUrl: target.origin + basePath,
    appId,
    scheme,
    ...(privateKey !== undefined ? { privateKey } : { secret: secret as string }),
    fetch: (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutSec * 1000) }),
  });
  let response: Awaited<ReturnType<typeof client.request>>;
  try {
    response = await client.request(method, fullPath.slice(basePath.length), values.body);
  } catch (e) {
    throw new CliError(
      'connection_failed',
      `cannot reach ${target.origin}: ${describeFetchFailure(e, timeoutSec)}`,
      { cause: e },
    );
  }
  io.err(`HTTP ${response.status}`);
  const hint =
    response.status === 401 ? refusalHint(response.body, { appId, scheme, target, privateKey }) : null;
  if (hint !== null) io.err(`signet request: hint: ${hint}`);
  io.out(
    typeof response.body === 'string'
      ? response.body
      : JSON.stringify(response.body, null, values.json ? 0 : 2),
  );
  return response.status >= 200 && response.status < 300 ? 0 : 1;
}
