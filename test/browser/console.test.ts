// The admin console in real Chromium: sign-in, apps, a user's credentials with revoke, the audit
// log and the attempts chart (inline SVG). Its screenshots come from `npm run screenshots`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { seedConsoleAudit } from './consoleSeed.js';
import { launchBrowser, startStack, type Browser, type Stack } from './support.js';

const ADMIN_TOKEN = randomBytes(32).toString('base64url');

let stack: Stack;
let browser: Browser;
let page: Page;
/** What was seeded into the audit log within the last 24 hours, by `scheme outcome`. */
const seeded = new Map<string, number>();

/** The chart's bars summed by `scheme outcome`, read from the SVG the page drew. */
async function chartTotals(p: Page): Promise<Map<string, number>> {
  const bars = await p.$$eval('#chart svg rect[data-count]', (rects) =>
    rects.map(
      (r) =>
        [
          `${r.getAttribute('data-scheme')} ${r.getAttribute('data-outcome')}`,
          Number(r.getAttribute('data-count')),
        ] as const,
    ),
  );
  const totals = new Map<string, number>();
  for (const [key, count] of bars) totals.set(key, (totals.get(key) ?? 0) + count);
  return totals;
}

before(async () => {
  // The browser first: without Chromium the file fails at once, with nothing left running.
  browser = await launchBrowser();
  stack = await startStack({ adminToken: ADMIN_TOKEN });
  for (const r of (await seedConsoleAudit(stack.store, stack.app.id)).records) {
    seeded.set(`${r.scheme} ${r.outcome}`, (seeded.get(`${r.scheme} ${r.outcome}`) ?? 0) + 1);
  }
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ format: 'der', type: 'spki' })
    .toString('base64');
  assert.equal(
    (await stack.client.registerCredential('alice', { type: 'device', publicKey: key, label: 'Pixel 8' }))
      .status,
    201,
  );
  assert.equal(
    (
      await stack.client.registerCredential('alice', {
        type: 'eth',
        address: '0x2c7536E3605D9C16a7a3D7b1898e529396a65c23',
      })
    ).status,
    201,
  );
  page = await browser.newPage();
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the admin console', () => {
  test('asks for the admin token; a wrong one is refused; the right one opens an HttpOnly SameSite=Strict session', async () => {
    await page.goto(`${stack.signetUrl}/console`);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#token', 'not-the-admin-token-but-long-enough-to-try');
    await page.click('#login-form button[type=submit]');
    await page.waitForFunction(() => (document.getElementById('login-error')?.textContent ?? '') !== '');
    assert.equal(await page.isVisible('#dashboard'), false);

    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#dashboard:not([hidden])');
    const cookies = await browser.context.cookies(`${stack.signetUrl}/console`);
    const session = cookies.find((c) => c.name === 'signet_console');
    assert.ok(session, 'a session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.path, '/console');
    assert.ok(!session.value.includes(ADMIN_TOKEN), 'the cookie does not carry the token');
    assert.equal(await page.evaluate(() => document.cookie), '', 'scripts cannot read it');
  });

  test('lists the apps, the first selected', async () => {
    await page.waitForSelector(`#apps tr.selected[data-app-id="${stack.app.id}"]`);
    const cells = await page.$$eval(`#apps tr[data-app-id="${stack.app.id}"] td`, (tds) =>
      tds.map((td) => td.textContent),
    );
    assert.equal(cells[0], 'Acme Notes');
    assert.equal(cells[2], 'localhost');
    assert.equal(cells[3], stack.demo.url);
  });

  test('draws the attempts of the last 24 hours by scheme and outcome as stacked SVG bars', async () => {
    await page.waitForSelector('#chart svg rect[data-count]');
    assert.deepEqual(await chartTotals(page), seeded);
    const buckets = await page.$$eval(
      '#chart svg rect[data-count]',
      (rects) => new Set(rects.map((r) => r.getAttribute('data-bucket'))).size,
    );
    assert.ok(buckets >= 20, `bars in ${buckets} of 24 hourly buckets`);
    const legend = await page.$$eval('#legend li', (items) => items.map((li) => li.textContent));
    const expected = [...seeded.keys()]
      .sort((x, y) => {
        const [xs, xo] = x.split(' ') as [string, string];
        const [ys, yo] = y.split(' ') as [string, string];
        return xs.localeCompare(ys) || (xo === yo ? 0 : xo === 'success' ? -1 : 1);
      })
      .map((key) => `${key} (${seeded.get(key)})`);
    assert.deepEqual(legend, expected);
    // Failures are hatched with their scheme's pattern, successes filled.
    const fills = await page.$$eval('#chart svg rect[data-outcome="failure"]', (rects) =>
      rects.map((r) => r.getAttribute('fill')),
    );
    assert.ok(fills.length > 0 && fills.every((f) => /^url\(#hatch-/.test(f ?? '')));
    // Bars sit inside the plot, the tallest one reaching the top gridline at most.
    const box = await page.$eval('#chart svg', (svg) => svg.getBoundingClientRect().height);
    assert.ok(box > 100, 'the chart is drawn at a readable size');
  });

  test('the period switch redraws the chart for the last hour', async () => {
    await page.selectOption('#period', '1');
    await page.waitForFunction(() => {
      const bars = document.querySelectorAll('#chart svg rect[data-count]');
      return bars.length > 0 && Array.from(bars).every((b) => Number(b.getAttribute('data-bucket')) < 12);
    });
    const totals = await chartTotals(page);
    const lastHour = [...totals.values()].reduce((a, b) => a + b, 0);
    const all = [...seeded.values()].reduce((a, b) => a + b, 0);
    assert.ok(lastHour > 0 && lastHour < all, `${lastHour} of ${all} attempts in the last hour`);
    await page.selectOption('#period', '24');
    await page.waitForFunction(() => document.querySelectorAll('#chart svg rect[data-count]').length > 40);
  });

  test("shows a user's credentials and revokes one", async () => {
    await page.fill('#user-id', 'alice');
    await page.click('#user-form button[type=submit]');
    await page.waitForSelector('#credentials:not([hidden]) tbody tr');
    assert.equal(await page.locator('#credentials tbody tr').count(), 2);
    const device = await page.$eval(
      '#credentials tbody tr:first-child button',
      (b) => (b as HTMLButtonElement).dataset['credentialId'],
    );
    assert.ok(device);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click(`#credentials button[data-credential-id="${device}"]`);
    await page.waitForFunction(() => document.querySelectorAll('#credentials tbody tr').length === 1);
    const left = (await stack.store.credentials.listByUser(stack.app.id, 'alice')).map((c) => c.type);
    assert.deepEqual(left, ['eth']);
  });

  test('shows the audit log, newest first, filtered by user', async () => {
    const rows = await page.locator('#audit tbody tr').count();
    assert.equal(rows, 50);
    await page.fill('#audit-user', 'bob');
    await page.click('#audit-form button[type=submit]');
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('#audit tbody tr')).every(
        (tr) => tr.children[5]?.textContent === 'bob',
      ),
    );
    const times = await page.$$eval('#audit tbody tr', (trs) =>
      trs.map((tr) => tr.children[0]?.textContent ?? ''),
    );
    assert.ok(times.length > 0);
    await page.fill('#audit-user', '');
    await page.click('#audit-form button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#audit tbody tr').length === 50);
  });

  test('signing out ends the session', async () => {
    await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');
    const cookies = await browser.context.cookies(`${stack.signetUrl}/console`);
    assert.equal(
      cookies.find((c) => c.name === 'signet_console'),
      undefined,
    );
    const status = await page.evaluate(async () => (await fetch('/console/api/apps')).status);
    assert.equal(status, 401);
  });
});
