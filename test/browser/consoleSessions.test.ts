// The console's parts of this round in real Chromium: a user's sessions beside the credentials,
// with "Sign out everywhere" (the refresh tokens stop working, checked over HTTP); the app's
// webhook dead letters with "Redeliver"; the settings of this round (wallet proofs, refresh
// lifetime, chain ids) edited and created, the CLI-only ones shown without key material; the
// session and server-API charts; and all of it at 390 px. A stack of its own: console.test.ts
// compares the audit log with exactly its seeded records.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { Page } from 'playwright-core';
import { createSignetClient } from '../../src/client/createSignetClient.js';
import { createApp, updateApp } from '../../src/core/apps.js';
import { setAppWebhook } from '../../src/core/appWebhooks.js';
import { enrolDeviceKey, logInWithDeviceKey } from '../support/deviceKeys.js';
import { fetchJson } from '../support/http.js';
import { launchBrowser, startStack, type Browser, type Stack } from './support.js';

const ADMIN_TOKEN = randomBytes(32).toString('base64url');
const RPC_KEY = 'pr0jectKeyInPath0123456789';
const DEAD_ID = 'msg_console_dead_1';

let stack: Stack;
let browser: Browser;
let page: Page;
let webhookSecret: string;
let device: KeyObject;
const refreshTokens: string[] = [];

const post = (path: string, body: unknown) => fetchJson(`${stack.signetUrl}${path}`, { body });

/** A device-key login of bob over HTTP: the /v1/verify answer (token, refreshToken, ...). */
const login = (): Promise<any> =>
  logInWithDeviceKey(stack.signetUrl, stack.app.id, { userId: 'bob', privateKey: device });

const refresh = (refreshToken: string) => post('/v1/tokens/refresh', { appId: stack.app.id, refreshToken });

const sessionRows = (p: Page) =>
  p.$$eval('#sessions tbody tr[data-session-id]', (trs) =>
    trs.map((tr) => (tr as HTMLElement).dataset['sessionId']),
  );

