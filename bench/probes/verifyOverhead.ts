import { verify } from 'node:crypto';
import { verifySignature } from '../../src/crypto/index.js';
import { parseDevicePublicKey, verifyDeviceSignature } from '../../src/schemes/device/index.js';
import { p256DeviceFixture, rsaDeviceFixture, type KeyedSignature } from '../fixtures.js';
import { FULL, QUICK, measureGroup, type Entry } from '../harness.js';

/**
 * Where the cost of Signet's device verify goes against one-shot `crypto.verify`, layer by
 * layer: raw with the KeyObject, raw with an options object `{ key, dsaEncoding }` (what the
 * algorithm table passes for ECDSA), Signet's `verifySignature`, Signet's `verifyDeviceSignature`.
 *
 *   node --import tsx bench/probes/verifyOverhead.ts [--quick]
 */
const options = process.argv.includes('--quick') ? QUICK : FULL;

function entries(f: KeyedSignature, alg: 'RS256' | 'ES256'): Entry[] {
  const parsed = parseDevicePublicKey(f.publicPem);
  if (!parsed.ok) throw new Error('probe: key does not parse');
  const key = parsed.value;
  const isTrue = (r: unknown) => r === true || (r as { ok?: boolean }).ok === true;
  return [
    {
      label: 'crypto.verify(KeyObject)',
      run: () => verify('sha256', f.message, f.publicKey, f.signature),
      check: isTrue,
    },
    {
      label: 'crypto.verify({ key, dsaEncoding })',
      run: () => verify('sha256', f.message, { key: f.publicKey, dsaEncoding: 'der' }, f.signature),
      check: isTrue,
    },
    {
      label: `verifySignature('${alg}')`,
      run: () => verifySignature(alg, key.key, f.message, f.signature),
      check: isTrue,
    },
    {
      label: 'verifyDeviceSignature',
      run: () => verifyDeviceSignature(key, f.message, f.signature),
      check: isTrue,
    },
  ];
}

for (const [title, f, alg] of [
  ['RSA-2048', rsaDeviceFixture(), 'RS256'],
  ['P-256 (DER)', p256DeviceFixture(), 'ES256'],
] as const) {
  const measured = await measureGroup(entries(f, alg), options);
  const base = measured[0]?.opsPerSec ?? 1;
  process.stdout.write(`\n${title}\n`);
  for (const m of measured) {
    process.stdout.write(
      `  ${Math.round(m.opsPerSec).toLocaleString('en-US').padStart(8)} ops/s  ${(m.nsPerOp / 1000).toFixed(2).padStart(7)} µs  ${(m.opsPerSec / base).toFixed(3)}x  ±${(m.spread * 100).toFixed(1)}%  ${m.label}\n`,
    );
  }
}
