import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  signTiniappRequest,
  tiniappScheme,
  verifyTiniappOffline,
  verifyTiniappRequest,
} from '../../src/schemes/tiniapp/index.js';

// The seed's two published vectors (test/vectors/tiniapp/seed.json, see SOURCES.md there), byte
// for byte, and the two readings of the seed that they rule out.

interface SeedVector {
  name: string;
  method: 'GET' | 'POST';
  body?: string;
  url?: string;
  basePath?: string;
  path?: string;
  payload: string;
  encodedPayload: string;
  signature: string;
}

const seed = JSON.parse(readFileSync(new URL('../vectors/tiniapp/seed.json', import.meta.url), 'utf8')) as {
  clientId: string;
  secret: string;
  timestamp: number;
  vectors: SeedVector[];
};

const [post, get] = seed.vectors as [SeedVector, SeedVector];

const signInput = (v: SeedVector) => ({
  clientId: seed.clientId,
  secret: seed.secret,
  timestamp: seed.timestamp,
  ...(v.body !== undefined ? { body: v.body } : { path: v.path as string }),
});

test('the seed file holds the two vectors the contract names', () => {
  assert.equal(seed.vectors.length, 2);
  assert.equal(post.signature, '8ebd092b9df2cf90e8ccbcab2ba87ee14f2abb25eb8f18b4d7286d42adcd45c2');
  assert.equal(get.signature, 'e1e0d63f7f8296dd31b2c082e611351a6c41a3bc0309a9299832f70b693722c8');
});

for (const v of seed.vectors) {
  test(`seed vector holds byte for byte: ${v.name}`, () => {
    const signed = signTiniappRequest(signInput(v));
    assert.equal(signed.payload, v.payload);
    assert.equal(signed.encodedPayload, v.encodedPayload);
    assert.equal(signed.signature, v.signature);
    assert.deepEqual(signed.headers, {
      'x-tiniapp-client-id': seed.clientId,
      'x-tiniapp-timestamp': String(seed.timestamp),
      'x-tiniapp-signature': v.signature,
    });
    // The same with the body handed over as bytes.
    if (v.body !== undefined) {
      const bytes = signTiniappRequest({ ...signInput(v), body: new TextEncoder().encode(v.body) });
      assert.equal(bytes.signature, v.signature);
      assert.equal(bytes.payload, v.payload);
    }
  });

  test(`seed vector verifies as a request and offline: ${v.name}`, async () => {
    const headers = {
      'x-tiniapp-client-id': seed.clientId,
      'x-tiniapp-timestamp': String(seed.timestamp),
      'x-tiniapp-signature': v.signature,
    };
    const target =
      v.body !== undefined
        ? { body: new TextEncoder().encode(v.body) }
        : {
            path: new URL(v.url as string).pathname + new URL(v.url as string).search,
            basePath: v.basePath as string,
          };
    const result = await verifyTiniappRequest({
      headers,
      ...target,
      secrets: [seed.secret],
      now: seed.timestamp + 1000,
      skewMs: 300_000,
    });
    assert.deepEqual(result, { ok: true, clientId: seed.clientId, timestamp: seed.timestamp });
    assert.deepEqual(
      verifyTiniappOffline({
        scheme: 'tiniapp',
        secret: seed.secret,
        message: v.payload,
        signature: v.signature,
      }),
      { ok: true },
    );
    // Through the scheme's registry row, as `signet verify --batch` reaches it.
    assert.deepEqual(
      tiniappScheme.verifyOffline?.({
        scheme: 'tiniapp',
        secret: seed.secret,
        message: v.payload,
        signature: v.signature,
      }),
      { ok: true },
    );
  });

  test(`the pseudocode reading (HMAC over the un-encoded payload) does not match: ${v.name}`, () => {
    const pseudocode = createHmac('sha256', seed.secret).update(v.payload).digest('hex');
    assert.notEqual(pseudocode, v.signature);
    const offline = verifyTiniappOffline({
      scheme: 'tiniapp',
      secret: seed.secret,
      message: v.payload,
      signature: pseudocode,
    });
    assert.deepEqual(offline, { ok: false, code: 'signature_invalid' });
    // And the encoded payload itself is not what `message` means (it is not `timestamp.clientId.…`).
    const encoded = verifyTiniappOffline({
      scheme: 'tiniapp',
      secret: seed.secret,
      message: v.encodedPayload,
      signature: v.signature,
    });
    assert.equal(encoded.ok, false);
    assert.equal(encoded.ok ? '' : encoded.code, 'invalid_request');
  });
}

test('a "+"-encoded query (HTML form encoding) is another path and does not match', async () => {
  const plus = (get.path as string).replace('%20', '+');
  assert.equal(plus, '/order?location=H%C3%A0+N%E1%BB%99i&order_id=88062110977884170');
  const signed = signTiniappRequest({ ...signInput(get), path: plus });
  assert.notEqual(signed.signature, get.signature);
  const result = await verifyTiniappRequest({
    headers: {
      'x-tiniapp-client-id': seed.clientId,
      'x-tiniapp-timestamp': String(seed.timestamp),
      'x-tiniapp-signature': get.signature,
    },
    path: `/tiniapp-open-api${plus}`,
    basePath: '/tiniapp-open-api',
    secrets: [seed.secret],
    now: seed.timestamp,
    skewMs: 300_000,
  });
  assert.deepEqual(result, { ok: false, code: 'signature_invalid' });
});

test('the POST vector signs the bytes as sent: a re-serialised body does not match', () => {
  const spaced = signTiniappRequest({ ...signInput(post), body: '{ "id": 123 }' });
  assert.notEqual(spaced.signature, post.signature);
  const trailingNewline = signTiniappRequest({ ...signInput(post), body: '{"id":123}\n' });
  assert.notEqual(trailingNewline.signature, post.signature);
});
