// The examples started the way a newcomer gets them wrong: without the variables their README
// names, on a port something else holds, with the wrong app secret. Each says what to set or
// check (never a stack trace), and exits non-zero when it cannot run.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoApp } from '../../examples/demo-app/createDemoApp.js';
import { listen, startHarness } from '../support/harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** Runs an example's server.ts until it exits (bounded), with only the given SIGNET_* variables. */
function runExample(
  example: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('SIGNET_') && k !== 'PORT' && v !== undefined) clean[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'examples', example, 'server.ts')], {
      cwd: ROOT,
      env: { ...clean, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${example} did not exit: ${stderr}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return { port: address.port, server };
}

describe('the API examples and the demo, started wrong', () => {
  for (const example of ['fastify-api', 'node-http-api']) {
    test(`${example}: no SIGNET_APP_ID says to set it (exit 2); a port in use says so (exit 1)`, async () => {
      const missing = await runExample(example, {});
      assert.equal(missing.code, 2);
      assert.match(
        missing.stderr,
        new RegExp(`^${example}: set SIGNET_APP_ID, the app id tokens must be issued to`),
      );
      assert.doesNotMatch(missing.stderr, /TypeError|\bat /);
      const { port, server } = await holdPort();
      try {
        const taken = await runExample(example, { SIGNET_APP_ID: 'app_x', PORT: String(port) });
        assert.equal(taken.code, 1);
        assert.match(
          taken.stderr,
          new RegExp(`^${example}: port ${port} is in use; stop what listens there or set PORT`),
        );
        assert.doesNotMatch(taken.stderr, /EADDRINUSE|\bat /);
      } finally {
        server.close();
      }
    });
  }

  test('demo-app: no SIGNET_APP_SECRET (exit 2); a port in use (exit 1)', async () => {
    const missing = await runExample('demo-app', { SIGNET_APP_ID: 'app_x' });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^demo-app: set SIGNET_APP_SECRET/);
    const { port, server } = await holdPort();
    try {
      const taken = await runExample('demo-app', {
        SIGNET_APP_ID: 'app_x',
        SIGNET_APP_SECRET: 'x',
        PORT: String(port),
      });
      assert.equal(taken.code, 1);
      assert.match(taken.stderr, new RegExp(`^demo-app: port ${port} is in use`));
    } finally {
      server.close();
    }
  });

  test('demo-app with the wrong secret: the 401 reaches the page, and the backend says which variable to check, once', async () => {
    const h = await startHarness();
    const lines: string[] = [];
    const signetUrl = await listen(h);
    const demo = await startDemoApp({
      signetUrl,
      appId: h.app.id,
      secret: 'not-the-app-secret-0123456789',
      port: 0,
      log: (line) => lines.push(line),
    });
    try {
      for (let i = 0; i < 2; i++) {
        const answer = await fetch(`http://127.0.0.1:${demo.port}/api/users/alice/credentials`);
        assert.equal(answer.status, 401);
        const body = (await answer.json()) as { error: { code: string; reason: string } };
        assert.equal(body.error.code, 'unauthenticated');
        assert.equal(body.error.reason, 'signature_invalid');
      }
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.ok(
        lines[0]!.includes(`is SIGNET_APP_SECRET the secret \`signet app create\` printed for ${h.app.id}?`),
      );
      // The browser's favicon request is answered, not a 404 in the page's console.
      assert.equal((await fetch(`http://127.0.0.1:${demo.port}/favicon.ico`)).status, 204);
    } finally {
      await demo.close();
      await h.close();
    }
  });
});
