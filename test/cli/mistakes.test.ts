// The start-up mistakes of a newcomer's first hour, each with a stable code and a message that
// says what to do: a port already in use (a second `npm start`), a --host this machine does not
// have, a master key that is not the database's, a --db that is a path, Postgres or Redis down or
// misnamed, an old Node.js. Never `unexpected error`, never a 500 from a server that started
// with the wrong key.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/runCli.js';
import { checkNodeVersion } from '../../src/cli/nodeVersion.js';
import { CLI_ERROR_CODES } from '../../src/cli/io.js';
import { rotateAppSecret } from '../../src/core/apps.js';
import { createSealer, deriveMasterKey } from '../../src/core/sealer.js';
import { openStore } from '../../src/store/openStore.js';
import { silentLogger } from '../../src/core/deps.js';
import { createRandomSource } from '../../src/core/random.js';
import { captureIo, listen, startHarness, tempDir } from '../support/harness.js';
import { TEST_DATABASE_URL } from '../cluster/services.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = import.meta.resolve('tsx');

async function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const io = captureIo({ SIGNET_LOG_LEVEL: 'silent', ...env });
  const code = await runCli(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

/** The one `{ error }` object a `--json` failure prints on stdout. */
function jsonError(stdout: string): { code: string; message: string } {
  const lines = stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stdout, got: ${stdout}`);
  return (JSON.parse(lines[0]!) as { error: { code: string; message: string } }).error;
}

/** A server holding a port on 127.0.0.1, as a first `npm start` would. */
/** The code and message of a human error line, `signet <verb>: <code>: <message>`. */
function lineError(stderr: string, verb: string): { code: string; message: string } {
  const m = new RegExp(`^signet ${verb}: ([a-z_]+): (.*)$`, 'm').exec(stderr);
  assert.ok(m, `an error line on stderr, got: ${stderr}`);
  return { code: m[1]!, message: m[2]! };
}

async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(typeof address === 'object' && address !== null);
  return { port: address.port, server };
}

async function closedPort(): Promise<number> {
  const { port, server } = await holdPort();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('signet serve cannot listen', () => {
  test('a port in use (npm start twice): listen_failed saying so, exit 1', async () => {
    const { port, server } = await holdPort();
    try {
      const r = await cli(['serve', '--port', String(port), '--db', 'sqlite::memory:']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      const error = lineError(r.stderr, 'serve');
      assert.equal(error.code, 'listen_failed');
      assert.match(error.message, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
      assert.match(error.message, /--port/);
      assert.doesNotMatch(r.stderr, /unexpected error|EADDRINUSE/);
    } finally {
      server.close();
    }
  });

  test('a --host that is not an address of this machine: listen_failed naming --host', async () => {
    const port = await closedPort();
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    const r = await cli(['serve', '--port', String(port), '--host', '192.0.2.1', '--db', 'sqlite::memory:']);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^signet serve: listen_failed: cannot listen on 192\.0\.2\.1:\d+: 192\.0\.2\.1 is not an address of this machine; use --host 127\.0\.0\.1/,
    );
    assert.doesNotMatch(r.stderr, /unexpected error/);
  });

  test(
    '--workers 2 on a port in use: the primary stops (no restart loop), exit 1',
    { timeout: 120_000 },
    async () => {
      const { port, server } = await holdPort();
      const dir = tempDir();
      try {
        const r = spawnSync(
          process.execPath,
          [
            '--import',
            TSX,
            join(ROOT, 'src/cli/main.ts'),
            'serve',
            '--workers',
            '2',
            '--port',
            String(port),
            '--db',
            `sqlite:${join(dir.dir, 's.db')}`,
          ],
          {
            cwd: ROOT,
            encoding: 'utf8',
            timeout: 100_000,
            env: {
              ...process.env,
              SIGNET_MASTER_KEY: 'test-master-key-0123456789abcdef',
              SIGNET_LOG_LEVEL: 'warn',
            },
          },
        );
        assert.equal(r.signal, null, `killed by the timeout: ${r.stderr}`);
        assert.equal(r.status, 1, r.stderr);
        assert.match(r.stderr, /listen_failed: cannot listen on 127\.0\.0\.1:\d+: the port is in use/);
        assert.match(r.stderr, /nothing is serving/);
        assert.doesNotMatch(r.stderr, /starting another|unexpected error/);
      } finally {
        server.close();
        dir.remove();
      }
    },
  );
});

describe('signet serve --workers 2, then SIGTERM', () => {
  test(
    'the primary and its workers exit (they used to wait on each other forever), and the port is freed',
    { timeout: 120_000 },
    async () => {
      const port = await closedPort();
      const dir = tempDir();
      const child = spawn(
        process.execPath,
        [
          '--import',
          TSX,
          join(ROOT, 'src/cli/main.ts'),
          'serve',
          '--workers',
          '2',
          '--port',
          String(port),
          '--db',
          `sqlite:${join(dir.dir, 's.db')}`,
        ],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            SIGNET_MASTER_KEY: 'test-master-key-0123456789abcdef',
            SIGNET_LOG_LEVEL: 'warn',
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        await new Promise<void>((resolve, reject) => {
          child.stderr!.on('data', () => {
            if (/listening on http:\/\/127\.0\.0\.1:\d+ with 2 workers/.test(stderr)) resolve();
          });
          void exited.then((code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
        });
        assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
        child.kill('SIGTERM');
        assert.equal(await exited, 0, stderr);
        assert.match(stderr, /shutting down workers/);
        // The port is free again: nothing of the deployment is left listening.
        const probe = createServer();
        await new Promise<void>((resolve, reject) => {
          probe.once('error', reject);
          probe.listen(port, '127.0.0.1', resolve);
        });
        await new Promise<void>((resolve) => probe.close(() => resolve()));
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        dir.remove();
      }
    },
  );
});

describe('a master key that is not the database’s', () => {
  test('every store verb refuses it with master_key_mismatch, and changes nothing', async () => {
    const dir = tempDir();
    const db = `sqlite:${join(dir.dir, 's.db')}`;
    try {
      const made = await cli(['app', 'create', '--name', 'A', '--db', db, '--json'], {
        SIGNET_MASTER_KEY: 'key-A-0123456789',
      });
      assert.equal(made.code, 0, made.stderr);
      const appId = (JSON.parse(made.stdout) as { appId: string }).appId;
      assert.equal(
        (await cli(['keys', 'rotate', '--db', db], { SIGNET_MASTER_KEY: 'key-A-0123456789' })).code,
        0,
      );
      for (const verb of [
        ['app', 'list'],
        ['app', 'rotate-secret', appId],
        ['app', 'set', appId, '--name', 'B'],
        ['keys', 'rotate'],
        ['audit', 'prune', '--older-than-days', '3'],
        ['serve', '--port', String(await closedPort())],
      ]) {
        const json = verb[0] !== 'serve';
        const r = await cli([...verb, '--db', db, ...(json ? ['--json'] : [])], {
          SIGNET_MASTER_KEY: 'key-B-0123456789',
        });
        assert.equal(r.code, 1, verb.join(' '));
        const error = json ? jsonError(r.stdout) : lineError(r.stderr, verb[0]!);
        assert.equal(error.code, 'master_key_mismatch', verb.join(' '));
        assert.match(error.message, /SIGNET_MASTER_KEY does not open the secrets in this database/);
        assert.match(error.message, /Nothing was changed/);
      }
      // Nothing was changed: the right key still opens everything, with no warning.
      const list = await cli(['app', 'list', '--db', db, '--json'], {
        SIGNET_MASTER_KEY: 'key-A-0123456789',
      });
      assert.equal(list.code, 0);
      assert.equal(list.stderr, '');
      const apps = JSON.parse(list.stdout) as {
        apps: { appId: string; name: string; activeSecrets: number }[];
      };
      assert.deepEqual(
        apps.apps.map((a) => [a.appId, a.name, a.activeSecrets]),
        [[appId, 'A', 1]],
      );
    } finally {
      dir.remove();
    }
  });

  test('a database made with the generated key file, then SIGNET_MASTER_KEY set: the message names the file', async () => {
    const dir = tempDir();
    const path = join(dir.dir, 's.db');
    try {
      assert.equal((await cli(['app', 'create', '--name', 'A', '--db', `sqlite:${path}`])).code, 0);
      const r = await cli(['app', 'list', '--db', `sqlite:${path}`], {
        SIGNET_MASTER_KEY: 'production-key-0123456789',
      });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^signet app: master_key_mismatch: /);
      assert.ok(r.stderr.includes(`the key is the contents of ${path}.key`), r.stderr);
      // Doing what the message says works.
      const fromFile = readFileSync(`${path}.key`, 'utf8').trim();
      assert.equal(
        (await cli(['app', 'list', '--db', `sqlite:${path}`], { SIGNET_MASTER_KEY: fromFile })).code,
        0,
      );
    } finally {
      dir.remove();
    }
  });

  test('an app secret sealed by a verb run with another key: a warning naming the app and the fix', async () => {
    const dir = tempDir();
    const db = `sqlite:${join(dir.dir, 's.db')}`;
    const env = { SIGNET_MASTER_KEY: 'key-A-0123456789' };
    try {
      const made = await cli(['app', 'create', '--name', 'A', '--db', db, '--json'], env);
      const appId = (JSON.parse(made.stdout) as { appId: string }).appId;
      assert.equal((await cli(['app', 'create', '--name', 'B', '--db', db], env)).code, 0);
      assert.equal((await cli(['keys', 'rotate', '--db', db], env)).code, 0);
      // What an older signet (before this check) did when run with the wrong key.
      const store = await openStore({ databaseUrl: db });
      try {
        await rotateAppSecret(
          {
            store,
            sealer: createSealer(deriveMasterKey('key-B-0123456789')),
            clock: () => Date.now(),
            random: createRandomSource(),
            issuer: 'http://signet.test',
            log: silentLogger,
            chainFetch: async () => null,
            metadataFetch: async () => '',
          },
          appId,
        );
      } finally {
        await store.close();
      }
      const r = await cli(['app', 'list', '--db', db], env);
      assert.equal(r.code, 0);
      const warnings = r.stderr.split('\n').filter((l) => l.startsWith('signet: warning'));
      assert.equal(warnings.length, 1, r.stderr);
      assert.ok(warnings[0]!.includes(`app ${appId} has a secret sealed with another master key`));
      assert.ok(
        warnings[0]!.includes(
          `signet app rotate-secret ${appId}, then signet app set ${appId} --drop-old-secret`,
        ),
      );
      // The fix the warning gives clears it.
      assert.equal((await cli(['app', 'rotate-secret', appId, '--db', db], env)).code, 0);
      assert.equal((await cli(['app', 'set', appId, '--drop-old-secret', '--db', db], env)).code, 0);
      assert.equal((await cli(['app', 'list', '--db', db], env)).stderr, '');
    } finally {
      dir.remove();
    }
  });
});

describe('--db and the stores behind it', () => {
  test('--db given as a path: a usage error that shows the sqlite: form', async () => {
    for (const value of ['./signet.db', 'signet.db']) {
      const r = await cli(['app', 'list', '--db', value, '--json']);
      assert.equal(r.code, 2);
      const error = jsonError(r.stdout);
      assert.equal(error.code, 'usage_error');
      const serve = await cli(['serve', '--db', value]);
      assert.equal(serve.code, 2);
      assert.ok(serve.stderr.includes(`is a path, not a database URL: write sqlite:${value}`));
      assert.ok(
        error.message.includes(`'${value}' is a path, not a database URL: write sqlite:${value}`),
        error.message,
      );
    }
    const env = await cli(['app', 'list', '--json'], { SIGNET_DATABASE_URL: 'data/signet.db' });
    assert.match(jsonError(env.stdout).message, /SIGNET_DATABASE_URL\) 'data\/signet\.db' is a path/);
  });

  const pg = { SIGNET_MASTER_KEY: 'test-master-key-0123456789abcdef' };

  test('Postgres down: store_unavailable naming the host and port, and what to check', async () => {
    const port = await closedPort();
    const r = await cli(['app', 'list', '--db', `postgres://postgres@127.0.0.1:${port}/test`, '--json'], pg);
    assert.equal(r.code, 1);
    const error = jsonError(r.stdout);
    assert.equal(error.code, 'store_unavailable');
    assert.equal(
      error.message,
      `cannot connect to Postgres at 127.0.0.1:${port}: connection refused: is it running, and on that port? (check --db or SIGNET_DATABASE_URL)`,
    );
  });

  test('a Postgres database that does not exist, a role that does not exist: said, never the password', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = '/signet_no_such_database';
    const noDb = await cli(['app', 'list', '--db', url.toString(), '--json'], pg);
    assert.equal(noDb.code, 1);
    const e1 = jsonError(noDb.stdout);
    assert.equal(e1.code, 'store_unavailable');
    assert.match(
      e1.message,
      /Postgres has no database "signet_no_such_database": create it \(createdb signet_no_such_database\)/,
    );
    const role = new URL(TEST_DATABASE_URL);
    role.username = 'signet_no_such_role';
    role.password = 'hunter2-secret';
    const noRole = await cli(['serve', '--db', role.toString(), '--port', String(await closedPort())], pg);
    assert.equal(noRole.code, 1);
    const e2 = lineError(noRole.stderr, 'serve');
    assert.equal(e2.code, 'store_unavailable');
    assert.match(e2.message, /Postgres refused the login \(.*signet_no_such_role.*\)/);
    assert.doesNotMatch(noRole.stdout + noRole.stderr, /hunter2/);
  });

  test('Redis down: store_unavailable naming Redis, its host and port', async () => {
    const port = await closedPort();
    const r = await cli(
      ['app', 'list', '--db', TEST_DATABASE_URL, '--redis', `redis://:pw-redis@127.0.0.1:${port}`, '--json'],
      pg,
    );
    assert.equal(r.code, 1);
    const error = jsonError(r.stdout);
    assert.equal(error.code, 'store_unavailable');
    assert.match(
      error.message,
      new RegExp(
        `^cannot connect to Redis at 127\\.0\\.0\\.1:${port}: .* \\(check --redis or SIGNET_REDIS_URL\\)$`,
      ),
    );
    assert.doesNotMatch(r.stdout + r.stderr, /pw-redis/);
  });
});

