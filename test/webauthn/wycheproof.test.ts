import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { importSpki, verifySignature, type SignatureAlgorithm } from '../../src/crypto/index.js';

// Wycheproof ECDSA P-384 (DER) and RSA-PSS 2048 SHA-256 MGF1 salt 32 through verifySignature,
// the primitive WebAuthn's ES384 (-35) and PS256 (-37) use. Choice for `acceptable`: refuse
// (neither file has any today; the count is asserted so a new one is noticed).

interface Group {
  publicKeyDer: string;
  tests: {
    tcId: number;
    msg: string;
    sig: string;
    result: 'valid' | 'invalid' | 'acceptable';
    flags: string[];
  }[];
}

const files: [string, SignatureAlgorithm, number][] = [
  ['ecdsa_secp384r1_sha384_test.json', 'ES384', 504],
  ['rsa_pss_2048_sha256_mgf1_32_test.json', 'PS256', 108],
];

for (const [file, alg, total] of files) {
  test(`Wycheproof ${file} through verifySignature('${alg}')`, () => {
    const data = JSON.parse(
      readFileSync(new URL(`../vectors/webauthn/${file}`, import.meta.url), 'utf8'),
    ) as {
      testGroups: Group[];
    };
    const counts = { valid: 0, invalid: 0, acceptable: 0 };
    for (const group of data.testGroups) {
      const key = importSpki(Buffer.from(group.publicKeyDer, 'hex'));
      assert.ok(key, 'the group key imports');
      for (const t of group.tests) {
        const ok = verifySignature(alg, key, Buffer.from(t.msg, 'hex'), Buffer.from(t.sig, 'hex'));
        counts[t.result]++;
        if (t.result === 'valid') assert.equal(ok, true, `tcId ${t.tcId} valid refused`);
        else assert.equal(ok, false, `tcId ${t.tcId} ${t.result} accepted (${t.flags.join(',')})`);
      }
    }
    assert.equal(counts.valid + counts.invalid + counts.acceptable, total);
    assert.equal(counts.acceptable, 0);
    assert.ok(counts.valid > 0 && counts.invalid > 0);
  });
}
