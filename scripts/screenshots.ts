// `npm run screenshots`: regenerates docs/screenshots/*.png on demand (never from `npm test`).
// Starts a real Signet on 127.0.0.1 with an in-memory store, seeds a day of audit records and a
// credential, runs the demo app in front of it, and takes the pictures in headless Chromium
// (/usr/bin/chromium through playwright-core): the console at desktop width (overview, a user's
// credentials and sessions, the app's CLI-set settings and webhook dead letters, then app settings
// with a new app's one-time secret) and at 390 px, and the demo page after a passkey login.
import { createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { setAppWebhook } from '../src/core/appWebhooks.js';
import { seedConsoleAudit } from '../test/browser/consoleSeed.js';
import {
  addAuthenticator,
  clickAndSettle,
  launchBrowser,
  openDemo,
  REPO,
  startStack,
  webauthnSession,
} from '../test/browser/support.js';

const OUT = join(REPO, 'docs/screenshots');
const ADMIN_TOKEN = randomBytes(32).toString('base64url');

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`screenshots: ${what}`);
}

async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/console`);
  await page.waitForSelector('#login:not([hidden])');
  await page.fill('#token', ADMIN_TOKEN);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#dashboard:not([hidden])');
  await page.waitForSelector('#chart svg rect[data-count]');
}

/** A device-key login over HTTP (a session for the user view's picture). */
async function deviceLogin(url: string, appId: string, userId: string, key: KeyObject): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json()) as Record<string, string> };
  };
  const ch = await post('/v1/challenges', { appId, type: 'device', userId });
  check(ch.status === 200, `a challenge answered ${ch.status}`);
  const signature = createSign('sha256').update(ch.json['challenge']!).sign(key).toString('base64');
  const ok = await post('/v1/verify', {
    appId,
    type: 'device',
    challengeId: ch.json['challengeId'],
    userId,
    signature,
  });
  check(ok.status === 200, `a device login answered ${ok.status}`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const browser = await launchBrowser();
  const stack = await startStack({ adminToken: ADMIN_TOKEN });
  const written: string[] = [];
  try {
    await seedConsoleAudit(stack.store, stack.app.id);
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    const device = await stack.client.registerCredential('alice', {
      type: 'device',
      publicKey: key,
      label: 'Pixel 8',
    });
    check(device.status === 201, `registering a device key answered ${device.status}`);
    // Two sessions of alice, a webhook URL and one dead letter, for the user view and the app view.
    for (let i = 0; i < 2; i++) await deviceLogin(stack.signetUrl, stack.app.id, 'alice', pair.privateKey);
    await setAppWebhook(stack.deps, stack.app.id, { url: 'https://notes.example/hooks/signet' });
    const deadId = 'msg_2c8f1e0b7a9d4e6f';
    await stack.store.webhooks.enqueue({
      id: deadId,
      appId: stack.app.id,
      type: 'credential.deleted',
      payload: JSON.stringify({
        type: 'credential.deleted',
        timestamp: new Date().toISOString(),
        data: { userId: 'alice', credentialId: 'cred_8YxQ2m', type: 'device' },
      }),
      createdAt: Date.now() - 3 * 3600_000,
    });
    await stack.store.webhooks.claim('lease_screenshots', 100, 60_000);
    check(
      await stack.store.webhooks.markDead(deadId, 'lease_screenshots', Date.now() - 600_000, 'http_503'),
      'dead-lettering the sample message',
    );

    // The console at desktop width: the overview and the top of the audit log.
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1280, height: 900 });
    await signIn(page, stack.signetUrl);
    await page.waitForSelector('#audit tbody tr[data-id]');
    await page.screenshot({
      path: join(OUT, 'console.png'),
      fullPage: true,
      clip: { x: 0, y: 0, width: 1280, height: 1480 },
    });
    written.push('console.png');

    // A user's credentials and sessions, with "Sign out everywhere".
    await page.fill('#user-id', 'alice');
    await page.click('#user-form button[type=submit]');
    await page.waitForSelector('#sessions tbody tr[data-session-id]');
    const userTop = await page.$eval('#user-card', (e) => e.getBoundingClientRect().top + window.scrollY);
    const userBottom = await page.$eval(
      '#user-card',
      (e) => e.getBoundingClientRect().bottom + window.scrollY,
    );
    await page.screenshot({
      path: join(OUT, 'console-user.png'),
      fullPage: true,
      clip: { x: 0, y: Math.max(0, userTop - 12), width: 1280, height: userBottom - userTop + 24 },
    });
    written.push('console-user.png');

    // The app's settings set with the CLI (read-only) and its webhook dead letters.
    await page.waitForSelector('#dead tbody tr[data-message-id]');
    await page.click('#dead tbody tr[data-message-id] details summary');
    const hooksTop = await page.$eval('#app-readonly', (e) => e.getBoundingClientRect().top + window.scrollY);
    const hooksBottom = await page.$eval(
      '#webhooks-card',
      (e) => e.getBoundingClientRect().bottom + window.scrollY,
    );
    await page.screenshot({
      path: join(OUT, 'console-webhooks.png'),
      fullPage: true,
      clip: { x: 0, y: Math.max(0, hooksTop - 40), width: 1280, height: hooksBottom - hooksTop + 52 },
    });
    written.push('console-webhooks.png');

    // App settings and a new app whose secret is shown once.
    await page.click('#app-new');
    await page.fill('#app-create-form input[name=name]', 'Tiki Shop');
    await page.fill(
      '#app-create-form textarea[name=origins]',
      'https://shop.example\nhttps://m.shop.example',
    );
    await page.click('#app-create-form button[type=submit]');
    await page.waitForSelector('#secret-box:not([hidden])');
    await page.evaluate(() => window.scrollTo(0, 0));
    const top = await page.$eval('#settings-card', (e) => e.getBoundingClientRect().top + window.scrollY);
    const bottom = await page.$eval('#apps', (e) => e.getBoundingClientRect().bottom + window.scrollY);
    await page.screenshot({
      path: join(OUT, 'console-apps.png'),
      fullPage: true,
      clip: { x: 0, y: Math.max(0, top - 12), width: 1280, height: bottom - top + 36 },
    });
    written.push('console-apps.png');

    // The same console on a 390 px phone screen: summary, both charts, top reasons.
    const phone = await browser.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${stack.signetUrl}/console`);
    await phone.waitForSelector('#chart svg rect[data-count]');
    await phone.waitForSelector('#audit tbody tr[data-id]');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 0, `the console is ${overflow}px wider than a 390 px screen`);
    const phoneBottom = await phone.$eval(
      '#audit tbody tr:nth-child(2)',
      (e) => e.getBoundingClientRect().bottom + window.scrollY,
    );
    await phone.screenshot({
      path: join(OUT, 'console-390.png'),
      fullPage: true,
      clip: { x: 0, y: 0, width: 390, height: Math.ceil(phoneBottom) + 12 },
    });
    written.push('console-390.png');
    await phone.close();

    // The demo page after a passkey login.
    const demo = await browser.newPage();
    await openDemo(demo, stack.demo.url);
    const cdp = await webauthnSession(browser.context, demo);
    await addAuthenticator(cdp);
    await demo.fill('#user-id', 'alice');
    await demo.fill('#user-name', 'Alice Nguyen');
    await demo.selectOption('#device-alg', 'ECDSA');
    for (const id of ['device-create', 'passkey-register', 'passkey-login']) {
      const step = await clickAndSettle(demo, id);
      check(step.state === 'ok', `demo step ${id}: ${step.text}`);
    }
    await demo.screenshot({ path: join(OUT, 'demo-app.png'), fullPage: true });
    written.push('demo-app.png');
  } finally {
    await browser.close();
    await stack.close();
  }
  for (const name of written) process.stdout.write(`wrote docs/screenshots/${name}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
