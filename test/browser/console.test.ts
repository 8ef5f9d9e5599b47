// The admin console in real Chromium: sign-in; the attempts overview (logins apart from
// registrations by scheme, failure rates, top failure reasons); the audit log filtered and paged
// on the server; a user's credentials with revoke; creating an app (its secret shown once) and
// editing its settings; rotating its secret; the whole page at 390 px. Its screenshots come from
// `npm run screenshots`, never from a test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import type { Page } from 'playwright-core';
import { createSignetClient } from '../../src/client/createSignetClient.js';
import type { AuditRecord } from '../../src/store/types.js';
import { kindOf, seedConsoleAudit, type Seeded } from './consoleSeed.js';
import { launchBrowser, startStack, type Browser, type Stack } from './support.js';

const ADMIN_TOKEN = randomBytes(32).toString('base64url');

let stack: Stack;
let browser: Browser;
let page: Page;
let seeded: Seeded;

/** The chart's bars summed by `kind scheme outcome`, read from the SVG the page drew. */
async function chartTotals(p: Page): Promise<Map<string, number>> {
  const bars = await p.$$eval('#chart svg rect[data-count]', (rects) =>
    rects.map(
      (r) =>
        [
          `${r.getAttribute('data-kind')} ${r.getAttribute('data-scheme')} ${r.getAttribute('data-outcome')}`,
          Number(r.getAttribute('data-count')),
        ] as const,
    ),
  );
  const totals = new Map<string, number>();
  for (const [key, count] of bars) totals.set(key, (totals.get(key) ?? 0) + count);
  return totals;
}

/** The audit table's rows as shown: id and the cells by header. */
async function auditRows(p: Page): Promise<Array<{ id: string; cells: string[] }>> {
  return p.$$eval('#audit tbody tr[data-id]', (trs) =>
    trs.map((tr) => ({
      id: (tr as HTMLElement).dataset['id'] ?? '',
      cells: Array.from(tr.children).map((td) => td.textContent ?? ''),
    })),
  );
}

/** Waits until the audit table shows `n` records (at least one for `'some'`). */
async function waitForAudit(p: Page, n: number | 'some'): Promise<void> {
  // A function, not a string: the console's CSP forbids eval.
  await p.waitForFunction((want) => {
    const shown = document.querySelectorAll('#audit tbody tr[data-id]').length;
    return want === 'some' ? shown > 0 : shown === want;
  }, n);
}

const newestFirst = (records: AuditRecord[]): AuditRecord[] =>
  [...records].sort((a, b) => b.at - a.at || Number(b.id.slice(8)) - Number(a.id.slice(8)));

