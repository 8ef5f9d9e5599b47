import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  isHighS,
  nativeSecp256k1,
  nobleSecp256k1,
  secp256k1Recover,
  secp256k1SignatureFromDer,
  secp256k1Verify,
  sha256,
  type Secp256k1Backend,
} from '../../src/crypto/index.js';
import { decodeHex, equalBytes } from '../../src/encoding/index.js';

interface WycheproofFile {
  numberOfTests: number;
  testGroups: {
    publicKey: { uncompressed: string };
    tests: {
      tcId: number;
      comment: string;
      msg: string;
      sig: string;
      result: 'valid' | 'invalid' | 'acceptable';
    }[];
  }[];
}

function load(name: string): WycheproofFile {
  return JSON.parse(
    readFileSync(new URL(`../vectors/wycheproof/${name}`, import.meta.url), 'utf8'),
  ) as WycheproofFile;
}

const BACKENDS: Secp256k1Backend[] = [nobleSecp256k1, ...(nativeSecp256k1 ? [nativeSecp256k1] : [])];

test('libsecp256k1 native backend loads here (so both backends are exercised)', () => {
  assert.ok(nativeSecp256k1, 'the secp256k1 N-API binding should load');
  assert.equal(BACKENDS.length, 2);
});

function run(file: string, lowS: boolean) {
  const data = load(file);
  for (const backend of BACKENDS) {
    const counts = { valid: 0, invalid: 0, acceptable: 0 };
    for (const group of data.testGroups) {
      const pub = decodeHex(group.publicKey.uncompressed)!;
      for (const t of group.tests) {
        const compact = secp256k1SignatureFromDer(decodeHex(t.sig)!, backend);
        const ok =
          compact !== null && secp256k1Verify(compact, sha256(decodeHex(t.msg)!), pub, { lowS, backend });
        counts[t.result]++;
        if (t.result === 'valid') assert.equal(ok, true, `${file} #${t.tcId} ${t.comment} (${backend.name})`);
        if (t.result === 'invalid')
          assert.equal(ok, false, `${file} #${t.tcId} ${t.comment} (${backend.name})`);
      }
    }
    assert.equal(counts.valid + counts.invalid + counts.acceptable, data.numberOfTests);
  }
}

test('Wycheproof ecdsa_secp256k1_sha256 (lowS: false, strict DER): every valid accepted, every invalid refused, both backends', () => {
  run('ecdsa_secp256k1_sha256_test.json', false);
});

test('Wycheproof ecdsa_secp256k1_sha256_bitcoin (lowS: true): every valid accepted, every invalid refused, both backends', () => {
  run('ecdsa_secp256k1_sha256_bitcoin_test.json', true);
});

test('both backends agree: sign, verify, recover; high-S twins refused with lowS and recovered by none', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ maxLength: 64 }),
      (seed, msg) => {
        const priv = sha256(seed); // a valid scalar with overwhelming probability
        const hash = sha256(msg);
        const a = nobleSecp256k1.sign(hash, priv);
        for (const backend of BACKENDS) {
          const b = backend.sign(hash, priv);
          assert.ok(equalBytes(a.signature, b.signature) && a.recid === b.recid, backend.name);
          const pub = backend.publicKey(priv, true);
          assert.ok(secp256k1Verify(b.signature, hash, pub, { backend }));
          const rec = secp256k1Recover(b.signature, b.recid, hash, true, backend);
          assert.ok(rec !== null && equalBytes(rec, pub));
          // n - s: the malleable twin
          const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
          const s = BigInt('0x' + Buffer.from(b.signature.subarray(32)).toString('hex'));
          const twin = Uint8Array.from(b.signature);
          twin.set(decodeHex((n - s).toString(16).padStart(64, '0'))!, 32);
          assert.ok(isHighS(twin));
          assert.equal(secp256k1Verify(twin, hash, pub, { backend }), false);
          assert.equal(secp256k1Verify(twin, hash, pub, { backend, lowS: false }), true);
          assert.equal(secp256k1Recover(twin, b.recid ^ 1, hash, true, backend), null);
        }
      },
    ),
    { numRuns: 50 },
  );
});
