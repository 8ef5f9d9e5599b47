// Random bodies at every route (fast-check): whatever arrives, the answer is never a 5xx and is
// always the contract's error shape or a success. Server-API requests are correctly signed so the
// fuzz reaches past authentication into the handlers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { signTiniappRequest } from '../../src/schemes/tiniapp/index.js';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
before(async () => {
  h = await startHarness({
    app: {
      origins: ['https://app.example'],
      rpId: 'app.example',
      settings: { clientChallenges: true, lockoutMaxFailures: 1_000_000 },
    },
  });
});
after(() => h.close());

type Route = { method: 'GET' | 'POST' | 'DELETE'; url: (appId: string) => string; server: boolean };
const ROUTES: Route[] = [
  { method: 'POST', url: () => '/v1/users/fuzz/credentials', server: true },
  { method: 'GET', url: () => '/v1/users/fuzz/credentials', server: true },
  { method: 'DELETE', url: () => '/v1/users/fuzz/credentials/cred_x', server: true },
  { method: 'POST', url: () => '/v1/webauthn/registration/options', server: true },
  { method: 'POST', url: () => '/v1/webauthn/registration/verify', server: true },
  { method: 'GET', url: () => '/v1/audit?limit=5', server: true },
  { method: 'POST', url: () => '/v1/challenges', server: false },
  { method: 'POST', url: () => '/v1/verify', server: false },
  { method: 'POST', url: () => '/v1/mykey/sessions', server: false },
  { method: 'POST', url: (appId) => `/v1/mykey/callback/${appId}`, server: false },
  { method: 'GET', url: (appId) => `/v1/mykey/sessions/abc?appId=${appId}`, server: false },
  { method: 'POST', url: () => '/v1/mykey/verify', server: false },
  { method: 'GET', url: () => '/.well-known/jwks.json', server: false },
];

const FIELDS = [
  'appId',
  'type',
  'userId',
  'userName',
  'challengeId',
  'challenge',
  'signature',
  'account',
  'address',
  'message',
  'publicKey',
  'deviceId',
  'label',
  'response',
  'uuID',
  'sign',
  'ref',
  'timestamp',
  'chain',
  'mykeyUID',
  'mykeyUIDSignature',
];
const TYPES = ['device', 'webauthn', 'eos', 'eth', 'tiniapp', 'EOS', 'ETH', ''];

/** Values that look almost right: real field names, plausible types, hostile contents. */
const value = fc.oneof(
  fc.constantFrom(...TYPES),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.base64String({ maxLength: 80 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }),
  fc.dictionary(
    fc.constantFrom(
      'id',
      'rawId',
      'type',
      'response',
      'clientDataJSON',
      'authenticatorData',
      'signature',
      'attestationObject',
      'userHandle',
    ),
    fc.oneof(fc.base64String({ maxLength: 40 }), fc.string({ maxLength: 10 }), fc.object({ maxDepth: 2 })),
  ),
);

const body = fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
);

test('no route answers 5xx to random bodies (fast-check)', async () => {
  let requests = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...ROUTES), body, fc.boolean(), async (route, input, withAppId) => {
      let payload: string | undefined;
      if (route.method === 'POST') {
        const object =
          typeof input === 'object' && input !== null && !Array.isArray(input) && withAppId
            ? { appId: h.app.id, ...input }
            : input;
        payload = typeof object === 'string' ? object : JSON.stringify(object);
      }
      const url = route.url(h.app.id);
      const headers: Record<string, string> =
        payload === undefined ? {} : { 'content-type': 'application/json' };
      if (route.server) {
        Object.assign(
          headers,
          signTiniappRequest({
            clientId: h.app.id,
            secret: h.secret,
            timestamp: h.clock(),
            ...(payload === undefined ? { path: url } : { body: payload }),
          }).headers,
        );
      }
      const r = await h.server.inject({
        method: route.method,
        url,
        headers,
        ...(payload === undefined ? {} : { payload }),
      });
      requests++;
      assert.ok(
        r.statusCode < 500,
        `${route.method} ${url} ${payload?.slice(0, 200)} -> ${r.statusCode} ${r.body}`,
      );
      if (r.statusCode >= 400) {
        const parsed = JSON.parse(r.body) as { error?: { code?: unknown; message?: unknown } };
        assert.equal(typeof parsed.error?.code, 'string');
        assert.equal(typeof parsed.error?.message, 'string');
      }
    }),
    { numRuns: 600 },
  );
  assert.equal(requests >= 600, true);
  // The server still works after the storm.
  assert.equal((await h.call('GET', '/readyz')).statusCode, 200);
});