describe('typos', () => {
  test('an unknown option names the nearest the verb has; a missing or mistyped command lists them', async () => {
    const cases: [string[], RegExp][] = [
      [['serve', '--prot', '8080'], /^Unknown option '--prot'; did you mean --port\?$/],
      [
        ['app', 'create', '--name', 'x', '--orgin', 'http://x'],
        /^Unknown option '--orgin'; did you mean --origin\?$/,
      ],
      [['app', 'set', 'x', '--client-challenge'], /did you mean --client-challenges\?$/],
      [['request', 'GET', 'http://x', '--boyd', '{}'], /did you mean --body\?$/],
      [['app', 'list', '--bogus'], /^Unknown option '--bogus'$/],
      [['keys'], /^missing command: rotate, revoke, list$/],
      [['app', '--name', 'x'], /^missing command before '--name': create, list, rotate-secret, set$/],
      [['app', 'crate', '--name', 'x'], /^unknown app command 'crate'; did you mean 'create'\?/],
      [['device'], /^missing command: create-key, sign, delete-key$/],
      [['audit', 'prun'], /did you mean 'prune'\?/],
      [['requets', 'GET', 'http://x'], /^unknown command 'requets'; did you mean 'request'\?$/],
      // `npm start --port 9000`: npm keeps --port and runs `serve 9000`.
      [
        ['serve', '9000'],
        /^unexpected argument '9000': through npm, flags go after --, as in npm start -- --port 9000/,
      ],
      [['app', 'list', 'foo'], /^unexpected argument 'foo'$/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      // A usage error reads `signet <verb>: <message>`, then the usage.
      const first = r.stderr.split('\n')[0]!.replace(/^signet( [a-z]+)?: /, '');
      assert.match(first, message, args.join(' '));
    }
  });
});

describe('signet app: a mistyped APPID, an unquoted name', () => {
  test('not_found names the APPID and the database looked in; stray words are refused before the store opens', async () => {
    const dir = tempDir();
    const path = join(dir.dir, 's.db');
    try {
      const r = await cli(['app', 'set', 'app_typo', '--name', 'x', '--db', `sqlite:${path}`, '--json']);
      assert.equal(r.code, 1);
      const error = jsonError(r.stdout);
      assert.equal(error.code, 'not_found');
      assert.ok(
        error.message.startsWith(`no app 'app_typo' in ${path}; \`npx signet app list\``),
        error.message,
      );
      const unquoted = await cli([
        'app',
        'create',
        '--name',
        'My',
        'app',
        '--db',
        `sqlite:${join(dir.dir, 'u.db')}`,
      ]);
      assert.equal(unquoted.code, 2);
      assert.match(
        unquoted.stderr,
        /^signet app: unexpected argument 'app' \(quote a name with spaces: --name "My app"\)/,
      );
      // `app set $APP` where APP holds app create's JSON: split into words, refused.
      const json = await cli([
        'app',
        'set',
        '{"appId":"x","name":"My',
        'app"}',
        '--name',
        'y',
        '--db',
        `sqlite:${path}`,
      ]);
      assert.equal(json.code, 2);
      assert.match(json.stderr, /unexpected argument 'app"}'/);
      assert.equal(existsSync(join(dir.dir, 'u.db')), false, 'no database made for a refused command');
    } finally {
      dir.remove();
    }
  });
});

describe('signet request without its variables', () => {
  test('names the one that is not set, and where its value comes from', async () => {
    const url = 'http://127.0.0.1:1/v1/audit';
    const noId = await cli(['request', 'GET', url, '--json'], { SIGNET_APP_SECRET: 's' });
    assert.equal(noId.code, 2);
    assert.match(
      jsonError(noId.stdout).message,
      /^SIGNET_APP_ID is not set: export SIGNET_APP_ID and SIGNET_APP_SECRET, the appId and secret `signet app create` printed$/,
    );
    const noSecret = await cli(['request', 'GET', url, '--json'], { SIGNET_APP_ID: 'a' });
    assert.match(jsonError(noSecret.stdout).message, /^SIGNET_APP_SECRET is not set: /);
    const neither = await cli(['request', 'GET', url, '--json']);
    assert.match(jsonError(neither.stdout).message, /^SIGNET_APP_ID and SIGNET_APP_SECRET are not set: /);
  });
});

describe('signet request refused (401): a hint at the likely slip', () => {
  test('a mistyped app id, a wrong secret, a URL host that is not the issuer’s', async () => {
    const h = await startHarness();
    try {
      const url = await listen(h);
      const typoId = await cli(['request', 'GET', `${url}/v1/audit`], {
        SIGNET_APP_ID: h.app.id.slice(0, -1) + (h.app.id.endsWith('x') ? 'y' : 'x'),
        SIGNET_APP_SECRET: h.secret,
      });
      assert.equal(typoId.code, 1);
      assert.match(
        typoId.stderr,
        /signet request: hint: is SIGNET_APP_ID \(\S+\) an app of the database this server uses\?/,
      );
      const wrongSecret = await cli(['request', 'GET', `${url}/v1/audit`], {
        SIGNET_APP_ID: h.app.id,
        SIGNET_APP_SECRET: 'not-the-secret-0123456789',
      });
      assert.equal(wrongSecret.code, 1);
      assert.ok(
        wrongSecret.stderr.includes(`hint: SIGNET_APP_SECRET is not a current secret of app ${h.app.id}`),
      );
      // The harness's issuer is http://signet.test: a signature naming 127.0.0.1 is re-aimed.
      const host = new URL(url).host;
      const authority = await cli(['request', 'GET', `${url}/v1/audit`, '--scheme', 'http-signature'], {
        SIGNET_APP_ID: h.app.id,
        SIGNET_APP_SECRET: h.secret,
      });
      assert.equal(authority.code, 1);
      assert.ok(
        authority.stderr.includes(`hint: the URL names ${host}, not the host of the server's issuer`),
      );
      assert.ok(authority.stderr.includes(`--http-signature-authority ${host}`));
      // A call that works prints no hint.
      const ok = await cli(['request', 'GET', `${url}/v1/audit`], {
        SIGNET_APP_ID: h.app.id,
        SIGNET_APP_SECRET: h.secret,
      });
      assert.equal(ok.code, 0);
      assert.doesNotMatch(ok.stderr, /hint/);
    } finally {
      await h.close();
    }
  });
});

describe('an old Node.js', () => {
  test('checkNodeVersion: 20.19 and newer pass; older says which and what to do', () => {
    for (const ok of ['20.19.0', '20.20.2', '21.0.0', '22.12.0', '24.1.0'])
      assert.equal(checkNodeVersion(ok), null, ok);
    for (const old of ['20.18.3', '18.19.0', '16.20.2']) {
      const message = checkNodeVersion(old);
      assert.ok(message?.startsWith(`Node.js 20.19 or newer is needed; this is Node.js ${old}.`), old);
      assert.match(message!, /npm install/);
    }
  });

  test('the real entry on a Node.js that says 18.19.0: unsupported_node before anything loads', () => {
    const pretend =
      'data:text/javascript,Object.defineProperty(process,"versions",{value:{...process.versions,node:"18.19.0"}})';
    const r = spawnSync(
      process.execPath,
      ['--import', TSX, '--import', pretend, join(ROOT, 'src/cli/main.ts'), 'app', 'list', '--json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    assert.equal(r.status, 1, r.stderr);
    assert.equal(jsonError(r.stdout).code, 'unsupported_node');
    assert.match(
      r.stderr,
      /^signet: unsupported_node: Node\.js 20\.19 or newer is needed; this is Node\.js 18\.19\.0\./,
    );
  });

  test('package.json engines says the same minimum', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    assert.equal(pkg.engines.node, '>=20.19');
  });
});

describe('docs/errors.md', () => {
  test('the CLI errors table lists exactly the CLI’s own codes, usage_error and internal_error', () => {
    const doc = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## CLI errors'), doc.indexOf('## Verification reasons'));
    const listed = [...section.matchAll(/^\| `([a-z_]+)` \| \d \|/gm)].map((m) => m[1]).sort();
    assert.deepEqual(listed, [...CLI_ERROR_CODES, 'usage_error', 'internal_error'].sort());
  });
});
