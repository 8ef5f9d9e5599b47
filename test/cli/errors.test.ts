// Every CLI mistake a newcomer makes gets a typed error: a stable code, a clear message, a
// non-zero exit, and with --json exactly one `{ "error": { "code", "message" } }` on stdout.
// Never `unexpected error`, never a raw `ENOENT: ...`, and no file written before the check.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCliCaptured } from '../support/cli.js';
import { tempDir } from '../support/harness.js';
import { findFreePort } from '../support/network.js';

const cli = (args: string[], env: Record<string, string | undefined> = {}) => runCliCaptured(args, env);

/** Parses stdout as the one JSON error object and returns its code. */
function jsonError(stdout: string): { code: string; message: string } {
  const lines = stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `one line on stdout, got: ${stdout}`);
  const parsed = JSON.parse(lines[0]!) as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(parsed), ['error']);
  assert.deepEqual(Object.keys(parsed.error).sort(), ['code', 'message']);
  assert.equal(typeof parsed.error.message, 'string');
  assert.ok(parsed.error.message.length > 0);
  return parsed.error;
}

const APP_ENV = { SIGNET_APP_ID: 'app_x', SIGNET_APP_SECRET: 'not-a-real-secret-0123456789' };

describe('signet --version', () => {
  test('prints the package version (and { version } with --json)', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const plain = await cli(['--version']);
    assert.equal(plain.code, 0);
    assert.equal(plain.stdout, pkg.version);
    const json = await cli(['--version', '--json']);
    assert.deepEqual(JSON.parse(json.stdout), { version: pkg.version });
    assert.equal((await cli(['-V'])).stdout, pkg.version);
  });
});

describe('signet request mistakes', () => {
  test('a server that is not running: connection_failed, exit 1, no unexpected error', async () => {
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}/v1/audit`;
    const human = await cli(['request', 'GET', url], APP_ENV);
    assert.equal(human.code, 1);
    assert.equal(human.stdout, '');
    assert.match(human.stderr, /cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused/);
    assert.doesNotMatch(human.stderr, /unexpected error|TypeError/);
    const json = await cli(['request', 'GET', url, '--json'], APP_ENV);
    assert.equal(json.code, 1);
    assert.equal(jsonError(json.stdout).code, 'connection_failed');
  });

  test('an unknown method is a usage error before anything is sent', async () => {
    const port = await findFreePort();
    const r = await cli(['request', 'FOO', `http://127.0.0.1:${port}/v1/audit`, '--json'], APP_ENV);
    assert.equal(r.code, 2);
    const error = jsonError(r.stdout);
    assert.equal(error.code, 'usage_error');
    assert.match(error.message, /unknown method 'FOO'/);
  });

  test('a URL that is not http(s), a missing credential, a bad timeout', async () => {
    const notHttp = await cli(['request', 'GET', 'ftp://127.0.0.1/x', '--json'], APP_ENV);
    assert.equal(notHttp.code, 2);
    assert.equal(jsonError(notHttp.stdout).code, 'usage_error');
    const noCreds = await cli(['request', 'GET', 'http://127.0.0.1:8080/v1/audit', '--json']);
    assert.equal(noCreds.code, 2);
    assert.match(jsonError(noCreds.stdout).message, /SIGNET_APP_ID/);
    const timeout = await cli(['request', 'GET', 'http://127.0.0.1:8080/x', '--timeout', '0'], APP_ENV);
    assert.equal(timeout.code, 2);
    assert.match(timeout.stderr, /--timeout/);
  });
});

