// Passkeys end to end in real Chromium: the demo page, signet/browser, the CDP virtual
// authenticator, the demo backend (server API through createSignetClient) and Signet.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CDPSession, Page } from 'playwright-core';
import { startDemoApp, type DemoApp } from '../../examples/demo-app/createDemoApp.js';
import {
  addAuthenticator,
  clickAndExpectOk,
  clickAndSettle,
  launchBrowser,
  openDemo,
  setUser,
  shownClaims,
  startStack,
  webauthnSession,
  type Browser,
  type Stack,
} from './support.js';

let stack: Stack;
let browser: Browser;
let page: Page;
let cdp: CDPSession;
let authenticator: string;

async function passkeys(
  userId: string,
): Promise<Array<{ id: string; publicKey: { alg: number }; counter: number }>> {
  const listed = await stack.client.listCredentials(userId);
  assert.equal(listed.status, 200);
  assert.ok(listed.ok);
  return listed.body.credentials
    .filter((c) => c.type === 'webauthn')
    .map((c) => ({ id: c.id, publicKey: c.publicKey as { alg: number }, counter: c.counter }));
}

/** Swaps the page's authenticator for a fresh one; returns the old one's credentials. */
async function swapAuthenticator(): Promise<Array<Record<string, unknown>>> {
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator });
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: authenticator });
  authenticator = await addAuthenticator(cdp);
  return credentials as unknown as Array<Record<string, unknown>>;
}

