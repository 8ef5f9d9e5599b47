import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  formatSiweMessage,
  parseRfc3339,
  parseSiweFields,
  parseSiweMessage,
  verifySiwe,
  type SiweMessage,
} from '../../src/schemes/eth/index.js';
import type { ReasonCode } from '../../src/errors/codes.js';

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../vectors/siwe/${name}`, import.meta.url), 'utf8')) as T;
}

/** Drops `null` fields: the vectors write an absent optional field as null. */
function present(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null));
}

type VerificationVector = Record<string, unknown> & {
  signature: string;
  time?: string;
  domainBinding?: string;
  matchNonce?: string;
};

const FIELD_KEYS = [
  'scheme',
  'domain',
  'address',
  'statement',
  'uri',
  'version',
  'chainId',
  'nonce',
  'issuedAt',
  'expirationTime',
  'notBefore',
  'requestId',
  'resources',
];

function fieldsOf(v: VerificationVector): SiweMessage {
  return present(
    Object.fromEntries(Object.entries(v).filter(([k]) => FIELD_KEYS.includes(k))),
  ) as unknown as SiweMessage;
}

/** The upstream verify call: time = test.time || issuedAt, domain = domainBinding, nonce = matchNonce. */
function check(v: VerificationVector) {
  const fields = fieldsOf(v);
  const uriOrigin = (() => {
    try {
      return new URL(fields.uri).origin;
    } catch {
      return 'https://invalid.invalid';
    }
  })();
  // With a domain binding the app's only origin is that domain; otherwise the app owns both
  // the message domain and the URI's origin (they differ in the Tally vector).
  const origins = v.domainBinding ? [`https://${v.domainBinding}`] : [`https://${fields.domain}`, uriOrigin];
  return verifySiwe({
    message: formatSiweMessage(fields, { unchecked: true }),
    signature: v.signature,
    expected: {
      origins,
      nonce: v.matchNonce ?? fields.nonce,
      now: parseRfc3339(v.time ?? fields.issuedAt) ?? Date.parse(v.time ?? fields.issuedAt),
    },
  });
}

test('parsing_positive: every message parses to its fields and formats back byte for byte', () => {
  const vectors =
    load<Record<string, { message: string; fields: Record<string, unknown> }>>('parsing_positive.json');
  assert.equal(Object.keys(vectors).length, 19);
  for (const [name, v] of Object.entries(vectors)) {
    const parsed = parseSiweMessage(v.message);
    assert.ok(parsed.ok, `${name}: ${!parsed.ok ? parsed.message : ''}`);
    assert.deepEqual({ ...parsed.value }, present(v.fields), name);
    const fromFields = parseSiweFields(v.fields);
    assert.ok(fromFields.ok, name);
    assert.equal(formatSiweMessage(fromFields.value), v.message, name);
  }
});

test('parsing_negative: every message is refused', () => {
  const vectors = load<Record<string, string>>('parsing_negative.json');
  assert.equal(Object.keys(vectors).length, 29);
  for (const [name, message] of Object.entries(vectors)) {
    const parsed = parseSiweMessage(message);
    assert.equal(parsed.ok, false, name);
    assert.equal(!parsed.ok && parsed.code, 'invalid_request', name);
  }
});

test('parsing_negative_objects: every field object is refused, and formatting it throws TypeError', () => {
  const vectors = load<Record<string, Record<string, unknown>>>('parsing_negative_objects.json');
  assert.equal(Object.keys(vectors).length, 18);
  for (const [name, fields] of Object.entries(vectors)) {
    const parsed = parseSiweFields(fields);
    assert.equal(parsed.ok, false, name);
    assert.throws(() => formatSiweMessage(fields as unknown as SiweMessage), TypeError, name);
  }
});

test('verification_positive: every signed message is accepted at its time', () => {
  const vectors = load<Record<string, VerificationVector>>('verification_positive.json');
  assert.equal(Object.keys(vectors).length, 4);
  for (const [name, v] of Object.entries(vectors)) {
    const result = check(v);
    assert.ok(result.ok, `${name}: ${!result.ok ? result.code : ''}`);
    assert.equal(result.address, String(v.address).toLowerCase(), name);
  }
});

