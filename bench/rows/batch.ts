import {
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  sign,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto';
import { Bytes, PrivateKey, PublicKey, Signature } from '@wharfkit/antelope';
import { Wallet, verifyMessage } from 'ethers';
import { createVerifier } from '../../src/core/verifier.js';
import { tiniappMac } from '../../src/schemes/tiniapp/index.js';
import { CHALLENGE, TINIAPP_VECTOR, WALLET_MESSAGE } from '../fixtures.js';
import type { MicroRow } from './types.js';

/**
 * `verify --batch` lines, verified in process through the library's `createVerifier()` (what the
 * CLI runs per line: JSON.parse, strict field checks, the key from its LRU cache, the signature).
 * Each comparator gets the same JSON lines and does the least a script would: JSON.parse, the key
 * from a Map keyed by its text (parsed on first sight), decode, verify. Lines cycle through a few
 * keys (`KEYS`), as a batch from a handful of devices or wallets does.
 */

const KEYS = 4;
const LINES = 64;

type Line = Record<string, string>;

/** Cycles through `lines` call by call. */
function cycle<T>(lines: readonly T[]): () => T {
  let i = 0;
  return () => lines[i++ % lines.length] as T;
}

function cached<K>(parse: (text: string) => K): (text: string) => K {
  const map = new Map<string, K>();
  return (text) => {
    let key = map.get(text);
    if (key === undefined) {
      key = parse(text);
      map.set(text, key);
    }
    return key;
  };
}

/** RSA-2048 device lines (PEM keys, base64 signatures). Shared with the `--jobs` row. */
export function rsaBatchLines(count = LINES, keys = KEYS): string[] {
  const pairs = Array.from({ length: keys }, () => generateKeyPairSync('rsa', { modulusLength: 2048 }));
  return Array.from({ length: count }, (_, i) => {
    const pair = pairs[i % keys] as (typeof pairs)[number];
    const message = `${CHALLENGE}-${i}`;
    return JSON.stringify({
      scheme: 'device',
      publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      message,
      signature: sign('sha256', Buffer.from(message), pair.privateKey).toString('base64'),
    });
  });
}

const signetEntry = (lines: string[]) => {
  const verifier = createVerifier();
  const next = cycle(lines);
  return {
    label: 'Signet createVerifier()',
    run: () => verifier.verifyLine(next()),
    check: (r: unknown) => (r as { valid: boolean }).valid === true,
  };
};

export function rsaBatchRow(): MicroRow {
  const lines = rsaBatchLines();
  const key = cached((pem) => createPublicKey(pem));
  const next = cycle(lines);
  return {
    id: 'batch-rsa',
    title: 'verify --batch RSA-2048 lines',
    work: 'JSON line -> key from a cache keyed by its PEM -> base64 signature -> RSA PKCS#1 v1.5 SHA-256 verify',
    signet: signetEntry(lines),
    reference: {
      label: 'JSON.parse + crypto.verify, cached KeyObject',
      run: () => {
        const l = JSON.parse(next()) as Line;
        return verify(
          'sha256',
          Buffer.from(l['message'] as string),
          key(l['publicKey'] as string) as KeyObject,
          Buffer.from(l['signature'] as string, 'base64'),
        );
      },
      check: (r) => r === true,
    },
    target: { against: 'reference', min: 0.8 },
  };
}

export function eosBatchRow(): MicroRow {
  const privs = Array.from({ length: KEYS }, () => PrivateKey.generate('K1'));
  const lines = Array.from({ length: LINES }, (_, i) => {
    const priv = privs[i % KEYS] as PrivateKey;
    const message = `${WALLET_MESSAGE} ${i}`;
    return JSON.stringify({
      scheme: 'eos',
      publicKey: priv.toPublic().toString(),
      message,
      signature: priv.signMessage(Bytes.from(message, 'utf8')).toString(),
    });
  });
  const key = cached((text) => PublicKey.from(text));
  const next = cycle(lines);
  return {
    id: 'batch-eos',
    title: 'verify --batch EOS K1 lines',
    work: 'JSON line -> cached public key -> parse SIG_K1_ -> SHA-256(message) -> secp256k1 verify',
    signet: signetEntry(lines),
    peer: {
      label: '@wharfkit/antelope, cached PublicKey',
      run: () => {
        const l = JSON.parse(next()) as Line;
        return Signature.from(l['signature'] as string).verifyMessage(
          Bytes.from(l['message'] as string, 'utf8'),
          key(l['publicKey'] as string),
        );
      },
      check: (r) => r === true,
    },
    target: { against: 'peer', min: 20 },
  };
}

export function ethBatchRow(): MicroRow {
  const wallets = Array.from({ length: KEYS }, () => Wallet.createRandom());
  const lines = Array.from({ length: LINES }, (_, i) => {
    const wallet = wallets[i % KEYS] as (typeof wallets)[number];
    const message = `${WALLET_MESSAGE} ${i}`;
    return JSON.stringify({
      scheme: 'eth',
      address: wallet.address,
      message,
      signature: wallet.signMessageSync(message),
    });
  });
  const next = cycle(lines);
  return {
    id: 'batch-eth',
    title: 'verify --batch Ethereum EIP-191 lines',
    work: 'JSON line -> hex signature -> keccak256 of the prefixed message -> recover -> address compare',
    signet: signetEntry(lines),
    peer: {
      label: 'ethers verifyMessage',
      run: () => {
        const l = JSON.parse(next()) as Line;
        return verifyMessage(l['message'] as string, l['signature'] as string) === l['address'];
      },
      check: (r) => r === true,
    },
    target: { against: 'peer', min: 20 },
  };
}

export function tiniappBatchRow(): MicroRow {
  const v = TINIAPP_VECTOR;
  const lines = Array.from({ length: LINES }, (_, i) => {
    const message = `${v.timestamp}.${v.clientId}.{"id":${i},"items":[1,2,3]}`;
    return JSON.stringify({
      scheme: 'tiniapp',
      secret: v.secret,
      message,
      signature: tiniappMac(Buffer.from(message), v.secret).signature,
    });
  });
  const next = cycle(lines);
  return {
    id: 'batch-tiniapp',
    title: 'verify --batch Tiniapp lines',
    work: 'JSON line -> base64url(payload) -> HMAC-SHA256 hex -> constant-time compare',
    signet: signetEntry(lines),
    reference: {
      label: 'JSON.parse + createHmac + timingSafeEqual',
      run: () => {
        const l = JSON.parse(next()) as Line;
        const encoded = Buffer.from(l['message'] as string).toString('base64url');
        const mac = Buffer.from(
          createHmac('sha256', l['secret'] as string)
            .update(encoded)
            .digest('hex'),
        );
        const got = Buffer.from(l['signature'] as string);
        return mac.length === got.length && timingSafeEqual(mac, got);
      },
      check: (r) => r === true,
    },
    target: { against: 'reference', min: 0.8 },
  };
}