before(async () => {
  // The browser first: without Chromium the file fails at once, with nothing left running.
  browser = await launchBrowser();
  stack = await startStack();
  page = await browser.newPage();
  await openDemo(page, stack.demo.url);
  cdp = await webauthnSession(browser.context, page);
  authenticator = await addAuthenticator(cdp);
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

describe('passkeys in Chromium', () => {
  test('register, then log in with and without a userId; the backend checks the token against the JWKS', async () => {
    await setUser(page, 'alice');
    await clickAndExpectOk(page, 'passkey-register');
    const [passkey] = await passkeys('alice');
    assert.ok(passkey);

    await clickAndExpectOk(page, 'passkey-login');
    let claims = await shownClaims(page);
    assert.equal(claims['sub'], '"alice"');
    assert.equal(claims['aud'], JSON.stringify(stack.app.id));
    assert.equal(claims['amr'], '["webauthn"]');
    assert.equal(claims['cid'], JSON.stringify(passkey.id));

    await setUser(page, '');
    await clickAndExpectOk(page, 'passkey-login-any');
    assert.equal(await page.inputValue('#user-id'), 'alice');
    claims = await shownClaims(page);
    assert.equal(claims['sub'], '"alice"');

    const audit = await stack.audit('alice');
    assert.deepEqual(
      audit.map((r) => [r.action, r.outcome]),
      [
        ['login', 'success'],
        ['login', 'success'],
        ['register', 'success'],
      ],
    );
  });

  test('a second passkey on another authenticator; both sign in', async () => {
    await setUser(page, 'bob');
    await clickAndExpectOk(page, 'passkey-register');
    const first = await swapAuthenticator();
    await clickAndExpectOk(page, 'passkey-register');
    const both = await passkeys('bob');
    assert.equal(both.length, 2);

    // The new authenticator signs in (no userId: its discoverable credential names bob).
    await setUser(page, '');
    await clickAndExpectOk(page, 'passkey-login-any');
    const second = (await shownClaims(page))['cid'];

    // Back to the first authenticator (its credentials carried over): it signs in too, by userId.
    await swapAuthenticator();
    for (const credential of first) {
      if (credential['rpId'] === 'localhost' && credential['isResidentCredential']) {
        await cdp.send('WebAuthn.addCredential', {
          authenticatorId: authenticator,
          credential: credential as never,
        });
      }
    }
    await setUser(page, 'bob');
    await clickAndExpectOk(page, 'passkey-login');
    const firstCid = (await shownClaims(page))['cid'];
    assert.notEqual(firstCid, second);
    assert.deepEqual(new Set([firstCid, second]), new Set(both.map((c) => JSON.stringify(c.id))));
  });

  for (const [name, alg] of [
    ['EdDSA', -8],
    ['ES256', -7],
    ['RS256', -257],
  ] as const) {
    test(`${name} (COSE ${alg}) chosen by the authenticator: registers and signs in`, async () => {
      const userId = `alg-${name}`;
      // The authenticator takes the first algorithm of pubKeyCredParams it supports: put ours first.
      await page.route('**/api/passkeys/options', async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as { options: { pubKeyCredParams: Array<{ alg: number }> } };
        const params = body.options.pubKeyCredParams;
        body.options.pubKeyCredParams = [
          ...params.filter((p) => p.alg === alg),
          ...params.filter((p) => p.alg !== alg),
        ];
        await route.fulfill({ response, json: body });
      });
      try {
        await setUser(page, userId);
        await clickAndExpectOk(page, 'passkey-register');
      } finally {
        await page.unroute('**/api/passkeys/options');
      }
      const [passkey] = await passkeys(userId);
      assert.equal(passkey?.publicKey.alg, alg);
      await clickAndExpectOk(page, 'passkey-login');
      assert.equal((await shownClaims(page))['cid'], JSON.stringify(passkey!.id));
    });
  }

  test('a cloned authenticator whose counter went back is refused: counter_regression in the audit', async () => {
    await setUser(page, 'carol');
    await clickAndExpectOk(page, 'passkey-register');
    await clickAndExpectOk(page, 'passkey-login');
    await clickAndExpectOk(page, 'passkey-login');
    const [stored] = await passkeys('carol');
    assert.ok(stored && stored.counter > 0, 'the virtual authenticator counts signatures');

    // The clone: the same key and credential on another authenticator, its counter back at 0.
    const original = await swapAuthenticator();
    const credential = original.find(
      (c) => c['credentialId'] !== undefined && c['userHandle'] === Buffer.from('carol').toString('base64'),
    );
    assert.ok(credential, "carol's credential on the first authenticator");
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId: authenticator,
      credential: { ...credential, signCount: 0 } as never,
    });

    const cloned = await clickAndSettle(page, 'passkey-login');
    assert.equal(cloned.state, 'error');
    assert.match(cloned.text, /verification_failed/);
    assert.doesNotMatch(cloned.text, /counter/, 'the public API does not say why');
    const [latest] = await stack.audit('carol');
    assert.equal(latest?.outcome, 'failure');
    assert.equal(latest?.reason, 'counter_regression');
    assert.equal((await passkeys('carol'))[0]?.counter, stored.counter, 'the stored counter did not move');
  });

  describe('a page on a foreign origin', () => {
    let foreign: DemoApp;
    let foreignPage: Page;
    let foreignCdp: CDPSession;
    let foreignAuthenticator: string;

    before(async () => {
      // The same demo app on another port: http://localhost:<other> is not one of the app's origins.
      foreign = await startDemoApp({
        signetUrl: stack.signetUrl,
        appId: stack.app.id,
        secret: stack.secret,
        port: 0,
      });
      assert.ok(!stack.app.origins.includes(foreign.url));
      foreignPage = await browser.newPage();
      await openDemo(foreignPage, foreign.url);
      foreignCdp = await webauthnSession(browser.context, foreignPage);
      foreignAuthenticator = await addAuthenticator(foreignCdp);
    });

    after(async () => {
      await foreignPage?.close();
      await foreign?.close();
    });

    test('its passkey registration is refused by Signet: origin_mismatch', async () => {
      await setUser(foreignPage, 'mallory');
      const reg = await clickAndSettle(foreignPage, 'passkey-register');
      assert.equal(reg.state, 'error');
      assert.match(reg.text, /origin_mismatch/, 'the server API (the app backend) hears the reason');
      assert.equal((await passkeys('mallory')).length, 0);
      assert.equal((await stack.audit('mallory'))[0]?.reason, 'origin_mismatch');
    });

    test('its calls to the public API are refused by CORS', async () => {
      await setUser(foreignPage, 'alice');
      const login = await clickAndSettle(foreignPage, 'passkey-login');
      assert.equal(login.state, 'error');
      assert.match(login.text, /fetch/i);
    });

    test('an assertion made on it and relayed to Signet is refused: origin_mismatch', async () => {
      // Erin's passkey, registered on the real page, copied to the foreign page's authenticator
      // (a phishing page under the same rpId, its assertion relayed by the attacker).
      await setUser(page, 'erin');
      await clickAndExpectOk(page, 'passkey-register');
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator });
      const erin = credentials.find((c) => c.userHandle === Buffer.from('erin').toString('base64'));
      assert.ok(erin);
      await foreignCdp.send('WebAuthn.addCredential', {
        authenticatorId: foreignAuthenticator,
        credential: erin,
      });

      const challenge = (await (
        await fetch(`${stack.signetUrl}/v1/challenges`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ appId: stack.app.id, type: 'webauthn', userId: 'erin' }),
        })
      ).json()) as { challengeId: string; options: unknown };
      const response = await foreignPage.evaluate(async (options) => {
        const lib = (await import('/src/browser/index.js' as string)) as {
          startAuthentication(o: unknown): Promise<unknown>;
        };
        return lib.startAuthentication(options);
      }, challenge.options);
      const verify = await fetch(`${stack.signetUrl}/v1/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          appId: stack.app.id,
          type: 'webauthn',
          challengeId: challenge.challengeId,
          response,
        }),
      });
      assert.equal(verify.status, 401);
      assert.equal(((await verify.json()) as { error: { code: string } }).error.code, 'verification_failed');
      const [latest] = await stack.audit('erin');
      assert.equal(latest?.action, 'login');
      assert.equal(latest?.reason, 'origin_mismatch');
    });
  });

  test("without the browser's JSON helpers (older browsers), signet/browser converts the options and the credential itself", async () => {
    const old = await browser.newPage();
    await old.addInitScript(() => {
      const pkc = PublicKeyCredential as unknown as Record<string, unknown>;
      delete pkc['parseCreationOptionsFromJSON'];
      delete pkc['parseRequestOptionsFromJSON'];
      delete (PublicKeyCredential.prototype as unknown as Record<string, unknown>)['toJSON'];
    });
    try {
      await openDemo(old, stack.demo.url);
      assert.equal(
        await old.evaluate(
          () => typeof (PublicKeyCredential.prototype as unknown as { toJSON?: unknown }).toJSON,
        ),
        'undefined',
      );
      const oldCdp = await webauthnSession(browser.context, old);
      await addAuthenticator(oldCdp);
      await setUser(old, 'dave');
      await clickAndExpectOk(old, 'passkey-register');
      await clickAndExpectOk(old, 'passkey-login');
      await setUser(old, '');
      await clickAndExpectOk(old, 'passkey-login-any');
      assert.equal((await shownClaims(old))['sub'], '"dave"');
    } finally {
      await old.close();
    }
  });
});
