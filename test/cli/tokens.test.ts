// The CLI's token verbs and flags: `keys list | revoke`, `app create --refresh-ttl`,
// `serve --key-rotation-days` and the issuer `serve` prints. No user mistake prints
// `unexpected error`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { runCliCaptured } from '../support/cli.js';
import { tempDir } from '../support/harness.js';

const MASTER_KEY = randomBytes(32).toString('hex');
let dir: ReturnType<typeof tempDir>;
let db: string;

const cli = (args: string[]) => runCliCaptured(args, { SIGNET_MASTER_KEY: MASTER_KEY });

before(() => {
  dir = tempDir();
  db = `sqlite:${join(dir.dir, 'signet.db')}`;
});
after(() => dir.remove());

describe('signet keys', () => {
  test('list, rotate, revoke: the revoked key is marked and unpublished; a successor is active', async () => {
    const rotated = await cli(['keys', 'rotate', '--db', db, '--json']);
    assert.equal(rotated.code, 0, rotated.stderr);
    const { kid } = JSON.parse(rotated.stdout) as { kid: string };
    const revoked = await cli(['keys', 'revoke', kid, '--db', db, '--json']);
    assert.equal(revoked.code, 0, revoked.stderr);
    const out = JSON.parse(revoked.stdout) as { revoked: boolean; published: string[] };
    assert.equal(out.revoked, true);
    assert.ok(!out.published.includes(kid));
    assert.equal(out.published.length, 1, 'a new active key took over');

    const listed = await cli(['keys', 'list', '--db', db, '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const { keys } = JSON.parse(listed.stdout) as {
      keys: Array<{ kid: string; revokedAt: string | null; retiredAt: string | null; published: boolean }>;
    };
    const k = keys.find((x) => x.kid === kid)!;
    assert.notEqual(k.revokedAt, null);
    assert.notEqual(k.retiredAt, null);
    assert.equal(k.published, false);
    assert.equal(keys.filter((x) => x.retiredAt === null).length, 1);
    const human = await cli(['keys', 'list', '--db', db]);
    assert.match(human.stdout, new RegExp(`${kid}.*REVOKED`));
  });

  test('mistakes: a missing or malformed KID is a usage error (2); an unknown one exits 1', async () => {
    for (const args of [
      ['keys', 'revoke'],
      ['keys', 'revoke', 'a b'],
      ['keys', 'revoke', 'x', 'y'],
      ['keys', 'nope'],
    ]) {
      const r = await cli([...args, '--db', db]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /unexpected error/);
    }
    const unknown = await cli(['keys', 'revoke', 'nosuchkid', '--db', db]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no signing key nosuchkid/);
  });
});

describe('signet app --refresh-ttl', () => {
  test('sets the session lifetime; out of range is refused without a stack', async () => {
    const created = await cli([
      'app',
      'create',
      '--name',
      'x',
      '--refresh-ttl',
      '86400',
      '--db',
      db,
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).settings.refreshTtlSec, 86400);
    const plain = await cli(['app', 'create', '--name', 'y', '--db', db, '--json']);
    assert.equal(JSON.parse(plain.stdout).settings.refreshTtlSec, 30 * 86_400, 'default 30 days');
    const bad = await cli([
      'app',
      'create',
      '--name',
      'z',
      '--refresh-ttl',
      String(400 * 86_400),
      '--db',
      db,
    ]);
    assert.notEqual(bad.code, 0);
    assert.doesNotMatch(bad.stderr, /unexpected error/);
  });
});

describe('signet serve', () => {
  test('--key-rotation-days out of range is a usage error', async () => {
    for (const days of ['0', '366', 'x', '1.5']) {
      const r = await cli(['serve', '--key-rotation-days', days, '--db', db]);
      assert.equal(r.code, 2, `${days}: ${r.stderr}`);
    }
  });

  test('prints the issuer it uses and the rotation schedule; warns when the issuer was derived from 0.0.0.0', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        fileFromRoot('src/cli/main.ts'),
        'serve',
        '--host',
        '0.0.0.0',
        '--port',
        '0',
        '--key-rotation-days',
        '7',
        '--db',
        db,
      ],
      {
        env: { ...process.env, SIGNET_MASTER_KEY: MASTER_KEY, SIGNET_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on('data', (d) => {
        err += d;
        if (/set --issuer/.test(err) && /rotated every 7 days/.test(err)) resolve();
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    const port = /listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(err)?.[1];
    assert.ok(port && port !== '0', err);
    assert.match(err, new RegExp(`issuer http://localhost:${port} `));
  });
});

function fileFromRoot(path: string): string {
  return new URL(`../../${path}`, import.meta.url).pathname;
}

describe('--issuer', () => {
  test('must be an absolute http(s) URL without query or fragment', async () => {
    for (const issuer of ['auth.example.com', 'ftp://x', 'https://a.example/?x=1', 'https://a.example/#f']) {
      const r = await cli(['serve', '--issuer', issuer, '--db', db]);
      assert.equal(r.code, 2, `${issuer}: ${r.stderr}`);
      assert.match(r.stderr, /--issuer must be/);
    }
  });
});
