// signet/browser outside the browser: its conversions and SIWE messages against Signet's own
// parsers and peer libraries, its public-API client against a real server, and its promise to
// stay free of Node modules. The ceremonies themselves run in Chromium (passkeys.test.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { getAddress, Wallet } from 'ethers';
import {
  createSignetBrowserClient,
  createSiweMessage,
  creationOptionsFromJSON,
  decodeBase64Url,
  encodeBase64Url,
  requestOptionsFromJSON,
  SignetRequestError,
  toChecksumAddress,
} from '../../src/browser/index.js';
import { formatSiweMessage, parseSiweMessage, verifySiwe } from '../../src/schemes/eth/index.js';
import { listen, startHarness } from '../support/harness.js';
import { REPO } from './support.js';

const bytes = (b: ArrayBuffer): number[] => [...new Uint8Array(b)];

describe('base64url', () => {
  test('round-trips any bytes and matches Buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        const text = encodeBase64Url(data);
        assert.equal(text, Buffer.from(data).toString('base64url'));
        assert.deepEqual(bytes(decodeBase64Url(text)), [...data]);
        assert.deepEqual(
          bytes(
            decodeBase64Url(Buffer.from(data).toString('base64').replace(/\+/g, '-').replace(/\//g, '_')),
          ),
          [...data],
        );
      }),
    );
  });

  test('encodes a view of part of a buffer, not the whole buffer', () => {
    const whole = new Uint8Array([1, 2, 3, 4, 5]);
    assert.equal(encodeBase64Url(whole.subarray(1, 3)), Buffer.from([2, 3]).toString('base64url'));
  });

  test('refuses what is not base64url with a TypeError naming the field', () => {
    for (const bad of ['a+b', 'a/b', 'abcde', 'ab=c', '====', ' ab']) {
      assert.throws(() => decodeBase64Url(bad, 'options.challenge'), {
        name: 'TypeError',
        message: /options\.challenge/,
      });
    }
  });
});

describe('WebAuthn options JSON to the browser types (the fallback of parse*OptionsFromJSON)', () => {
  test('creation options: challenge, user.id and excludeCredentials ids become bytes; the rest passes through', () => {
    const challenge = Buffer.alloc(32, 7).toString('base64url');
    const options = creationOptionsFromJSON({
      rp: { id: 'localhost', name: 'Acme' },
      user: { id: Buffer.from('alice').toString('base64url'), name: 'alice', displayName: 'Alice' },
      challenge,
      pubKeyCredParams: [{ type: 'public-key', alg: -8 }],
      timeout: 300_000,
      excludeCredentials: [{ type: 'public-key', id: 'AQID', transports: ['internal'] }],
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      attestation: 'none',
      extensions: { credProps: true },
    });
    assert.deepEqual(bytes(options.challenge as ArrayBuffer), [...Buffer.alloc(32, 7)]);
    assert.equal(Buffer.from(options.user.id as ArrayBuffer).toString(), 'alice');
    assert.deepEqual(bytes(options.excludeCredentials![0]!.id as ArrayBuffer), [1, 2, 3]);
    assert.deepEqual(options.excludeCredentials![0]!.transports, ['internal']);
    assert.equal(options.rp.id, 'localhost');
    assert.deepEqual(options.pubKeyCredParams, [{ type: 'public-key', alg: -8 }]);
    assert.deepEqual(options.extensions, { credProps: true });
  });

  test('request options: challenge and allowCredentials ids become bytes', () => {
    const options = requestOptionsFromJSON({
      challenge: 'AAEC',
      rpId: 'localhost',
      allowCredentials: [{ type: 'public-key', id: '_-8' }],
      userVerification: 'preferred',
    });
    assert.deepEqual(bytes(options.challenge as ArrayBuffer), [0, 1, 2]);
    assert.deepEqual(bytes(options.allowCredentials![0]!.id as ArrayBuffer), [0xff, 0xef]);
    assert.equal(options.rpId, 'localhost');
  });

  test('something that is not Signet options is a TypeError', () => {
    assert.throws(() => requestOptionsFromJSON(null as never), TypeError);
    assert.throws(() => creationOptionsFromJSON({ challenge: 42 } as never), TypeError);
  });
});

