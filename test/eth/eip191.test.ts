import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { secp256k1 as noble } from '@noble/curves/secp256k1.js';
import { decodeHex, encodeHex, utf8Bytes } from '../../src/encoding/index.js';
import {
  addressFromPublicKey,
  hashPersonalMessage,
  parseEthAddress,
  recoverPersonalSignAddress,
  toChecksumAddress,
  verifyPersonalSign,
} from '../../src/schemes/eth/index.js';
import { nativeSecp256k1, nobleSecp256k1 } from '../../src/crypto/index.js';

interface Vector {
  name: string;
  message?: string;
  messageHex: string;
  messageByteLength: number;
  hash: string;
  signature?: string;
  address?: string;
  privateKey?: string;
}

const vectors = JSON.parse(
  readFileSync(new URL('../vectors/eth/eip191.json', import.meta.url), 'utf8'),
) as Vector[];

test('every EIP-191 hash is reproduced (text messages hashed as UTF-8, raw ones as bytes)', () => {
  assert.equal(vectors.length, 13);
  for (const v of vectors) {
    const bytes =
      v.message !== undefined ? utf8Bytes(v.message) : decodeHex(v.messageHex, { allowPrefix: true })!;
    assert.equal(`0x${encodeHex(bytes)}`, v.messageHex, v.name);
    assert.equal(bytes.length, v.messageByteLength, v.name);
    assert.equal(`0x${encodeHex(hashPersonalMessage(bytes))}`, v.hash, v.name);
  }
});

test('every signature recovers to its address, and verifyPersonalSign accepts it', () => {
  const signed = vectors.filter((v) => v.signature !== undefined);
  assert.equal(signed.length, 6);
  for (const v of signed) {
    const bytes = decodeHex(v.messageHex, { allowPrefix: true })!;
    assert.equal(recoverPersonalSignAddress(bytes, v.signature!), v.address!.toLowerCase(), v.name);
    assert.deepEqual(verifyPersonalSign(v.address!, bytes, v.signature!), {
      ok: true,
      address: v.address!.toLowerCase(),
    });
    // checksummed addresses in the vectors are valid EIP-55
    if (v.address !== v.address!.toLowerCase())
      assert.equal(toChecksumAddress(v.address!), v.address, v.name);
    assert.ok(parseEthAddress(v.address).ok, v.name);
    // the hash of other bytes does not recover to the same address
    assert.equal(verifyPersonalSign(v.address!, utf8Bytes('other'), v.signature!).ok, false, v.name);
  }
});

test('signing again with the private key reproduces each signature byte for byte (RFC 6979), on both backends', () => {
  const keyed = vectors.filter((v) => v.privateKey !== undefined);
  assert.equal(keyed.length, 5);
  const backends = [nobleSecp256k1, ...(nativeSecp256k1 ? [nativeSecp256k1] : [])];
  for (const v of keyed) {
    const priv = decodeHex(v.privateKey!, { allowPrefix: true })!;
    assert.equal(addressFromPublicKey(noble.getPublicKey(priv, false)), v.address!.toLowerCase(), v.name);
    const hash = hashPersonalMessage(decodeHex(v.messageHex, { allowPrefix: true })!);
    for (const backend of backends) {
      const { signature, recid } = backend.sign(hash, priv);
      assert.equal(
        `0x${encodeHex(signature)}${(27 + recid).toString(16)}`,
        v.signature,
        `${v.name} (${backend.name})`,
      );
    }
  }
});

test('EIP-55: mixed case must carry the checksum; all-lower and all-upper are taken as is', () => {
  const good = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
  assert.equal(toChecksumAddress(good.toLowerCase()), good);
  for (const s of [good, good.toLowerCase(), '0x' + good.slice(2).toUpperCase()]) {
    assert.deepEqual(parseEthAddress(s), { ok: true, value: good.toLowerCase() });
  }
  const bad = good.replace('F39', 'f39').replace('0xf39Fd', '0xf39fD');
  for (const s of [
    bad,
    good.slice(0, 41),
    good + '0',
    'f39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    42,
    null,
  ]) {
    const r = parseEthAddress(s);
    assert.equal(r.ok, false, String(s));
    assert.equal(!r.ok && r.code, 'invalid_request');
  }
});
