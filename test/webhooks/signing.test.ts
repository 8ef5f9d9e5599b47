// Standard Webhooks signing, checked against the reference library `standardwebhooks`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import {
  buildWebhookPayload,
  generateWebhookSecret,
  parseWebhookSecret,
  signWebhook,
  verifyWebhook,
} from '../../src/core/webhooks/index.js';

const random = (n: number) => new Uint8Array(randomBytes(n));
const nowSec = () => Math.floor(Date.now() / 1000);

describe('Standard Webhooks signing against the standardwebhooks library', () => {
  it('Signet signs, the library verifies (any body, any id); another secret does not', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^msg_[A-Za-z0-9]{1,40}$/),
        fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })),
        (id, data) => {
          const secret = generateWebhookSecret(random);
          const body = JSON.stringify(data);
          const headers = signWebhook({ id, timestamp: nowSec(), body, secrets: [secret] });
          assert.deepEqual(new Webhook(secret).verify(body, headers), JSON.parse(body));
          assert.throws(() => new Webhook(generateWebhookSecret(random)).verify(body, headers));
          assert.throws(() => new Webhook(secret).verify(`${body} `, headers));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('the library signs, Signet verifies; tampering with id, timestamp or body fails', () => {
    const secret = generateWebhookSecret(random);
    const body = buildWebhookPayload('login.succeeded', Date.now(), { userId: 'u-1', scheme: 'device' });
    const ts = new Date();
    const signature = new Webhook(secret).sign('msg_abc', ts, body);
    const headers = {
      'webhook-id': 'msg_abc',
      'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)),
      'webhook-signature': signature,
    };
    const check = (h: Record<string, string>, b = body) =>
      verifyWebhook({ headers: h, body: b, secrets: [secret], now: Date.now(), toleranceMs: 300_000 });
    assert.deepEqual(check(headers), {
      ok: true,
      id: 'msg_abc',
      timestamp: Number(headers['webhook-timestamp']),
    });
    assert.deepEqual(check({ ...headers, 'webhook-id': 'msg_abd' }), {
      ok: false,
      code: 'signature_invalid',
    });
    assert.deepEqual(
      check({ ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) + 1) }),
      {
        ok: false,
        code: 'signature_invalid',
      },
    );
    assert.deepEqual(check(headers, body.replace('u-1', 'u-2')), { ok: false, code: 'signature_invalid' });
    const old = Math.floor(Date.now() / 1000) - 600;
    const stale = signWebhook({ id: 'msg_abc', timestamp: old, body, secrets: [secret] });
    assert.deepEqual(check(stale), { ok: false, code: 'timestamp_skew' });
  });

  it('rotation: two secrets give two v1 signatures; a receiver holding either one verifies', () => {
    const oldSecret = generateWebhookSecret(random);
    const newSecret = generateWebhookSecret(random);
    const body = '{"type":"token.revoked","timestamp":"2026-01-01T00:00:00.000Z","data":{}}';
    const headers = signWebhook({
      id: 'msg_rot',
      timestamp: nowSec(),
      body,
      secrets: [newSecret, oldSecret],
    });
    assert.match(headers['webhook-signature']!, /^v1,[A-Za-z0-9+/]+=* v1,[A-Za-z0-9+/]+=*$/);
    assert.doesNotThrow(() => new Webhook(oldSecret).verify(body, headers));
    assert.doesNotThrow(() => new Webhook(newSecret).verify(body, headers));
    assert.throws(() => new Webhook(generateWebhookSecret(random)).verify(body, headers));
  });

  it('secrets: whsec_ + base64 of 32 bytes, accepted by the library; strict parsing refuses the rest', () => {
    const secret = generateWebhookSecret(random);
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const parsed = parseWebhookSecret(secret);
    assert.ok(parsed.ok && parsed.value.length === 32);
    for (const bad of [
      undefined,
      '',
      'whsec_',
      'sk_abc',
      `whsec_${'A'.repeat(16)}`,
      `${secret}!`,
      secret.slice(6),
    ]) {
      assert.equal(parseWebhookSecret(bad).ok, false, String(bad));
    }
    assert.throws(() => signWebhook({ id: 'msg_1', timestamp: 1, body: '{}', secrets: ['nope'] }), TypeError);
    assert.throws(() => signWebhook({ id: 'msg 1', timestamp: 1, body: '{}', secrets: [secret] }), TypeError);
    assert.throws(() => signWebhook({ id: 'msg_1', timestamp: 1, body: '{}', secrets: [] }), TypeError);
    assert.throws(
      () => signWebhook({ id: 'msg_1', timestamp: 1, body: '{}', secrets: [secret, secret, secret] }),
      TypeError,
    );
  });

  it('payload: { type, timestamp (ISO 8601), data }; unknown types and oversized data refused', () => {
    assert.equal(
      buildWebhookPayload('credential.deleted', 1_767_225_600_000, { credentialId: 'c1' }),
      '{"type":"credential.deleted","timestamp":"2026-01-01T00:00:00.000Z","data":{"credentialId":"c1"}}',
    );
    assert.throws(() => buildWebhookPayload('user.created' as never, 1, {}), TypeError);
    assert.throws(() => buildWebhookPayload('login.failed', 1, { blob: 'x'.repeat(20_000) }), RangeError);
  });
});
