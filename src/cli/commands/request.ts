import { parseArgs } from 'node:util';
import { createSignetClient } from '../../client/createSignetClient.js';
import { UsageError, type CliIo } from '../io.js';

export const requestUsage = `signet request METHOD URL [--body JSON] [--json]
  Sends a Tiniapp-signed request to Signet's server API. Credentials from the environment:
  SIGNET_APP_ID and SIGNET_APP_SECRET. URL includes any base path, e.g.
  http://127.0.0.1:8080/v1/users/alice/credentials. Exit 1 on a non-2xx answer.`;

export async function runRequest(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      body: { type: 'string' },
      json: { type: 'boolean', default: false },
      'base-path': { type: 'string' },
    },
  });
  const [method, url] = positionals;
  if (!method || !url) throw new UsageError('METHOD and URL are required');
  const appId = io.env['SIGNET_APP_ID'];
  const secret = io.env['SIGNET_APP_SECRET'];
  if (!appId || !secret) throw new UsageError('set SIGNET_APP_ID and SIGNET_APP_SECRET');
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new UsageError(`'${url}' is not a URL`);
  }
  const basePath = (values['base-path'] ?? io.env['SIGNET_BASE_PATH'] ?? '').replace(/\/+$/, '');
  const fullPath = target.pathname + target.search;
  if (basePath && !fullPath.startsWith(basePath + '/'))
    throw new UsageError(`URL path does not start with the base path ${basePath}`);
  const client = createSignetClient({ baseUrl: target.origin + basePath, appId, secret });
  const response = await client.request(method.toUpperCase(), fullPath.slice(basePath.length), values.body);
  io.err(`HTTP ${response.status}`);
  io.out(
    typeof response.body === 'string'
      ? response.body
      : JSON.stringify(response.body, null, values.json ? 0 : 2),
  );
  return response.status >= 200 && response.status < 300 ? 0 : 1;
}
