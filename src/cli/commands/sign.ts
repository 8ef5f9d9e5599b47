import { parseArgs } from 'node:util';
import { signTiniappRequest, TINIAPP_CLIENT_ID } from '../../schemes/tiniapp/index.js';
import { UsageError, type CliIo } from '../io.js';

export const signUsage = `signet sign --client-id ID --secret S [--timestamp MS] (--body JSON | --path PATH) [--json]
  Computes a Tiniapp request signature: prints the payload, the encoded payload, the signature
  and the three X-Tiniapp-* headers. --body is signed as the exact bytes given; --path is the
  request path with its query string as sent, without the server's base path.`;

/** `signet sign`: reproduces the Tiniapp vectors and signs requests by hand. */
export async function runSign(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'client-id': { type: 'string' },
      secret: { type: 'string' },
      timestamp: { type: 'string' },
      body: { type: 'string' },
      path: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const clientId = values['client-id'];
  const secret = values.secret ?? io.env['SIGNET_APP_SECRET'];
  if (!clientId || !secret) throw new UsageError('--client-id and --secret are required');
  if ((values.body === undefined) === (values.path === undefined)) {
    throw new UsageError('give exactly one of --body and --path');
  }
  const timestamp = values.timestamp ?? String(Date.now());
  if (!/^\d{1,16}$/.test(timestamp)) throw new UsageError('--timestamp must be Unix milliseconds');
  if (!TINIAPP_CLIENT_ID.test(clientId))
    throw new UsageError('--client-id is 1-128 characters of A-Z, a-z, 0-9, _ and -');
  const signed = signTiniappRequest({
    clientId,
    secret,
    timestamp: Number(timestamp),
    ...(values.body !== undefined ? { body: values.body } : { path: values.path as string }),
  });
  if (values.json) {
    io.out(JSON.stringify(signed));
  } else {
    io.out(
      [
        `payload:          ${signed.payload}`,
        `encoded_payload:  ${signed.encodedPayload}`,
        `signature:        ${signed.signature}`,
        ...Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`),
      ].join('\n'),
    );
  }
  return 0;
}
