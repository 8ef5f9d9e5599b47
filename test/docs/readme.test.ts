// README.md's walkthroughs run as written: every ```sh runnable block, in order, in one bash
// process (they share variables as a reader's terminal does) against a real `signet serve`
// started from the build, the way `npm start` runs it. A full-line `# …` comment in such a block
// is output the block must print (`…` stands for anything, runs of spaces for any whitespace).
// The one change made to the text: the README's server URL http://127.0.0.1:8080 becomes the
// test server's (a free port), and the database, the device key and the `.signet/` folder the
// blocks write keys into live in a temp directory (SIGNET_DATABASE_URL, SIGNET_DEVICE_KEY_FILE)
// instead of the checkout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/harness.js';
import { ROOT, withBuiltDist } from '../support/build.js';
import { findFreePort } from '../support/network.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const README_URL = 'http://127.0.0.1:8080';

interface Block {
  line: number;
  code: string;
  expected: RegExp[];
}

function runnableBlocks(): Block[] {
  const blocks: Block[] = [];
  for (const m of README.matchAll(/^```sh runnable\n([\s\S]*?)^```$/gm)) {
    const code = m[1]!;
    const expected = [...code.matchAll(/^# (.+)$/gm)].map(
      (e) =>
        new RegExp(
          '^' +
            e[1]!
              .trim()
              .split('…')
              .map((part) =>
                part
                  .split(/\s+/)
                  .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
                  .join('\\s+'),
              )
              .join('.*') +
            '$',
        ),
    );
    blocks.push({ line: README.slice(0, m.index).split('\n').length, code, expected });
  }
  return blocks;
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('README has runnable walkthroughs for every scheme, MYKEY, Sign-In with Ethereum, RFC 9421, transactions and refresh', () => {
  const all = runnableBlocks()
    .map((b) => b.code)
    .join('\n');
  for (const needle of [
    'app create',
    'signet sign',
    'device create-key',
    '"type\\":\\"eos\\"',
    'signMessage',
    'Chain ID: 1',
    '/v1/mykey/sessions',
    'webauthn/registration/options',
    '\\"transaction\\":$TX',
    '--scheme http-signature',
    '/v1/tokens/refresh',
    'X-Signet-Poll-Secret',
  ]) {
    assert.ok(all.includes(needle), needle);
  }
  assert.ok(runnableBlocks().filter((b) => b.expected.length > 0).length >= 7);
});

test(
  'every runnable README block runs against a real server and prints what it says',
  { timeout: 300_000 },
  async () => {
    const blocks = runnableBlocks();
    const dir = tempDir();
    try {
      const env = {
        ...process.env,
        SIGNET_DATABASE_URL: `sqlite:${join(dir.dir, 'signet.db')}`,
        SIGNET_DEVICE_KEY_FILE: join(dir.dir, 'device-key.pem'),
        SIGNET_LOG_LEVEL: 'warn',
        SIGNET_APP_ID: undefined,
        SIGNET_APP_SECRET: undefined,
        SIGNET_MASTER_KEY: undefined,
      };
      const result = await withBuiltDist(async () => {
        // A free port named up front, as `npm start` names 8080: the issuer and the MYKEY callback
        // URL are built from the configured port.
        const port = await findFreePort();
        const server = spawn(process.execPath, ['dist/cli/main.js', 'serve', '--port', String(port)], {
          cwd: ROOT,
          env,
        });
        try {
          const url = await new Promise<string>((resolve, reject) => {
            let err = '';
            server.stderr.on('data', (d) => {
              err += d;
              const m = /listening on (http:\/\/\S+)/.exec(err);
              if (m) resolve(m[1]!);
            });
            server.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
          });
          const script = [
            'set -euo pipefail',
            // A newline first: curl's answers end without one.
            ...blocks.flatMap((b, i) => [
              `printf '\\n@@block ${i}@@\\n'`,
              b.code.split(README_URL).join(url).split('.signet').join(join(dir.dir, 'dot-signet')),
            ]),
          ].join('\n');
          return await run('bash', ['-c', script], env);
        } finally {
          const exited = new Promise((r) => server.once('exit', r));
          server.kill('SIGTERM');
          await exited;
        }
      });
      assert.equal(result.code, 0, `the walkthrough stopped:\n${result.stdout}\n${result.stderr}`);
      const outputs = result.stdout.split(/^@@block \d+@@$/m).slice(1);
      assert.equal(outputs.length, blocks.length);
      blocks.forEach((block, i) => {
        const lines = outputs[i]!.split('\n');
        for (const want of block.expected) {
          assert.ok(
            lines.some((l) => want.test(l)),
            `README.md:${block.line}: no output line matches ${want}\n--- output ---\n${outputs[i]}`,
          );
        }
      });
    } finally {
      dir.remove();
    }
  },
);
