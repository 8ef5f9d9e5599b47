// The demo app run exactly as examples/demo-app/README.md says (the CLI's `app create` and
// `serve --host 127.0.0.1` with no --issuer and no master key, then the demo with
// SIGNET_URL=http://localhost:PORT), driven in Chromium: a passkey and a device-key login succeed.
// This is the localhost / 127.0.0.1 trap of issue 11: Signet's issuer names 127.0.0.1 while the
// demo reaches it as localhost; the demo reads the issuer from discovery. Only the ports differ
// from the README (free ones, so parallel runs do not collide).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { captureIo, tempDir } from '../support/harness.js';
import { runCli } from '../../src/cli/runCli.js';
import { findFreePort } from '../support/network.js';
import {
  addAuthenticator,
  clickAndExpectOk,
  launchBrowser,
  openDemo,
  setUser,
  shownClaims,
  webauthnSession,
  type Browser,
} from './support.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = import.meta.resolve('tsx');
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

let browser: Browser;
let page: Page;
let dir: ReturnType<typeof tempDir>;
const children: ChildProcess[] = [];
let issuer: string;
let signetPort: number;

function start(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  wait: RegExp,
): Promise<RegExpExecArray> {
  const child = spawn(process.execPath, ['--import', TSX, ...args], {
    cwd,
    env: { ...process.env, SIGNET_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d;
      const m = wait.exec(err);
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code}: ${err}`)));
  });
}

before(async () => {
  browser = await launchBrowser();
  dir = tempDir();
  signetPort = await findFreePort();
  const demoPort = await findFreePort();
  // The README's environment: no SIGNET_* variables at all.
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('SIGNET_') && v !== undefined) clean[k] = v;

  // 1. signet app create --name "Acme Notes" --origin http://localhost:3000 --rp-id localhost --json
  const io = captureIo({});
  const cwd = process.cwd();
  process.chdir(dir.dir);
  try {
    const code = await runCli(
      [
        'app',
        'create',
        '--name',
        'Acme Notes',
        '--origin',
        `http://localhost:${demoPort}`,
        '--rp-id',
        'localhost',
        '--json',
      ],
      io,
    );
    assert.equal(code, 0, io.stderr());
  } finally {
    process.chdir(cwd);
  }
  const app = JSON.parse(io.stdout()) as { appId: string; secret: string };

  //    signet serve --port 8080 --host 127.0.0.1
  const served = await start(
    [MAIN, 'serve', '--port', String(signetPort), '--host', '127.0.0.1'],
    dir.dir,
    { ...clean, SIGNET_LOG_LEVEL: 'warn' },
    /issuer (\S+)/,
  );
  issuer = served[1]!;

  // 2. SIGNET_URL=http://localhost:8080 SIGNET_APP_ID=<appId> SIGNET_APP_SECRET=<secret> \
  //      node --import tsx examples/demo-app/server.ts
  await start(
    ['examples/demo-app/server.ts'],
    ROOT,
    {
      ...clean,
      SIGNET_URL: `http://localhost:${signetPort}`,
      SIGNET_APP_ID: app.appId,
      SIGNET_APP_SECRET: app.secret,
      PORT: String(demoPort),
    },
    /demo-app: open/,
  );
  page = await browser.newPage();
  await openDemo(page, `http://localhost:${demoPort}`);
});

after(async () => {
  await browser?.close();
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
  dir?.remove();
});

describe('the demo app as its README runs it', () => {
  test('Signet names 127.0.0.1 as its issuer while the demo reaches it as localhost', () => {
    assert.equal(issuer, `http://127.0.0.1:${signetPort}`);
  });

  test('passkey: register, then sign in; the backend accepts the token', async () => {
    const cdp = await webauthnSession(browser.context, page);
    await addAuthenticator(cdp);
    await setUser(page, 'alice');
    await clickAndExpectOk(page, 'passkey-register');
    await clickAndExpectOk(page, 'passkey-login');
    const claims = await shownClaims(page);
    assert.equal(claims['iss'], JSON.stringify(issuer));
    assert.equal(claims['sub'], JSON.stringify('alice'));
    assert.equal(claims['amr'], '["webauthn"]');
  });

  test('device key: create, then sign in', async () => {
    await setUser(page, 'bob');
    await clickAndExpectOk(page, 'device-create');
    await clickAndExpectOk(page, 'device-login');
    assert.equal((await shownClaims(page))['sub'], JSON.stringify('bob'));
  });
});
