import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Bytes, PrivateKey, PublicKey, Signature } from '@wharfkit/antelope';
import { utf8Bytes } from '../../src/encoding/index.js';
import {
  parseEosPrivateKey,
  parseEosPublicKey,
  recoverEosPublicKey,
  signEos,
  verifyEosSignature,
} from '../../src/schemes/eos/index.js';

const texts = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('', 'I like turtles', '0xdeadbeef', 'deadbeef', 'Đăng nhập 🥵'),
);

for (const curve of ['K1', 'R1'] as const) {
  test(`wharfkit ${curve}: their signMessage(Bytes utf8) verifies and recovers here; ours verifies there`, () => {
    fc.assert(
      fc.property(fc.integer(), texts, (_seed, text) => {
        const theirKey = PrivateKey.generate(curve);
        // signMessage(string) would read the string as HEX; pass UTF-8 bytes explicitly
        const message = Bytes.from(text, 'utf8');
        const theirSig = theirKey.signMessage(message).toString();
        const ourKey = parseEosPublicKey(theirKey.toPublic().toString());
        assert.ok(ourKey.ok);
        assert.equal(ourKey.value.string, theirKey.toPublic().toString());
        assert.deepEqual(verifyEosSignature(ourKey.value, utf8Bytes(text), theirSig), { ok: true });
        assert.equal(recoverEosPublicKey(utf8Bytes(text), theirSig)?.string, ourKey.value.string);
        assert.equal(verifyEosSignature(ourKey.value, utf8Bytes(`${text}.`), theirSig).ok, false);

        const ourPriv = parseEosPrivateKey(theirKey.toString());
        assert.ok(ourPriv.ok);
        const ourSig = signEos(ourPriv.value, utf8Bytes(text));
        assert.equal(
          Signature.from(ourSig).verifyMessage(message, PublicKey.from(ourKey.value.string)),
          true,
        );
        assert.equal(Signature.from(ourSig).recoverMessage(message).toString(), ourKey.value.string);
        if (curve === 'K1') {
          assert.equal(
            PublicKey.from(ourKey.value.string).toLegacyString(),
            theirKey.toPublic().toLegacyString(),
          );
        }
      }),
      { numRuns: 25 },
    );
  });
}
