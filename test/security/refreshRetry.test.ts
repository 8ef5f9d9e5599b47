// The refresh retry grace (docs/tokens.md "Retry grace"), against a real listening server: a phone
// whose network drops the answer to a refresh retries with the same token and stays signed in;
// reuse detection still holds for the lost answer's token, for a retry after the window, for a
// second retry, and for a thief replaying a token whose successor its owner already used.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { REFRESH_GRACE_MS } from '../../src/core/sessions.js';
import { createSignetBrowserClient } from '../../src/browser/index.js';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import { listen, startHarness, tempDir, type Harness } from '../support/harness.js';

let h: Harness;
let baseUrl: string;
let client: SignetClient;
let dir: ReturnType<typeof tempDir>;

async function call(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

/** Enrols a device key for `userId` and logs in with it: the session's first tokens. */
async function signIn(userId: string): Promise<{ token: string; refreshToken: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const reg = await client.registerCredential(userId, {
    type: 'device',
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  return login(userId, privateKey);
}

async function login(userId: string, key: KeyObject): Promise<{ token: string; refreshToken: string }> {
  const ch = await call('/v1/challenges', { appId: h.app.id, type: 'device', userId });
  const ok = await call('/v1/verify', {
    appId: h.app.id,
    type: 'device',
    userId,
    challengeId: ch.body.challengeId,
    signature: nodeSign('sha256', Buffer.from(ch.body.challenge), key).toString('base64'),
  });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  return ok.body;
}

const refresh = (refreshToken: string) => call('/v1/tokens/refresh', { appId: h.app.id, refreshToken });
const active = async (token: string) => ((await client.introspect(token)).body as { active: boolean }).active;

async function reasons(userId: string): Promise<Array<string | null>> {
  const audit = await client.audit({ userId, limit: 50 });
  return (audit.body as { records: Array<{ reason: string | null }> }).records.map((r) => r.reason);
}

before(async () => {
  dir = tempDir();
  // Failures of these tests must not lock the client IP out of the next ones.
  h = await startHarness({
    dbPath: join(dir.dir, 'signet.db'),
    app: { settings: { lockoutMaxFailures: 1000 } },
  });
  baseUrl = await listen(h);
  client = createSignetClient({ baseUrl, appId: h.app.id, secret: h.secret, now: h.clock });
});

after(async () => {
  await h.close();
  dir.remove();
});

describe('refresh retry grace', () => {
  test('a lost answer, then a retry inside the window: new tokens, the session lives on; the lost answer’s token is then reuse', async () => {
    const s = await signIn('phone-1');
    const lost = await refresh(s.refreshToken);
    assert.equal(lost.status, 200, 'the server answered; the network dropped it');

    h.clock.advance(REFRESH_GRACE_MS - 1000);
    const retry = await refresh(s.refreshToken);
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.notEqual(retry.body.refreshToken, lost.body.refreshToken);
    assert.equal(decodeJwt(retry.body.token)['sid'], decodeJwt(s.token)['sid'], 'the same session');
    assert.equal(await active(retry.body.token), true);

    // The phone carries on with the retry's token, as it would.
    const next = await refresh(retry.body.refreshToken);
    assert.equal(next.status, 200);
    assert.equal(await active(next.body.token), true);
    assert.ok(!(await reasons('phone-1')).includes('refresh_reuse'));

    // The lost answer's token was spent by the retry: whoever presents it (the answer surfacing
    // late, or whoever intercepted it) ends the session.
    const late = await refresh(lost.body.refreshToken);
    assert.equal(late.status, 401);
    assert.equal(late.body.error.code, 'verification_failed');
    assert.equal(await active(next.body.token), false);
    assert.equal((await refresh(next.body.refreshToken)).status, 401);
    assert.ok((await reasons('phone-1')).includes('refresh_reuse'));
  });

  test('a retry after the window is reuse: the family is revoked', async () => {
    const s = await signIn('phone-2');
    const lost = await refresh(s.refreshToken);
    assert.equal(lost.status, 200);
    h.clock.advance(REFRESH_GRACE_MS + 1);
    const retry = await refresh(s.refreshToken);
    assert.equal(retry.status, 401);
    assert.equal(await active(lost.body.token), false);
    assert.equal((await refresh(lost.body.refreshToken)).status, 401);
    assert.ok((await reasons('phone-2')).includes('refresh_reuse'));
  });

  test('one retry a token: a second retry of the same token (two answers lost) is reuse', async () => {
    const s = await signIn('phone-3');
    assert.equal((await refresh(s.refreshToken)).status, 200);
    const first = await refresh(s.refreshToken);
    assert.equal(first.status, 200);
    const second = await refresh(s.refreshToken);
    assert.equal(second.status, 401);
    assert.equal(await active(first.body.token), false);
    assert.ok((await reasons('phone-3')).includes('refresh_reuse'));
  });

  test('a thief replaying a token whose successor its owner already used revokes the family, inside the window too', async () => {
    const s = await signIn('victim-1');
    const stolen = s.refreshToken;
    const owner1 = await refresh(s.refreshToken);
    assert.equal(owner1.status, 200);
    const owner2 = await refresh(owner1.body.refreshToken);
    assert.equal(owner2.status, 200);
    const thief = await refresh(stolen);
    assert.equal(thief.status, 401);
    assert.equal(thief.body.error.code, 'verification_failed');
    assert.equal(await active(owner2.body.token), false);
    assert.equal((await refresh(owner2.body.refreshToken)).status, 401, 'the owner signs in again');
    assert.ok((await reasons('victim-1')).includes('refresh_reuse'));
  });

  test('a thief replaying inside the window before the owner’s next refresh: the owner’s next refresh ends the family', async () => {
    const s = await signIn('victim-2');
    const stolen = s.refreshToken;
    const owner = await refresh(s.refreshToken);
    assert.equal(owner.status, 200);
    // Indistinguishable from a lost answer's retry: the thief gets tokens, and the owner's
    // token is spent in its place...
    const thief = await refresh(stolen);
    assert.equal(thief.status, 200);
    // ...so the owner's next refresh is reuse, and the thief's tokens die with the family.
    h.clock.advance(60_000);
    assert.equal((await refresh(owner.body.refreshToken)).status, 401);
    assert.equal(await active(thief.body.token), false);
    assert.equal((await refresh(thief.body.refreshToken)).status, 401);
    assert.ok((await reasons('victim-2')).includes('refresh_reuse'));
  });
});

describe('signet-auth/browser retries a refresh whose answer was lost', () => {
  test('the network drops the answer once: the client retries with the same token and the session lives on', async () => {
    const s = await signIn('phone-browser');
    const lost: { answer: { refreshToken: string } | null } = { answer: null };
    let sent = 0;
    // The first refresh reaches Signet (it commits), then the answer is lost on the way back.
    const flakyFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).endsWith('/v1/tokens/refresh') && sent++ === 0) {
        lost.answer = (await response.json()) as { refreshToken: string };
        throw new TypeError('fetch failed');
      }
      return response;
    };
    const browser = createSignetBrowserClient({ baseUrl, appId: h.app.id, fetch: flakyFetch });
    const refreshed = await browser.refresh(s.refreshToken);
    assert.equal(sent, 2, 'one request, one retry');
    assert.ok(lost.answer !== null, 'the first answer was given by the server');
    assert.notEqual(refreshed.refreshToken, lost.answer.refreshToken);
    assert.equal(await active(refreshed.token), true);
    const next = await browser.refresh(refreshed.refreshToken);
    assert.equal(await active(next.token), true, 'the session carries on');
    assert.ok(!(await reasons('phone-browser')).includes('refresh_reuse'));
  });

  test('an HTTP error is an answer: it is not retried', async () => {
    let sent = 0;
    const counting: typeof fetch = async (input, init) => {
      sent++;
      return fetch(input, init);
    };
    const browser = createSignetBrowserClient({ baseUrl, appId: h.app.id, fetch: counting });
    await assert.rejects(browser.refresh(`srt_${'A'.repeat(43)}`), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'verification_failed');
      return true;
    });
    assert.equal(sent, 1);
  });
});