describe('signet app and store-flag mistakes', () => {
  test('--chain-api that is not a URL: a usage error, and no database or key file is created', async () => {
    const dir = tempDir();
    try {
      const db = `sqlite:${join(dir.dir, 'x.db')}`;
      for (const sub of [
        ['app', 'create', '--name', 'A'],
        ['app', 'set', 'app_x'],
      ]) {
        const r = await cli([...sub, '--chain-api', 'not a url', '--db', db, '--json']);
        assert.equal(r.code, 2);
        const error = jsonError(r.stdout);
        assert.equal(error.code, 'usage_error');
        assert.match(error.message, /--chain-api 'not a url' is not a URL/);
        assert.doesNotMatch(r.stderr, /unexpected error/);
      }
      const badOrigin = await cli([
        'app',
        'create',
        '--name',
        'A',
        '--origin',
        'ftp://x',
        '--db',
        db,
        '--json',
      ]);
      assert.equal(badOrigin.code, 1);
      assert.equal(jsonError(badOrigin.stdout).code, 'invalid_request');
      assert.deepEqual(readdirSync(dir.dir), []);
    } finally {
      dir.remove();
    }
  });

  test('--db in a missing directory: a clear message, no raw ENOENT', async () => {
    const r = await cli(['app', 'list', '--db', 'sqlite:/missing/dir/x.db']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the directory \/missing\/dir does not exist/);
    assert.doesNotMatch(r.stderr, /ENOENT|unexpected error/);
    const json = await cli(['keys', 'rotate', '--db', 'sqlite:/missing/dir/x.db', '--json']);
    assert.equal(jsonError(json.stdout).code, 'usage_error');
    const serve = await cli(['serve', '--db', 'sqlite:/missing/dir/x.db']);
    assert.equal(serve.code, 2);
    assert.match(serve.stderr, /does not exist/);
  });

  test('--db naming a directory is refused before a key file is written beside it', async () => {
    const dir = tempDir();
    try {
      const r = await cli(['app', 'list', '--db', `sqlite:${dir.dir}`, '--json']);
      assert.equal(r.code, 2);
      assert.match(jsonError(r.stdout).message, /is not a file/);
      assert.equal(existsSync(`${dir.dir}.key`), false);
    } finally {
      dir.remove();
    }
  });

  test('--db mysql:// is refused for its scheme first, not for a missing SIGNET_MASTER_KEY', async () => {
    for (const verb of [
      ['app', 'list'],
      ['keys', 'rotate'],
      ['audit', 'prune', '--older-than-days', '3'],
      ['serve'],
    ]) {
      const r = await cli([...verb, '--db', 'mysql://user:pw@db/x']);
      assert.equal(r.code, 2, verb.join(' '));
      const first = r.stderr.split('\n')[0]!;
      assert.match(first, /unsupported database URL 'mysql:\.\.\.'/);
      assert.doesNotMatch(first, /SIGNET_MASTER_KEY/);
      assert.doesNotMatch(r.stderr, /pw@/, 'the URL password is never echoed');
    }
    // Through the environment too.
    const env = await cli(['app', 'list', '--json'], { SIGNET_DATABASE_URL: 'mysql://x' });
    assert.equal(env.code, 2);
    assert.match(jsonError(env.stdout).message, /unsupported database URL/);
    const redis = await cli(['app', 'list', '--db', 'sqlite::memory:', '--redis', 'redis://x', '--json']);
    assert.equal(redis.code, 2);
    assert.match(jsonError(redis.stdout).message, /--redis needs a postgres/);
  });

  test('an unreadable batch file is a file_error naming the path, not a raw ENOENT', async () => {
    const r = await cli(['verify', '--batch', '/nonexistent/batch.jsonl', '--json']);
    assert.equal(r.code, 1);
    const error = jsonError(r.stdout);
    assert.equal(error.code, 'file_error');
    assert.equal(error.message, '/nonexistent/batch.jsonl: no such file or directory');
  });

  test('with --json every error is one object on stdout: unknown verb, unknown flag, store error', async () => {
    const unknownVerb = await cli(['nonsense', '--json']);
    assert.equal(unknownVerb.code, 2);
    assert.equal(jsonError(unknownVerb.stdout).code, 'usage_error');
    const unknownFlag = await cli(['app', 'list', '--bogus', '--json']);
    assert.equal(unknownFlag.code, 2);
    assert.equal(jsonError(unknownFlag.stdout).code, 'usage_error');
    const notFound = await cli([
      'app',
      'set',
      'app_nope',
      '--name',
      'x',
      '--db',
      'sqlite::memory:',
      '--json',
    ]);
    assert.equal(notFound.code, 1);
    assert.equal(jsonError(notFound.stdout).code, 'not_found');
    // Without --json, stdout stays empty and the usage follows the message on stderr.
    const human = await cli(['app', 'list', '--bogus']);
    assert.equal(human.stdout, '');
    assert.match(human.stderr, /Unknown option '--bogus'[\s\S]*signet app create/);
  });
});
