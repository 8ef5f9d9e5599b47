// The demo page's device-key, passkey and wallet logins in real Chromium (its screenshot for docs/
// comes from `npm run screenshots`, never from a test).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getBytes, Wallet } from 'ethers';
import type { Page } from 'playwright-core';
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

// A fixed test key (never a real wallet): the injected EIP-1193 provider signs with it.
const wallet = new Wallet('0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318');

/**
 * The page side of the test wallet: `window.ethereum.request()` forwards to a function exposed
 * from Node. A string, not a function: tsx would add its `__name` helper to a function's source.
 */
function injectedProvider(binding: string): string {
  return `window.ethereum = {
    isTestWallet: true,
    request: (args) => window[${JSON.stringify(binding)}](args.method, args.params || []),
  };`;
}

let stack: Stack;
let browser: Browser;
let page: Page;
const walletCalls: string[] = [];

before(async () => {
  // The browser first: without Chromium the file fails at once, with nothing left running.
  browser = await launchBrowser();
  stack = await startStack();
  page = await browser.newPage();
  // The wallet extension: window.ethereum.request() answered by an ethers Wallet in Node.
  await page.exposeFunction('__testWallet', async (method: string, params: unknown[]) => {
    walletCalls.push(method);
    switch (method) {
      case 'eth_requestAccounts':
      case 'eth_accounts':
        return [wallet.address.toLowerCase()]; // as MetaMask answers: lowercase
      case 'eth_chainId':
        return '0x1';
      case 'personal_sign': {
        const [data, address] = params as [string, string];
        if (address.toLowerCase() !== wallet.address.toLowerCase()) throw new Error('unknown account');
        return wallet.signMessage(getBytes(data));
      }
      default:
        throw new Error(`unsupported method ${method}`);
    }
  });
  await page.addInitScript(injectedProvider('__testWallet'));
  await openDemo(page, stack.demo.url);
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

describe('the demo page', () => {
  for (const alg of ['ECDSA', 'RSA'] as const) {
    test(`device-key login: the page plays the phone with a WebCrypto ${alg} key`, async () => {
      const userId = `device-${alg.toLowerCase()}`;
      await setUser(page, userId);
      await page.selectOption('#device-alg', alg);
      await clickAndExpectOk(page, 'device-create');
      const { body } = await stack.client.listCredentials(userId);
      const [credential] = (body as { credentials: Array<{ id: string; type: string; deviceId: string }> })
        .credentials;
      assert.equal(credential?.type, 'device');
      assert.equal(credential?.deviceId, 'demo-browser');

      await clickAndExpectOk(page, 'device-login');
      const claims = await shownClaims(page);
      assert.equal(claims['sub'], JSON.stringify(userId));
      assert.equal(claims['amr'], '["device"]');
      assert.equal(claims['cid'], JSON.stringify(credential!.id));
      assert.equal(claims['iss'], JSON.stringify(stack.deps.issuer));
      const [latest] = await stack.audit(userId);
      assert.deepEqual([latest?.scheme, latest?.outcome], ['device', 'success']);
    });
  }

  test('a new device key for the same device replaces the old one', async () => {
    await setUser(page, 'device-ecdsa');
    await page.selectOption('#device-alg', 'RSA');
    await clickAndExpectOk(page, 'device-create');
    const { body } = await stack.client.listCredentials('device-ecdsa');
    assert.equal((body as { credentials: unknown[] }).credentials.length, 1);
    await clickAndExpectOk(page, 'device-login');
  });

  test('wallet login: Sign-In with Ethereum through the injected EIP-1193 provider', async () => {
    await setUser(page, 'walt');
    const linked = await clickAndExpectOk(page, 'wallet-link');
    assert.match(linked, new RegExp(wallet.address), 'the page checksums the lowercase address (EIP-55)');

    await setUser(page, '');
    await clickAndExpectOk(page, 'wallet-login');
    assert.deepEqual(walletCalls.slice(-3), ['eth_requestAccounts', 'eth_chainId', 'personal_sign']);
    const claims = await shownClaims(page);
    assert.equal(claims['sub'], '"walt"');
    assert.equal(claims['amr'], '["eth"]');
    const [latest] = await stack.audit('walt');
    assert.deepEqual([latest?.scheme, latest?.action, latest?.outcome], ['eth', 'login', 'success']);
  });

  test('a wallet that signs with another key is refused', async () => {
    const other = Wallet.createRandom();
    const impostor = await browser.newPage();
    await impostor.exposeFunction('__impostorWallet', async (method: string, params: unknown[]) => {
      if (method === 'eth_requestAccounts') return [wallet.address]; // claims walt's address...
      if (method === 'eth_chainId') return '0x1';
      return other.signMessage(getBytes((params as [string])[0])); // ...signs with another key
    });
    await impostor.addInitScript(injectedProvider('__impostorWallet'));
    try {
      await openDemo(impostor, stack.demo.url);
      const login = await clickAndSettle(impostor, 'wallet-login');
      assert.equal(login.state, 'error');
      assert.match(login.text, /verification_failed/);
    } finally {
      await impostor.close();
    }
  });

  test('a device key, then a passkey registered and used for a login, for Alice Nguyen', async () => {
    const cdp = await webauthnSession(browser.context, page);
    await addAuthenticator(cdp);
    await page.fill('#user-id', 'alice');
    await page.fill('#user-name', 'Alice Nguyen');
    await page.selectOption('#device-alg', 'ECDSA');
    await clickAndExpectOk(page, 'device-create');
    await clickAndExpectOk(page, 'passkey-register');
    await clickAndExpectOk(page, 'passkey-login');
    const claims = await shownClaims(page);
    assert.equal(claims['sub'], '"alice"');
  });
});