describe('Sign-In with Ethereum messages', () => {
  test('EIP-55 checksums agree with ethers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (raw) => {
        const lower = `0x${Buffer.from(raw).toString('hex')}`;
        assert.equal(toChecksumAddress(lower), getAddress(lower));
        assert.equal(toChecksumAddress(lower.toUpperCase().replace('0X', '0x')), getAddress(lower));
      }),
    );
    assert.throws(() => toChecksumAddress('0x123'), TypeError);
  });

  test("the page's message is what Signet's parser reads and formatter writes, and it verifies", async () => {
    const wallet = Wallet.createRandom();
    const fields = {
      domain: 'localhost:3000',
      address: wallet.address.toLowerCase(),
      statement: 'Sign in to Acme Notes with Signet.',
      uri: 'http://localhost:3000',
      chainId: 1,
      nonce: 'Ab12Cd34Ef56',
      issuedAt: '2024-05-01T10:00:00.000Z',
      expirationTime: '2024-05-01T10:05:00.000Z',
    };
    const message = createSiweMessage(fields);
    const parsed = parseSiweMessage(message);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
    assert.equal(parsed.value.address, wallet.address);
    assert.equal(formatSiweMessage(parsed.value), message);
    const signature = await wallet.signMessage(message);
    const verified = verifySiwe({
      message,
      signature,
      expected: {
        origins: ['http://localhost:3000'],
        nonce: fields.nonce,
        now: Date.parse('2024-05-01T10:01:00Z'),
        address: wallet.address,
      },
    });
    assert.ok(verified.ok, verified.ok ? '' : verified.code);
  });

  test('a nonce that is not an eth challenge or a multi-line statement is refused', () => {
    const base = {
      domain: 'a.example',
      address: `0x${'11'.repeat(20)}`,
      uri: 'https://a.example',
      chainId: 1,
    };
    assert.throws(() => createSiweMessage({ ...base, nonce: 'short' }), TypeError);
    assert.throws(
      () => createSiweMessage({ ...base, nonce: 'abcdefgh12', statement: 'two\nlines' }),
      TypeError,
    );
    assert.throws(() => createSiweMessage({ ...base, nonce: 'abcdefgh12', chainId: 0 }), TypeError);
  });
});

describe('the public-API client against a real Signet', () => {
  test('device login end to end, and error answers as SignetRequestError with the stable code', async () => {
    const h = await startHarness();
    try {
      const baseUrl = await listen(h);
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const reg = await h.signed('POST', '/v1/users/zoe/credentials', {
        type: 'device',
        publicKey: publicKey.export({ format: 'pem', type: 'spki' }),
      });
      assert.equal(reg.statusCode, 201);
      const signet = createSignetBrowserClient({ baseUrl: `${baseUrl}/`, appId: h.app.id });
      const result = await signet.signInWithDeviceKey({
        userId: 'zoe',
        sign: async (challenge) =>
          nodeSign('sha256', Buffer.from(challenge), { key: privateKey, dsaEncoding: 'ieee-p1363' }),
      });
      assert.equal(result.verified, true);
      assert.equal(result.userId, 'zoe');

      const refused = await signet
        .signInWithDeviceKey({ userId: 'zoe', sign: async () => new Uint8Array(64) })
        .then(
          () => null,
          (e: unknown) => e,
        );
      assert.ok(refused instanceof SignetRequestError);
      assert.equal(refused.code, 'verification_failed');
      assert.equal(refused.status, 401);

      const unknownApp = createSignetBrowserClient({ baseUrl, appId: 'nosuchapp' });
      await assert.rejects(
        unknownApp.challenge('device'),
        (e: unknown) => e instanceof SignetRequestError && e.code === 'not_found',
      );
      const issued = await signet.challenge('webauthn');
      assert.equal(typeof issued.options?.challenge, 'string');
    } finally {
      await h.close();
    }
  });
});

describe('signet/browser stays a browser module', () => {
  test('no Node module, no import but its own files and @noble/hashes', () => {
    const dir = join(REPO, 'src/browser');
    for (const name of readdirSync(dir)) {
      // Code only: the TSDoc examples show how an app imports the package.
      const source = readFileSync(join(dir, name), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      const specifiers = [...source.matchAll(/(?:import|export)[^'";]*?from\s+'([^']+)'/g)].map((m) => m[1]!);
      for (const s of specifiers) {
        assert.ok(s.startsWith('./') || s === '@noble/hashes/sha3.js', `${name} imports ${s}`);
      }
      assert.doesNotMatch(source, /\bprocess\.|\bBuffer\b|require\(/, `${name} uses a Node global`);
    }
  });

  test('package.json exports ./browser', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      exports: Record<string, { types: string; default: string }>;
    };
    assert.deepEqual(pkg.exports['./browser'], {
      types: './dist/browser/index.d.ts',
      default: './dist/browser/index.js',
    });
  });
});
