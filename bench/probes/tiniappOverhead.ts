import { createHmac, timingSafeEqual } from 'node:crypto';
import { equalHexMac } from '../../src/crypto/index.js';
import { tiniappMac, tiniappPayloadBytes, verifyTiniappRequest } from '../../src/schemes/tiniapp/index.js';
import { TINIAPP_VECTOR as v, tiniappHeaders } from '../fixtures.js';
import { FULL, QUICK, measureGroup, type Entry } from '../harness.js';
import { rawTiniappVerify } from '../rows/tiniapp.js';

/**
 * Where Tiniapp verification spends its time against the bare `createHmac` + `timingSafeEqual`
 * reference, step by step, and what a synchronous core that compares MAC bytes would cost.
 *
 *   node --import tsx bench/probes/tiniappOverhead.ts [--quick]
 */
const options = process.argv.includes('--quick') ? QUICK : FULL;
const headers: Record<string, string> = tiniappHeaders();
const body = new Uint8Array(Buffer.from(v.body, 'utf8'));
const now = Number(v.timestamp) + 1000;
const skewMs = 300_000;
const secrets = [v.secret];
const HEX64 = /^[0-9a-f]{64}$/;
const CLIENT_ID = /^[A-Za-z0-9_-]{1,128}$/;
const TIMESTAMP = /^(?:0|[1-9][0-9]{0,15})$/;

const raw = (): boolean => rawTiniappVerify(headers, body, v.secret, now, skewMs);

const NAMES = ['x-tiniapp-client-id', 'x-tiniapp-timestamp', 'x-tiniapp-signature'] as const;

/**
 * The three Tiniapp headers in one pass over the keys, names matched case-insensitively and a
 * name given twice refused (the semantics of Signet's readHeader, which makes one pass per name).
 */
function readTiniappHeaders(
  h: Record<string, string | string[] | undefined>,
): [string, string, string] | null {
  const found: Array<string | undefined> = [undefined, undefined, undefined];
  for (const key of Object.keys(h)) {
    if (key.length !== 19) continue; // all three names are 19 characters long
    const lower = key.toLowerCase();
    const i = NAMES.indexOf(lower as (typeof NAMES)[number]);
    if (i < 0) continue;
    const value = h[key];
    if (value === undefined) continue;
    if (found[i] !== undefined || typeof value !== 'string') return null;
    found[i] = value;
  }
  return found[0] === undefined || found[1] === undefined || found[2] === undefined
    ? null
    : [found[0], found[1], found[2]];
}

/** A synchronous core as it could be: same checks as Signet's, MAC compared as 32 bytes. */
function syncCore(direct: boolean): boolean {
  let clientId: string | undefined;
  let timestamp: string | undefined;
  let signature: string | undefined;
  if (direct) {
    clientId = headers['x-tiniapp-client-id'];
    timestamp = headers['x-tiniapp-timestamp'];
    signature = headers['x-tiniapp-signature'];
  } else {
    const read = readTiniappHeaders(headers);
    if (read === null) return false;
    [clientId, timestamp, signature] = read;
  }
  if (
    clientId === undefined ||
    timestamp === undefined ||
    signature === undefined ||
    !CLIENT_ID.test(clientId) ||
    !TIMESTAMP.test(timestamp) ||
    !HEX64.test(signature)
  ) {
    return false;
  }
  const encoded = Buffer.concat([Buffer.from(`${timestamp}.${clientId}.`, 'latin1'), body]).toString(
    'base64url',
  );
  const received = Buffer.from(signature, 'hex');
  let matched = false;
  for (const secret of secrets) {
    if (timingSafeEqual(createHmac('sha256', secret).update(encoded).digest(), received)) matched = true;
  }
  return matched && Math.abs(now - Number(timestamp)) <= skewMs;
}

/** The leanest checked form: direct look-ups, client id and timestamp checked, MAC compared as text. */
function leanCore(): boolean {
  const clientId = headers['x-tiniapp-client-id'];
  const timestamp = headers['x-tiniapp-timestamp'];
  const signature = headers['x-tiniapp-signature'];
  if (clientId === undefined || timestamp === undefined || signature === undefined) return false;
  if (!CLIENT_ID.test(clientId) || !TIMESTAMP.test(timestamp)) return false;
  const encoded = Buffer.concat([Buffer.from(`${timestamp}.${clientId}.`, 'latin1'), body]).toString(
    'base64url',
  );
  let matched = false;
  for (const secret of secrets) {
    if (equalHexMac(createHmac('sha256', secret).update(encoded).digest('hex'), signature)) matched = true;
  }
  return matched && Math.abs(now - Number(timestamp)) <= skewMs;
}

const isOk = (r: unknown) => r === true || (r as { ok?: boolean }).ok === true;
const entries: Entry[] = [
  { label: 'reference: createHmac + timingSafeEqual (sync)', run: raw, check: isOk },
  { label: 'reference, awaited in an async function', async: true, run: async () => raw(), check: isOk },
  {
    label: 'Signet steps, sync: tiniappPayloadBytes + tiniappMac + equalHexMac',
    run: () =>
      equalHexMac(
        tiniappMac(tiniappPayloadBytes(v.timestamp, v.clientId, body), v.secret).signature,
        v.signature,
      ),
    check: isOk,
  },
  {
    label: 'Signet verifyTiniappRequest (awaited)',
    async: true,
    run: () => verifyTiniappRequest({ headers, body, secrets, now, skewMs }),
    check: isOk,
  },
  { label: 'sync core, direct header look-ups, MAC bytes compared', run: () => syncCore(true), check: isOk },
  {
    label: 'sync core, one case-insensitive pass over the headers, MAC bytes compared',
    run: () => syncCore(false),
    check: isOk,
  },
  {
    label: 'lean: direct look-ups, no signature regex, MAC compared as text (equalHexMac)',
    run: leanCore,
    check: isOk,
  },
];

const measured = await measureGroup(entries, options);
const base = measured[0]?.opsPerSec ?? 1;
for (const m of measured) {
  process.stdout.write(
    `${Math.round(m.opsPerSec).toLocaleString('en-US').padStart(9)} ops/s  ${(m.nsPerOp / 1000).toFixed(2).padStart(6)} µs  ${(m.opsPerSec / base).toFixed(2)}x  ±${(m.spread * 100).toFixed(1)}%  ${m.label}\n`,
  );
}
