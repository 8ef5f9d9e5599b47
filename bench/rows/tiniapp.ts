import { createHmac, timingSafeEqual } from 'node:crypto';
import { verifyTiniappRequest } from '../../src/schemes/tiniapp/index.js';
import { TINIAPP_VECTOR, tiniappHeaders } from '../fixtures.js';
import type { MicroRow } from './types.js';

/**
 * The reference: the bare Tiniapp computation with `node:crypto`, synchronous, no format checks.
 * Shared with `bench/probes/tiniappOverhead.ts`.
 */
export function rawTiniappVerify(
  headers: Record<string, string | string[] | undefined>,
  body: Uint8Array,
  secret: string,
  now: number,
  skewMs: number,
): boolean {
  const timestamp = headers['x-tiniapp-timestamp'] as string;
  const clientId = headers['x-tiniapp-client-id'] as string;
  const received = headers['x-tiniapp-signature'] as string;
  const encoded = Buffer.concat([Buffer.from(`${timestamp}.${clientId}.`), body]).toString('base64url');
  const mac = createHmac('sha256', secret).update(encoded).digest('hex');
  const a = Buffer.from(mac, 'latin1');
  const b = Buffer.from(received, 'latin1');
  return a.length === b.length && timingSafeEqual(a, b) && Math.abs(now - Number(timestamp)) <= skewMs;
}

/**
 * Tiniapp request signature (docs/api.md): from the request's three headers and body bytes to
 * "signed by this app". Both sides read the headers, build `timestamp.clientId.body`, base64url
 * it, HMAC-SHA256 it with the app's secret, compare with the received hex in constant time, and
 * check the clock window. Signet also checks the header formats, and is awaited (its replay
 * check, not used here, is asynchronous); the reference is the bare computation, synchronous.
 */
export function tiniappRow(): MicroRow {
  const v = TINIAPP_VECTOR;
  const headers = tiniappHeaders();
  const body = new Uint8Array(Buffer.from(v.body, 'utf8'));
  const now = Number(v.timestamp) + 1000;
  const skewMs = 300_000;
  const secrets = [v.secret];
  return {
    id: 'tiniapp-hmac',
    title: 'Tiniapp HMAC verify',
    work: 'headers + body -> base64url(ts.clientId.body) -> HMAC-SHA256 hex -> constant-time compare, clock window',
    signet: {
      label: 'Signet',
      async: true,
      run: () => verifyTiniappRequest({ headers, body, secrets, now, skewMs }),
      check: (r) => (r as { ok: boolean }).ok === true,
    },
    reference: {
      label: 'createHmac + timingSafeEqual',
      run: () => rawTiniappVerify(headers, body, v.secret, now, skewMs),
      check: (r) => r === true,
    },
    target: { against: 'reference', min: 0.8 },
  };
}
