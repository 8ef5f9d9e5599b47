// Shared set-up of the browser suite: a real Signet on a socket, the demo app, headless Debian
// Chromium through playwright-core, and the CDP WebAuthn virtual authenticator.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { createApp, updateApp } from '../../src/core/apps.js';
import type { Deps } from '../../src/core/deps.js';
import type { App, AuditRecord, Store } from '../../src/store/types.js';
import { createSignetClient, type SignetClient } from '../../src/client/createSignetClient.js';
import { startDemoApp, type DemoApp } from '../../examples/demo-app/createDemoApp.js';
import { createTestDeps, startLiveServer } from '../support/liveServer.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ISSUER = 'http://signet.test';
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The flags the issue fixes for headless Debian Chromium. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches Chromium with a fresh user-data-dir. A missing Chromium throws (the test fails; it is
 * never skipped): `.ci/run` installs it.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'signet-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  const first = context.pages()[0];
  let firstUsed = false;
  return {
    context,
    async newPage() {
      if (first && !firstUsed) {
        firstUsed = true;
        return first;
      }
      return context.newPage();
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The virtual authenticator of the issue: an internal CTAP2 platform authenticator with UV. */
export const PLATFORM_AUTHENTICATOR = {
  protocol: 'ctap2',
  transport: 'internal',
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
} as const;

/** A CDP session on a page with the WebAuthn domain enabled. */
export async function webauthnSession(context: BrowserContext, page: Page): Promise<CDPSession> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  return cdp;
}

export async function addAuthenticator(
  cdp: CDPSession,
  options: Partial<typeof PLATFORM_AUTHENTICATOR> = {},
): Promise<string> {
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { ...PLATFORM_AUTHENTICATOR, automaticPresenceSimulation: true, ...options },
  });
  return authenticatorId;
}

export interface Stack {
  signet: FastifyInstance;
  signetUrl: string;
  deps: Deps;
  store: Store;
  app: App;
  secret: string;
  /** The server-API client of the app (Tiniapp-signed). */
  client: SignetClient;
  demo: DemoApp;
  /** Newest first. */
  audit(userId?: string): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

/**
 * Signet on an in-memory SQLite store with a real clock, listening on 127.0.0.1, with one app
 * whose only origin is the demo app's (`http://localhost:<port>`, rpId `localhost`: a secure
 * context over http), and the demo app in front of it.
 */
export async function startStack(options: { adminToken?: string } = {}): Promise<Stack> {
  const deps = createTestDeps({ issuer: ISSUER });
  const { store } = deps;
  const created = await createApp(deps, {
    name: 'Acme Notes',
    origins: ['http://localhost:1'],
    rpId: 'localhost',
  });
  const live = await startLiveServer({
    deps,
    server: options.adminToken ? { adminToken: options.adminToken } : {},
  });
  const signetUrl = live.url;
  const demo = await startDemoApp({
    signetUrl,
    appId: created.app.id,
    secret: created.secret,
    issuer: ISSUER,
    port: 0,
  });
  const app = await updateApp(deps, created.app.id, { origins: [demo.url] });
  return {
    signet: live.server,
    signetUrl,
    deps,
    store,
    app,
    secret: created.secret,
    client: createSignetClient({ baseUrl: signetUrl, appId: app.id, secret: created.secret }),
    demo,
    audit: (userId) => store.audit.list(app.id, { limit: 100, ...(userId ? { userId } : {}) }),
    async close() {
      await demo.close();
      await live.close();
    },
  };
}

/** Clicks a demo-page button and waits for the status line to settle; returns its state and text. */
export async function clickAndSettle(page: Page, id: string): Promise<{ state: string; text: string }> {
  const status = page.locator('#status');
  // WebAuthn ceremonies need the document focused: with several pages open, bring this one up.
  await page.bringToFront();
  await page.locator(`#${id}`).click();
  await page.waitForFunction(() => {
    const s = document.getElementById('status');
    return (
      s !== null &&
      (s.dataset['state'] === 'ok' || s.dataset['state'] === 'error') &&
      !document.querySelector('button:disabled')
    );
  });
  return { state: (await status.getAttribute('data-state')) ?? '', text: (await status.textContent()) ?? '' };
}

/**
 * {@link clickAndSettle} for a step that must succeed: asserts the status settled `ok` (its text as
 * the message) and returns the status text.
 *
 * @example
 * await clickAndExpectOk(page, 'passkey-register');
 */
export async function clickAndExpectOk(page: Page, id: string): Promise<string> {
  const settled = await clickAndSettle(page, id);
  assert.equal(settled.state, 'ok', settled.text);
  return settled.text;
}

/** Opens the demo page and waits until its script is wired. */
export async function openDemo(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
}

/** Sets the demo page's user id. */
export async function setUser(page: Page, userId: string): Promise<void> {
  await page.fill('#user-id', userId);
  await page.fill('#user-name', userId);
}

/** The claims the demo backend verified, as shown in the page. */
export async function shownClaims(page: Page): Promise<Record<string, string>> {
  return page.$$eval('#claims tr', (rows) =>
    Object.fromEntries(
      rows.map((r) => [r.querySelector('th')?.textContent ?? '', r.querySelector('td')?.textContent ?? '']),
    ),
  );
}