before(async () => {
  // The browser first: without Chromium the file fails at once, with nothing left running.
  browser = await launchBrowser();
  stack = await startStack({ adminToken: ADMIN_TOKEN });
  seeded = await seedConsoleAudit(stack.store, stack.app.id);
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ format: 'der', type: 'spki' })
    .toString('base64');
  assert.equal(
    (await stack.client.registerCredential('alice', { type: 'device', publicKey: key, label: 'Pixel 8' }))
      .status,
    201,
  );
  // A wallet, put in the store directly: registering it through the API (with its proof of
  // possession) would add an audit record, and the chart and paging cases compare the log with
  // exactly the seeded records.
  const wallet = Wallet.createRandom();
  await stack.store.credentials.create({
    id: 'cred_console_wallet',
    appId: stack.app.id,
    userId: 'alice',
    type: 'eth',
    label: null,
    deviceId: null,
    account: wallet.address.toLowerCase(),
    publicKey: { address: wallet.address },
    counter: 0,
    createdAt: Date.now(),
    lastUsedAt: null,
  });
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

  test('lists the apps, the first selected, in the table and the header picker', async () => {
    await page.waitForSelector(`#apps tr.selected[data-app-id="${stack.app.id}"]`);
    const cells = await page.$$eval(`#apps tr[data-app-id="${stack.app.id}"] td`, (tds) =>
      tds.map((td) => td.textContent),
    );
    assert.equal(cells[0], 'Acme Notes');
    assert.equal(cells[2], 'localhost');
    assert.equal(cells[3], stack.demo.url);
    assert.equal(await page.inputValue('#app-select'), stack.app.id);
  });

  test('charts logins apart from registrations, by scheme and outcome, as stacked SVG bars', async () => {
    await page.waitForSelector('#chart svg rect[data-count]');
    assert.deepEqual(await chartTotals(page), seeded.byKey);
    const panels = await page.$$eval('#chart figure', (fs) =>
      fs.map((f) => (f as HTMLElement).dataset['kind']),
    );
    assert.deepEqual(panels, ['login', 'registration']);
    const schemes = await page.$$eval('#chart figure[data-kind="login"] rect[data-count]', (rects) =>
      [...new Set(rects.map((r) => r.getAttribute('data-scheme')))].sort(),
    );
    assert.deepEqual(schemes, ['device', 'eos', 'eth', 'mykey', 'webauthn']);
    const buckets = await page.$$eval(
      '#chart figure[data-kind="login"] rect[data-count]',
      (rects) => new Set(rects.map((r) => r.getAttribute('data-bucket'))).size,
    );
    assert.ok(buckets >= 20, `login bars in ${buckets} of 24 hourly buckets`);
    // Each panel's legend lists its own series with their totals.
    const legend = await page.$$eval('#chart figure[data-kind="registration"] .legend li', (items) =>
      items.map((li) => li.textContent),
    );
    assert.deepEqual(legend, [
      `device success (${seeded.byKey.get('registration device success')})`,
      `eth failure (${seeded.byKey.get('registration eth failure')})`,
      `webauthn success (${seeded.byKey.get('registration webauthn success')})`,
    ]);
    // Failures are hatched with their scheme's pattern, successes filled.
    const fills = await page.$$eval('#chart svg rect[data-outcome="failure"]', (rects) =>
      rects.map((r) => r.getAttribute('fill')),
    );
    assert.ok(fills.length > 0 && fills.every((f) => /^url\(#hatch-/.test(f ?? '')));
  });

  test('shows the failure rate of logins and of registrations, and the top failure reasons', async () => {
    const tiles = await page.$$eval('#summary .tile', (ts) =>
      ts.map((t) => {
        const d = (t as HTMLElement).dataset;
        return [
          d['kind'],
          Number(d['attempts']),
          Number(d['failures']),
          t.querySelector('.rate')?.textContent,
        ];
      }),
    );
    for (const kind of ['login', 'registration']) {
      const ofKind = seeded.records.filter((r) => kindOf(r.action) === kind);
      const failures = ofKind.filter((r) => r.outcome === 'failure').length;
      const tile = tiles.find((t) => t[0] === kind);
      assert.deepEqual(tile?.slice(1, 3), [ofKind.length, failures], kind);
      const shown = Number(/^([\d.]+)%/.exec(String(tile?.[3]))?.[1]);
      assert.ok(Math.abs(shown - (failures / ofKind.length) * 100) < 1, `${kind}: ${tile?.[3]}`);
    }
    const expected = new Map<string, number>();
    for (const r of seeded.records)
      if (r.outcome === 'failure') expected.set(r.reason!, (expected.get(r.reason!) ?? 0) + 1);
    const reasons = await page.$$eval('#reasons li[data-reason]', (items) =>
      items.map((li) => [
        (li as HTMLElement).dataset['reason'],
        Number(li.querySelector('.count')?.textContent),
      ]),
    );
    assert.deepEqual(
      reasons,
      [...expected.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    );
  });

  test('the period switch redraws the chart for the last hour', async () => {
    await page.selectOption('#period', '1');
    await page.waitForFunction(() => {
      const bars = document.querySelectorAll('#chart svg rect[data-count]');
      return bars.length > 0 && Array.from(bars).every((b) => Number(b.getAttribute('data-bucket')) < 12);
    });
    const lastHour = [...(await chartTotals(page)).values()].reduce((a, b) => a + b, 0);
    assert.ok(lastHour > 0 && lastHour < seeded.records.length, `${lastHour} of ${seeded.records.length}`);
    await page.selectOption('#period', '24');
    await page.waitForFunction(() => document.querySelectorAll('#chart svg rect[data-count]').length > 40);
  });

  test('pages through the whole audit log with "Load older records", newest first, nothing repeated', async () => {
    await waitForAudit(page, 50);
    const all = newestFirst(seeded.records);
    for (let shown = 50; shown < all.length; shown += 50) {
      await page.click('#audit-more');
      const want = Math.min(shown + 50, all.length);
      await waitForAudit(page, want);
    }
    await page.waitForSelector('#audit-more', { state: 'hidden' });
    const rows = await auditRows(page);
    assert.deepEqual(
      rows.map((r) => r.id),
      all.map((r) => r.id),
    );
  });

  test('filters the audit log by user prefix, scheme, outcome and reason on the server', async () => {
    await page.fill('#audit-user', 'al');
    await page.selectOption('#audit-scheme', 'eth');
    await page.selectOption('#audit-outcome', 'success');
    await page.click('#audit-form button[type=submit]');
    const want = seeded.records.filter(
      (r) => r.userId!.startsWith('al') && r.scheme === 'eth' && r.outcome === 'success',
    );
    assert.ok(want.length > 0);
    await waitForAudit(page, want.length);
    assert.deepEqual(
      (await auditRows(page)).map((r) => r.id),
      newestFirst(want).map((r) => r.id),
    );

    // A top reason's link shows exactly its failures.
    await page.click('#reasons li[data-reason="replayed"] button');
    const replayed = seeded.records.filter((r) => r.reason === 'replayed');
    await waitForAudit(page, replayed.length);
    const rows = await auditRows(page);
    assert.ok(rows.every((r) => r.cells[3] === 'failure' && r.cells[4] === 'replayed'));
    assert.equal(await page.inputValue('#audit-reason'), 'replayed');
    assert.equal(await page.inputValue('#audit-user'), '');

    await page.click('#audit-reset');
    await waitForAudit(page, 50);
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

  test('creates an app: its secret is shown once, works, and is gone after "I have stored it"', async () => {
    await page.click('#app-new');
    await page.fill('#app-create-form input[name=name]', 'Tiki Shop');
    await page.fill(
      '#app-create-form textarea[name=origins]',
      'https://shop.example\nhttps://m.shop.example',
    );
    await page.click('#app-create-form button[type=submit]');
    await page.waitForSelector('#secret-box:not([hidden])');
    const appId = (await page.textContent('#secret-app-id')) ?? '';
    const secret = (await page.textContent('#secret-value')) ?? '';
    assert.match(secret, /^[A-Za-z0-9]{64}$/);
    assert.equal(await page.isVisible('#app-create-form'), false, 'the form closes');
    const created = await stack.store.apps.get(appId);
    assert.equal(created?.name, 'Tiki Shop');
    assert.deepEqual(created?.origins, ['https://shop.example', 'https://m.shop.example']);
    assert.equal(created?.rpId, 'shop.example');
    // The new app is selected, and its secret signs server-API calls.
    assert.equal(await page.inputValue('#app-select'), appId);
    const client = createSignetClient({ baseUrl: stack.signetUrl, appId, secret });
    assert.equal((await client.listCredentials('nobody')).status, 200);

    await page.click('#secret-done');
    assert.equal(await page.isVisible('#secret-box'), false);
    assert.equal(await page.textContent('#secret-value'), '');
    await page.reload();
    await page.waitForSelector('#dashboard:not([hidden])');
    assert.ok(!(await page.content()).includes(secret), 'no page shows the secret again');
  });

  test("edits the selected app's origins, rpId, lockout and token lifetime", async () => {
    await page.selectOption('#app-select', { label: 'Tiki Shop' });
    const appId = await page.inputValue('#app-select');
    await page.waitForFunction(
      () =>
        (document.querySelector('#settings-form input[name=name]') as HTMLInputElement).value === 'Tiki Shop',
    );
    await page.fill('#settings-form textarea[name=origins]', 'https://shop.example');
    await page.fill('#settings-form input[name=rpId]', 'shop.example');
    await page.fill('#settings-form input[name=lockoutMaxFailures]', '7');
    await page.fill('#settings-form input[name=lockoutWindowMs]', '120000');
    await page.fill('#settings-form input[name=tokenTtlSec]', '600');
    await page.check('#settings-form input[name=requireUserVerification]');
    await page.click('#settings-form button[type=submit]');
    await page.waitForFunction(() =>
      /^Saved/.test(document.getElementById('settings-message')?.textContent ?? ''),
    );
    const app = (await stack.store.apps.get(appId))!;
    assert.deepEqual(app.origins, ['https://shop.example']);
    assert.equal(app.rpId, 'shop.example');
    assert.equal(app.settings.lockoutMaxFailures, 7);
    assert.equal(app.settings.lockoutWindowMs, 120_000);
    assert.equal(app.settings.tokenTtlSec, 600);
    assert.equal(app.settings.requireUserVerification, true);
    assert.equal(app.settings.skewMs, 300_000, 'untouched settings stay');

    // A bad value is refused with its code, and nothing changes.
    await page.fill('#settings-form textarea[name=origins]', 'ftp://shop.example');
    await page.click('#settings-form button[type=submit]');
    await page.waitForFunction(() =>
      /^invalid_request/.test(document.getElementById('settings-message')?.textContent ?? ''),
    );
    assert.deepEqual((await stack.store.apps.get(appId))!.origins, ['https://shop.example']);
  });

  test('rotates the secret (shown once, both work) and retires the old one', async () => {
    const appId = await page.inputValue('#app-select');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#rotate-secret');
    await page.waitForSelector('#secret-box:not([hidden])');
    const fresh = (await page.textContent('#secret-value')) ?? '';
    assert.match(fresh, /^[A-Za-z0-9]{64}$/);
    assert.equal((await stack.store.apps.get(appId))!.secrets.length, 2);
    const client = createSignetClient({ baseUrl: stack.signetUrl, appId, secret: fresh });
    assert.equal((await client.listCredentials('nobody')).status, 200);
    await page.click('#secret-done');
    await page.waitForSelector('#end-rotation:not([hidden])');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#end-rotation');
    await page.waitForSelector('#end-rotation', { state: 'hidden' });
    assert.equal((await stack.store.apps.get(appId))!.secrets.length, 1);
    assert.equal((await client.listCredentials('nobody')).status, 200);
  });

  test('an attacker-chosen user id and reason in the audit log show as text, never as markup', async () => {
    const evil = '<img src=x onerror="window.__owned=1">';
    await stack.store.audit.append({
      id: 'au_evil',
      appId: stack.app.id,
      at: Date.now(),
      scheme: 'device',
      action: 'login',
      outcome: 'failure',
      reason: '<script>window.__owned=2</script>',
      userId: evil,
      credentialId: '"><svg onload=window.__owned=3>',
      ip: '203.0.113.66',
    });
    await page.selectOption('#app-select', stack.app.id);
    await page.fill('#audit-user', '<img');
    await page.click('#audit-form button[type=submit]');
    await waitForAudit(page, 1);
    const [shown] = await auditRows(page);
    assert.equal(shown?.cells[5], evil);
    assert.equal(shown?.cells[4], '<script>window.__owned=2</script>');
    assert.equal(await page.locator('#audit img, #audit script, #audit tbody svg').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __owned?: number }).__owned), undefined);
  });

  test('at 390 px: nothing overflows sideways, charts stack, tables become cards, controls stay usable', async () => {
    const phone = await browser.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(`${stack.signetUrl}/console`);
      await phone.waitForSelector('#chart svg rect[data-count]');
      await waitForAudit(phone, 'some');
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
      // Every visible control lies inside the screen and is big enough to tap.
      const outside = await phone.$$eval('button, input, select, textarea', (els) =>
        els
          .filter((e) => (e as HTMLElement).offsetParent !== null)
          .map((e) => ({
            id: e.id || e.getAttribute('name') || e.textContent,
            box: e.getBoundingClientRect(),
          }))
          .filter(({ box }) => box.left < 0 || box.right > window.innerWidth + 0.5 || box.height < 20)
          .map(({ id }) => id),
      );
      assert.deepEqual(outside, []);
      // The two charts sit one above the other, each as wide as the card.
      const boxes = await phone.$$eval('#chart figure', (fs) =>
        fs.map((f) => f.getBoundingClientRect().toJSON()),
      );
      assert.equal(boxes.length, 2);
      assert.ok(boxes[1].top >= boxes[0].bottom, 'stacked');
      assert.ok(boxes[0].width > 300, `chart ${boxes[0].width}px wide`);
      // Audit rows are cards whose cells say what they are.
      assert.equal(await phone.isVisible('#audit thead'), false);
      const labels = await phone.$$eval('#audit tbody tr[data-id]:first-child td', (tds) =>
        tds.map((td) => (td as HTMLElement).dataset['label']),
      );
      assert.deepEqual(labels, ['Time', 'Scheme', 'Action', 'Outcome', 'Reason', 'User', 'Credential', 'IP']);
      // And the filters work there too.
      await phone.selectOption('#audit-outcome', 'failure');
      await phone.click('#audit-form button[type=submit]');
      await phone.waitForFunction(() =>
        Array.from(document.querySelectorAll('#audit tbody tr[data-id]')).every(
          (tr) => tr.children[3]?.textContent === 'failure',
        ),
      );
    } finally {
      await phone.close();
    }
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
