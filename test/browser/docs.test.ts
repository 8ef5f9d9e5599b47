// GET /docs: the API reference rendered from /openapi.json, in headless Chromium with every
// request that does not go to Signet itself blocked, so the page is shown to work offline.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, type Browser } from './support.js';
import { listen, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
let base: string;
let browser: Browser;

before(async () => {
  h = await startHarness({ basePath: '/signet' });
  base = (await listen(h)) + '/signet';
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await h?.close();
});

test('/docs renders every operation of /openapi.json with assets from Signet alone', async () => {
  const spec = (await (await fetch(`${base}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const operations = Object.values(spec.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
  assert.ok(operations >= 15, `${operations} operations`);

  const origin = new URL(base).origin;
  const blocked: string[] = [];
  const served: string[] = [];
  const problems: string[] = [];
  const page = await browser.newPage();
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin + '/') || url.startsWith('data:')) {
      served.push(url);
      return route.continue();
    }
    blocked.push(url);
    return route.abort();
  });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));

  const response = await page.goto(`${base}/docs`);
  assert.equal(response?.status(), 200);
  assert.match(response?.headers()['content-security-policy'] ?? '', /default-src 'self'/);
  await page.waitForSelector('.opblock', { timeout: 30_000 });
  const shown = await page.locator('.opblock').count();
  assert.equal(shown, operations, 'one block per operation');
  const paths = await page.locator('.opblock-summary-path').allInnerTexts();
  for (const p of ['/v1/verify', '/v1/challenges', '/v1/mykey/callback/{appId}']) {
    assert.ok(
      paths.some((t) => t.replace(/\u200b/g, '').includes(p)),
      `${p} shown`,
    );
  }
  assert.deepEqual(blocked, [], 'nothing is fetched from outside Signet');
  assert.ok(served.some((u) => u.endsWith('/docs/static/swagger-ui-bundle.js')));
  assert.ok(
    served.some((u) => u.endsWith('/docs/json')),
    'the spec comes from Signet',
  );
  assert.deepEqual(problems, []);
});
