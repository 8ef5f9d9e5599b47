// `npm run screenshots`: regenerates docs/screenshots/*.png on demand (never from `npm test`).
// Starts a real Signet on 127.0.0.1 with an in-memory store, seeds a day of audit records and a
// credential, runs the demo app in front of it, and takes the pictures in headless Chromium
// (/usr/bin/chromium through playwright-core): the console at desktop width (overview, then app
// settings with a new app's one-time secret) and at 390 px, and the demo page after a passkey login.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
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

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const browser = await launchBrowser();
  const stack = await startStack({ adminToken: ADMIN_TOKEN });
  const written: string[] = [];
  try {
    await seedConsoleAudit(stack.store, stack.app.id);
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ format: 'der', type: 'spki' })
      .toString('base64');
    const device = await stack.client.registerCredential('alice', {
      type: 'device',
      publicKey: key,
      label: 'Pixel 8',
    });
    check(device.status === 201, `registering a device key answered ${device.status}`);

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