test('verification_negative: every case is refused with its stable reason code', () => {
  const vectors = load<Record<string, VerificationVector>>('verification_negative.json');
  const expected: Record<string, ReasonCode> = {
    'expired message': 'message_expired',
    'domain binding': 'domain_mismatch',
    'custom time': 'message_expired',
    'custom nonce': 'nonce_mismatch',
    'malformed signature': 'signature_invalid',
    'wrong signature': 'signature_invalid',
    'not yet valid': 'message_not_yet_valid',
    'invalid issuedAt': 'message_invalid',
    'invalid notBefore': 'message_invalid',
    'invalid expirationTime': 'message_invalid',
  };
  assert.deepEqual(Object.keys(vectors).sort(), Object.keys(expected).sort());
  for (const [name, v] of Object.entries(vectors)) {
    assert.deepEqual(check(v), { ok: false, code: expected[name] }, name);
  }
});

test('verifySiwe: uri, chain id and expected-address checks have their own codes', () => {
  const v = load<Record<string, VerificationVector>>('verification_positive.json')['example message']!;
  const fields = fieldsOf(v);
  const base = {
    message: formatSiweMessage(fields),
    signature: v.signature,
  };
  const now = parseRfc3339(fields.issuedAt)!;
  const ok = verifySiwe({
    ...base,
    expected: { origins: ['https://login.xyz'], nonce: fields.nonce, now, chainIds: [1] },
  });
  assert.equal(ok.ok, true);
  const cases: Array<[Parameters<typeof verifySiwe>[0]['expected'], ReasonCode]> = [
    [{ origins: ['https://login.xyz:8443'], nonce: fields.nonce, now }, 'domain_mismatch'],
    [{ origins: ['http://login.xyz'], nonce: fields.nonce, now }, 'uri_mismatch'],
    [{ origins: ['https://login.xyz'], nonce: fields.nonce, now, chainIds: [5, 137] }, 'chain_id_mismatch'],
    [
      { origins: ['https://login.xyz'], nonce: fields.nonce, now, address: '0x' + '11'.repeat(20) },
      'address_mismatch',
    ],
    [
      { origins: ['https://login.xyz'], nonce: fields.nonce, now: parseRfc3339(fields.expirationTime!)! },
      'message_expired',
    ],
  ];
  for (const [expected, code] of cases)
    assert.deepEqual(verifySiwe({ ...base, expected }), { ok: false, code }, code);
  // the signature is checked before the claims: a wrong nonce with a broken signature is signature_invalid
  assert.deepEqual(
    verifySiwe({ ...base, signature: '0x' + '00'.repeat(65), expected: { origins: [], nonce: 'x', now } }),
    { ok: false, code: 'signature_invalid' },
  );
  assert.deepEqual(verifySiwe({ ...base, message: 42, expected: { origins: [], nonce: 'x', now } }), {
    ok: false,
    code: 'message_invalid',
  });
  assert.throws(
    () => verifySiwe({ ...base, expected: { origins: ['not a url'], nonce: 'x', now } }),
    TypeError,
  );
});

test('RFC 3339: impossible dates, hours and offsets are refused; offsets and fractions are applied', () => {
  for (const bad of [
    '2100-02-31T00:00:00Z',
    '2021-02-29T00:00:00Z',
    '2021-13-01T00:00:00Z',
    '2021-01-01T24:00:00Z',
    '2021-01-01T00:60:00Z',
    '2021-01-01T00:00:60Z',
    '2021-01-01 00:00:00Z',
    '2021-01-01T00:00:00',
    '2021-01-01T00:00:00+24:00',
  ]) {
    assert.equal(parseRfc3339(bad), null, bad);
  }
  assert.equal(parseRfc3339('2020-02-29T00:00:00Z'), Date.UTC(2020, 1, 29));
  assert.equal(parseRfc3339('2021-09-30T16:25:24-02:00'), Date.UTC(2021, 8, 30, 18, 25, 24));
  assert.equal(parseRfc3339('2021-09-30T16:25:24.5Z'), Date.UTC(2021, 8, 30, 16, 25, 24, 500));
  assert.equal(parseRfc3339('0001-01-01T00:00:00Z'), -62135596800000);
});
