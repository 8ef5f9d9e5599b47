import { createPrivateKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { subcommandError, UsageError, type CliIo } from '../io.js';

export const deviceUsage = `signet device create-key [--type rsa|p256] [--key-file F] [--json]
signet device sign --challenge=C [--key-file F] [--json]
signet device delete-key [--key-file F] [--json]
  A software stand-in for the phone side of my.bioMetrics: create-key replaces any earlier key
  (as createKey does) and prints the public key (base64 DER SPKI, as Android's getEncoded());
  sign prints the RSA PKCS#1 v1.5 SHA-256 (or P-256 ECDSA, DER) signature of the challenge's
  UTF-8 bytes in base64 (give it as --challenge=C: a base64url challenge may begin with '-').
  The private key stays in the key file (default ./.signet/device-key.pem).`;

const DEFAULT_KEY_FILE = './.signet/device-key.pem';

const DEVICE_COMMANDS = ['create-key', 'sign', 'delete-key'] as const;

export async function runDevice(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (!(DEVICE_COMMANDS as readonly (string | undefined)[]).includes(sub))
    throw subcommandError('device', sub, DEVICE_COMMANDS);
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      type: { type: 'string', default: 'rsa' },
      'key-file': { type: 'string', default: io.env['SIGNET_DEVICE_KEY_FILE'] ?? DEFAULT_KEY_FILE },
      challenge: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const keyFile = values['key-file'];
  const print = (data: Record<string, unknown>, human: string) =>
    io.out(values.json ? JSON.stringify(data) : human);
  switch (sub) {
    case 'create-key': {
      if (values.type !== 'rsa' && values.type !== 'p256') throw new UsageError('--type is rsa or p256');
      const pair =
        values.type === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 })
          : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      mkdirSync(dirname(keyFile), { recursive: true });
      rmSync(keyFile, { force: true });
      writeFileSync(keyFile, pair.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
      const publicKey = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
      print({ publicKey, type: values.type, keyFile }, publicKey);
      return 0;
    }
    case 'sign': {
      if (values.challenge === undefined) throw new UsageError('--challenge is required');
      if (!existsSync(keyFile))
        throw new UsageError(`no key in ${keyFile}; run 'signet device create-key' first`);
      const key = createPrivateKey(readFileSync(keyFile));
      const signature = nodeSign('sha256', Buffer.from(values.challenge, 'utf8'), key).toString('base64');
      print({ signature }, signature);
      return 0;
    }
    case 'delete-key': {
      const existed = existsSync(keyFile);
      rmSync(keyFile, { force: true });
      print({ deleted: existed }, existed ? `deleted ${keyFile}` : 'no key to delete');
      return 0;
    }
    default:
      throw subcommandError('device', sub, DEVICE_COMMANDS);
  }
}