before(async () => {
  browser = await launchBrowser();
  stack = await startStack({ adminToken: ADMIN_TOKEN });
  device = (await enrolDeviceKey(stack.client, 'bob', { label: 'Laptop' })).privateKey;
  // Two sessions; the second refreshed once (an audited `refresh`).
  refreshTokens.push((await login()).refreshToken);
  const second = await login();
  const rotated = await refresh(second.refreshToken);
  assert.equal(rotated.status, 200);
  refreshTokens.push(rotated.body.refreshToken);
  // A refused server-API call (an audited `server_api` failure).
  const wrong = createSignetClient({ baseUrl: stack.signetUrl, appId: stack.app.id, secret: 'y'.repeat(64) });
  assert.equal((await wrong.audit({ limit: 1 })).status, 401);

  // Settings set with the CLI only: an RPC URL with a provider key, an HTTP signature key, a webhook.
  const pem = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
  await updateApp(stack.deps, stack.app.id, {
    settings: { ethRpc: `https://mainnet.infura.io/v3/${RPC_KEY}`, httpSignatureKey: pem },
  });
  const hook = await setAppWebhook(stack.deps, stack.app.id, { url: 'https://hooks.example/signet' });
  webhookSecret = hook.webhookSecret!;
  // A dead letter, dead-lettered as the dispatcher would (no dispatcher runs in this stack).
  await stack.store.webhooks.enqueue({
    id: DEAD_ID,
    appId: stack.app.id,
    type: 'login.failed',
    payload: JSON.stringify({
      type: 'login.failed',
      timestamp: new Date().toISOString(),
      data: { userId: 'bob' },
    }),
    createdAt: Date.now() - 60_000,
  });
  const claimed = await stack.store.webhooks.claim('lease_console', 100, 60_000);
  assert.ok(claimed.some((m) => m.id === DEAD_ID));
  assert.ok(await stack.store.webhooks.markDead(DEAD_ID, 'lease_console', Date.now(), 'http_500'));

  page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${stack.signetUrl}/console`);
  await page.waitForSelector('#login:not([hidden])');
  await page.fill('#token', ADMIN_TOKEN);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#dashboard:not([hidden])');
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

describe("the console's parts of this round", () => {
  test("a user's sessions show beside the credentials, newest first, without any token", async () => {
    await page.fill('#user-id', 'bob');
    await page.click('#user-form button[type=submit]');
    await page.waitForSelector('#sessions-box:not([hidden]) #sessions tbody tr[data-session-id]');
    const shown = await sessionRows(page);
    assert.equal(shown.length, 2);
    const api = await page.evaluate(async (appId) => {
      const r = await fetch(`/console/api/apps/${appId}/users/bob/sessions`);
      return (await r.json()) as { sessions: Array<{ id: string; amr: string }> };
    }, stack.app.id);
    assert.deepEqual(
      shown,
      api.sessions.map((s) => s.id),
    );
    const cells = await page.$$eval('#sessions tbody tr[data-session-id] td', (tds) =>
      tds.map((td) => td.textContent ?? ''),
    );
    assert.ok(cells.includes('device'), 'signed in with device');
    const html = await page.content();
    for (const t of refreshTokens) assert.ok(!html.includes(t), 'no refresh token in the page');
    assert.ok(await page.isVisible('#credentials'), 'the credentials are shown too');
    assert.equal(await page.textContent('#sessions-message'), '2 active sessions.');
  });

  test('"Sign out everywhere" asks first; dismissed, nothing ends', async () => {
    const dialog = new Promise<string>((resolve) =>
      page.once('dialog', (d) => {
        resolve(d.message());
        void d.dismiss();
      }),
    );
    await page.click('#sign-out-everywhere');
    assert.match(await dialog, /Sign bob out everywhere/);
    assert.equal((await sessionRows(page)).length, 2);
    const still = await refresh(refreshTokens[0]!);
    assert.equal(still.status, 200, 'the session still works');
    refreshTokens[0] = still.body.refreshToken;
  });

  test('"Sign out everywhere", confirmed: the list empties and the refresh tokens stop working', async () => {
    page.once('dialog', (d) => void d.accept());
    await page.click('#sign-out-everywhere');
    await page.waitForFunction(
      () => document.querySelectorAll('#sessions tbody tr[data-session-id]').length === 0,
    );
    assert.equal(await page.textContent('#sessions-message'), 'Signed out of 2 sessions.');
    assert.match((await page.textContent('#sessions tbody')) ?? '', /bob has no active sessions/);
    assert.equal(await page.isVisible('#sign-out-everywhere'), false);
    for (const token of refreshTokens) {
      const r = await refresh(token);
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'verification_failed');
    }
    // The audit log says why (the public answer does not).
    const refused = (await stack.audit('bob')).filter(
      (r) => r.action === 'refresh' && r.outcome === 'failure',
    );
    assert.deepEqual(
      refused.map((r) => r.reason),
      ['session_revoked', 'session_revoked'],
    );
    // The credentials stay: signing out is not revoking.
    assert.equal(await page.$$eval('#credentials tbody tr', (trs) => trs.length), 1);
  });

  test('the dead letters list the app’s dead webhook messages; "Redeliver" queues one again', async () => {
    await page.waitForSelector(`#dead tbody tr[data-message-id="${DEAD_ID}"]`);
    const cells = await page.$$eval(`#dead tbody tr[data-message-id="${DEAD_ID}"] td`, (tds) =>
      tds.map((td) => td.textContent ?? ''),
    );
    assert.equal(cells[1], 'login.failed');
    assert.equal(cells[2], '1');
    assert.equal(cells[3], 'http_500');
    assert.match(cells[4]!, new RegExp(DEAD_ID));
    await page.click(`#dead tr[data-message-id="${DEAD_ID}"] details summary`);
    assert.match(
      (await page.textContent(`#dead tr[data-message-id="${DEAD_ID}"] pre`)) ?? '',
      /"userId": "bob"/,
    );

    await page.click(`#dead button[data-message-id="${DEAD_ID}"]`);
    await page.waitForFunction((id) => !document.querySelector(`#dead tr[data-message-id="${id}"]`), DEAD_ID);
    assert.match((await page.textContent('#webhook-message')) ?? '', /queued for delivery again/);
    assert.match((await page.textContent('#dead tbody')) ?? '', /No dead letters/);
    const message = await stack.store.webhooks.get(stack.app.id, DEAD_ID);
    assert.equal(message?.status, 'pending');
  });

  test('the app editor shows the webhook URL, the secret count and the key settings, never key material', async () => {
    assert.equal(await page.textContent('#ro-webhook-url'), 'https://hooks.example/signet');
    assert.match((await page.textContent('#ro-webhook-secrets')) ?? '', /^1 active/);
    assert.equal(await page.textContent('#ro-httpsig'), 'registered');
    assert.equal(await page.textContent('#ro-eth-rpc'), 'https://mainnet.infura.io/…');
    assert.equal(await page.textContent('#ro-attestation'), 'none');
    const html = await page.content();
    assert.ok(!html.includes(RPC_KEY), 'no RPC key');
    assert.ok(!html.includes(webhookSecret), 'no webhook secret');
    assert.ok(!html.includes('BEGIN PUBLIC KEY'), 'the key is shown as present, not printed');
    // Nothing in the form can set them.
    for (const name of ['ethRpc', 'httpSignatureKey', 'webhookUrl', 'attestation'])
      assert.equal(await page.$(`#settings-form [name="${name}"]`), null, name);
  });

  test('wallet proofs, the refresh lifetime and chain ids are edited, stored and in effect', async () => {
    const form = '#settings-form';
    assert.equal(await page.isChecked(`${form} [name=requireWalletProof]`), true);
    assert.equal(await page.inputValue(`${form} [name=refreshTtlSec]`), String(30 * 86_400));
    // One control per setting (a duplicated name would make the form read a RadioNodeList).
    for (const f of ['#settings-form', '#app-create-form']) {
      const names = await page.$$eval(`${f} [name]`, (els) => els.map((e) => e.getAttribute('name')));
      assert.deepEqual(names, [...new Set(names)], `${f} names each control once`);
    }
    await page.uncheck(`${form} [name=requireWalletProof]`);
    await page.check(`${form} [name=clientChallenges]`);
    await page.fill(`${form} [name=refreshTtlSec]`, '86400');
    await page.fill(`${form} [name=ethChainIds]`, '1, 8453 10');
    await page.click(`${form} button[type=submit]`);
    await page.waitForFunction(() =>
      /^Saved/.test(document.getElementById('settings-message')?.textContent ?? ''),
    );
    const app = await stack.store.apps.get(stack.app.id);
    assert.equal(app?.settings.requireWalletProof, false);
    assert.equal(app?.settings.clientChallenges, true);
    assert.equal(app?.settings.refreshTtlSec, 86_400);
    assert.deepEqual(app?.settings.ethChainIds, [1, 8453, 10]);
    assert.equal(await page.inputValue(`${form} [name=ethChainIds]`), '1, 8453, 10');
    // The CLI-only settings were kept.
    assert.match(app?.settings.ethRpc ?? '', new RegExp(RPC_KEY));
    assert.equal(app?.settings.webhookUrl, 'https://hooks.example/signet');
    assert.equal(app?.settings.webhookSecrets?.length, 1);
    const fresh = await login();
    const expected = Math.floor(Date.now() / 1000) + 86_400;
    assert.ok(Math.abs(fresh.refreshExpiresAt - expected) <= 5, String(fresh.refreshExpiresAt));
  });

  test('a chain id the CLI would refuse is refused with its code, and nothing changes', async () => {
    const before = JSON.stringify(await stack.store.apps.get(stack.app.id));
    for (const bad of ['abc', '0', '1 -5']) {
      await page.evaluate(() => (document.getElementById('settings-message')!.textContent = ''));
      await page.fill('#settings-form [name=ethChainIds]', bad);
      await page.click('#settings-form button[type=submit]');
      await page.waitForFunction(
        () => (document.getElementById('settings-message')?.textContent ?? '') !== '',
      );
      assert.match((await page.textContent('#settings-message')) ?? '', /^invalid_request: /, bad);
    }
    assert.equal(JSON.stringify(await stack.store.apps.get(stack.app.id)), before);
  });

  test('a new app takes wallet proofs, the refresh lifetime and chain ids from the create form', async () => {
    await page.click('#app-new');
    const form = '#app-create-form';
    await page.fill(`${form} [name=name]`, 'Wallet shop');
    await page.fill(`${form} [name=origins]`, 'https://wallet.example');
    await page.fill(`${form} [name=refreshTtlSec]`, '3600');
    await page.fill(`${form} [name=ethChainIds]`, '137');
    await page.uncheck(`${form} [name=requireWalletProof]`);
    await page.click(`${form} button[type=submit]`);
    await page.waitForSelector('#secret-box:not([hidden])');
    const appId = (await page.textContent('#secret-app-id')) ?? '';
    const app = await stack.store.apps.get(appId);
    assert.equal(app?.name, 'Wallet shop');
    assert.equal(app?.settings.refreshTtlSec, 3600);
    assert.deepEqual(app?.settings.ethChainIds, [137]);
    assert.equal(app?.settings.requireWalletProof, false);
    await page.click('#secret-done');
    // A new app has no webhook: shown as off, with no dead letters.
    assert.equal(await page.textContent('#ro-webhook-url'), 'none (webhooks off)');
    await page.waitForSelector('#dead tbody td.empty');
    // Back to the first app for the next cases.
    await page.selectOption('#app-select', stack.app.id);
    await page.waitForFunction(
      (name) => (document.getElementById('settings-app')?.textContent ?? '').includes(name),
      stack.app.name,
    );
  });

  test('an app stored before this round shows the default refresh lifetime and saves', async () => {
    const { app: old } = await createApp(stack.deps, { name: 'Old app', origins: ['https://old.example'] });
    const { refreshTtlSec: _r, requireWalletProof: _w, ...settings } = old.settings;
    await stack.store.apps.update({ ...old, settings: settings as typeof old.settings });
    await page.reload();
    await page.waitForSelector('#dashboard:not([hidden])');
    await page.selectOption('#app-select', old.id);
    await page.waitForFunction(() =>
      (document.getElementById('settings-app')?.textContent ?? '').includes('Old app'),
    );
    assert.equal(await page.inputValue('#settings-form [name=refreshTtlSec]'), String(30 * 86_400));
    assert.equal(await page.isChecked('#settings-form [name=requireWalletProof]'), false, 'as core reads it');
    await page.fill('#settings-form [name=tokenTtlSec]', '600');
    await page.click('#settings-form button[type=submit]');
    await page.waitForFunction(() =>
      /^Saved/.test(document.getElementById('settings-message')?.textContent ?? ''),
    );
    const stored = await stack.store.apps.get(old.id);
    assert.equal(stored?.settings.tokenTtlSec, 600);
    assert.equal(stored?.settings.refreshTtlSec, 30 * 86_400);
    assert.equal(stored?.settings.requireWalletProof, false);
    await page.selectOption('#app-select', stack.app.id);
    await page.waitForFunction(
      (name) => (document.getElementById('settings-app')?.textContent ?? '').includes(name),
      stack.app.name,
    );
  });

  test('sessions and server-API attempts get charts of their own, not "other"', async () => {
    await page.selectOption('#period', '1');
    await page.waitForSelector('#chart figure[data-kind="session"] rect[data-count]');
    const panels = await page.$$eval('#chart figure', (fs) =>
      fs.map((f) => (f as HTMLElement).dataset['kind']),
    );
    assert.deepEqual(panels, ['login', 'registration', 'session', 'server_api']);
    const tiles = await page.$$eval('#summary .tile', (ts) =>
      ts.map((t) => `${(t as HTMLElement).dataset['kind']} ${(t as HTMLElement).dataset['attempts']}`),
    );
    assert.ok(!tiles.some((t) => t.startsWith('other')), tiles.join(','));
    const records = await stack.audit();
    const refreshes = records.filter((r) => r.action === 'refresh').length;
    assert.ok(refreshes >= 4, 'two successful refreshes and two refused after the sign-out');
    assert.ok(tiles.includes(`session ${refreshes}`), tiles.join(','));
    const apiBars = await page.$$eval('#chart figure[data-kind="server_api"] rect[data-count]', (rects) =>
      rects.map((r) => `${r.getAttribute('data-scheme')} ${r.getAttribute('data-outcome')}`),
    );
    assert.deepEqual([...new Set(apiBars)], ['tiniapp failure']);
    // The action filter offers them.
    const actions = await page.$$eval('#audit-action option', (os) =>
      os.map((o) => (o as HTMLOptionElement).value),
    );
    for (const a of ['refresh', 'logout', 'revoke', 'server_api', 'mykey_verify'])
      assert.ok(actions.includes(a), a);
  });

  test('at 390 px: nothing wider than the screen; sessions, dead letters and settings usable', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.fill('#user-id', 'bob');
    await page.click('#user-form button[type=submit]');
    await page.waitForSelector('#sessions tbody tr[data-session-id]');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `page ${width}px wide`);
    for (const selector of [
      '#sign-out-everywhere',
      '#sessions tbody tr[data-session-id]',
      '#dead-refresh',
      '#settings-form [name=ethChainIds]',
      '#settings-form [name=requireWalletProof]',
      '#ro-webhook-url',
    ]) {
      const box = await page.locator(selector).first().boundingBox();
      assert.ok(box, `${selector} is laid out`);
      assert.ok(box.x >= 0 && box.x + box.width <= 390, `${selector} fits: ${JSON.stringify(box)}`);
    }
    // Session rows are labelled cards.
    const labels = await page.$$eval('#sessions tbody tr[data-session-id] td', (tds) =>
      tds.map((td) => (td as HTMLElement).dataset['label']),
    );
    assert.deepEqual(labels.slice(0, 6), [
      'Session',
      'Signed in with',
      'Credential',
      'Started',
      'Last refreshed',
      'Expires',
    ]);
    assert.equal(
      await page.$eval('#sessions thead', (t) => getComputedStyle(t).display),
      'none',
      'the table is stacked as cards',
    );
    page.once('dialog', (d) => void d.accept());
    await page.click('#sign-out-everywhere');
    await page.waitForFunction(
      () => document.querySelectorAll('#sessions tbody tr[data-session-id]').length === 0,
    );
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
