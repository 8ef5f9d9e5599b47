import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Wallet, hashMessage, verifyMessage, SigningKey, Signature } from 'ethers';
import { encodeHex, utf8Bytes } from '../../src/encoding/index.js';
import { sha256, secp256k1 } from '../../src/crypto/index.js';
import {
  addressFromPublicKey,
  hashPersonalMessage,
  recoverPersonalSignAddress,
  toChecksumAddress,
  verifyPersonalSign,
  verifyPersonalSignText,
} from '../../src/schemes/eth/index.js';

/** Messages that stress the text/bytes boundary: unicode, and text that looks like hex. */
const messages = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }).map((b) => `0x${encodeHex(b)}`),
  fc.constantFrom('', '0x', '0xdeadbeef', 'hello world', 'Đăng nhập 🥵', '0x4243'),
);
const keys = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((seed) => sha256(seed));

function ourSign(priv: Uint8Array, message: Uint8Array): string {
  const { signature, recid } = secp256k1.sign(hashPersonalMessage(message), priv);
  return `0x${encodeHex(signature)}${(27 + recid).toString(16)}`;
}

test('ethers Wallet.signMessage -> our verifyPersonalSign, and our signature -> ethers verifyMessage', async () => {
  await fc.assert(
    fc.asyncProperty(keys, messages, async (priv, text) => {
      const wallet = new Wallet(`0x${encodeHex(priv)}`);
      const bytes = utf8Bytes(text);
      assert.equal(hashMessage(text), `0x${encodeHex(hashPersonalMessage(bytes))}`);
      const theirs = await wallet.signMessage(text);
      assert.deepEqual(verifyPersonalSign(wallet.address, bytes, theirs), {
        ok: true,
        address: wallet.address.toLowerCase(),
      });
      const ours = ourSign(priv, bytes);
      assert.equal(ours, theirs, 'both sign with RFC 6979: byte for byte');
      assert.equal(verifyMessage(text, ours), wallet.address);
      assert.equal(toChecksumAddress(recoverPersonalSignAddress(bytes, ours)!), wallet.address);
    }),
    { numRuns: 60 },
  );
});

test('ethers raw-bytes messages and key-to-address agree with ours', async () => {
  await fc.assert(
    fc.asyncProperty(keys, fc.uint8Array({ maxLength: 64 }), async (priv, bytes) => {
      const wallet = new Wallet(`0x${encodeHex(priv)}`);
      const sig = await wallet.signMessage(bytes);
      assert.equal(recoverPersonalSignAddress(bytes, sig), wallet.address.toLowerCase());
      const uncompressed = Buffer.from(new SigningKey(wallet.privateKey).publicKey.slice(2), 'hex');
      assert.equal(addressFromPublicKey(uncompressed), wallet.address.toLowerCase());
      // v as 0/1 (yParity) is accepted too
      const yParity = Signature.from(sig).yParity;
      const v01 = sig.slice(0, 130) + (yParity === 0 ? '00' : '01');
      assert.equal(verifyPersonalSign(wallet.address, bytes, v01).ok, true);
    }),
    { numRuns: 40 },
  );
});

test('MYKEY ETH form: text, hex(text) and 0x-hex(text) signatures are accepted with acceptHexForm only', async () => {
  await fc.assert(
    fc.asyncProperty(keys, fc.string({ minLength: 1, maxLength: 60 }), async (priv, text) => {
      const wallet = new Wallet(`0x${encodeHex(priv)}`);
      const hex = encodeHex(utf8Bytes(text));
      const byText = await wallet.signMessage(text);
      const byHex = await wallet.signMessage(hex); // the ASCII characters of the hex
      const by0xHexString = await wallet.signMessage(utf8Bytes(`0x${hex}`));
      const byHexBytes = await wallet.signMessage(Buffer.from(hex, 'hex')); // = the text bytes
      assert.equal(verifyPersonalSignText(wallet.address, text, byText, { acceptHexForm: true }).ok, true);
      assert.equal(
        verifyPersonalSignText(wallet.address, text, byHexBytes, { acceptHexForm: true }).ok,
        true,
      );
      const h = verifyPersonalSignText(wallet.address, text, byHex, { acceptHexForm: true });
      assert.ok(h.ok && h.form === 'hex');
      const h0 = verifyPersonalSignText(wallet.address, text, by0xHexString, { acceptHexForm: true });
      assert.ok(h0.ok && h0.form === '0xhex');
      assert.equal(verifyPersonalSignText(wallet.address, text, byHex).ok, false);
      assert.equal(
        verifyPersonalSignText(wallet.address, `${text}x`, byText, { acceptHexForm: true }).ok,
        false,
      );
    }),
    { numRuns: 25 },
  );
});
