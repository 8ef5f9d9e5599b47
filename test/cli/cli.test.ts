// The CLI as docs/api.md gives it: `sign` reproduces the Tiniapp vectors, `verify --batch` checks
// lines offline, `app`/`keys` work on the store, and `serve` + `request` run as real processes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bytes, PrivateKey } from '@wharfkit/antelope';
import { Wallet } from 'ethers';
import { runCliCaptured } from '../support/cli.js';
import { tempDir } from '../support/harness.js';

const seed = JSON.parse(readFileSync(new URL('../vectors/tiniapp/seed.json', import.meta.url), 'utf8'));
const CLIENT = 'RLCKb7Ae9kx4DXtXsCWjnDXtggFnM43W';
const SECRET = 'EhjGcsUUuRSJTHiYPbW5fxzyaKEx0JuAZIKRQ4HnIfNFidB2kMg6locQbTIEz3Vf';

const cli = runCliCaptured;

describe('signet sign', () => {
  test('reproduces the seed vectors byte for byte (body and path)', async () => {
    assert.ok(seed, 'seed vectors file');
    const body = await cli([
      'sign',
      '--client-id',
      CLIENT,
      '--secret',
      SECRET,
      '--timestamp',
      '1620621619569',
      '--body',
      '{"id":123}',
      '--json',
    ]);
    assert.equal(body.code, 0);
    const b = JSON.parse(body.stdout);
    assert.equal(b.signature, '8ebd092b9df2cf90e8ccbcab2ba87ee14f2abb25eb8f18b4d7286d42adcd45c2');
    assert.equal(b.payload, '1620621619569.RLCKb7Ae9kx4DXtXsCWjnDXtggFnM43W.{"id":123}');
    assert.equal(b.headers['x-tiniapp-timestamp'], '1620621619569');
    assert.equal(b.headers['x-tiniapp-client-id'], CLIENT);
    const path = await cli([
      'sign',
      '--client-id',
      CLIENT,
      '--secret',
      SECRET,
      '--timestamp',
      '1620621619569',
      '--path',
      '/order?location=H%C3%A0%20N%E1%BB%99i&order_id=88062110977884170',
    ]);
    assert.equal(path.code, 0);
    assert.match(
      path.stdout,
      /signature:\s+e1e0d63f7f8296dd31b2c082e611351a6c41a3bc0309a9299832f70b693722c8/,
    );
    assert.match(path.stdout, /x-tiniapp-signature: e1e0d63f/i);
  });

  test('usage errors exit 2 with the usage on stderr and nothing on stdout', async () => {
    const r = await cli(['sign', '--client-id', CLIENT, '--secret', SECRET, '--body', '{}', '--path', '/x']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /exactly one of --body and --path/);
    assert.equal((await cli(['nonsense'])).code, 2);
    assert.equal((await cli(['sign', '--bogus-flag'])).code, 2);
    const dotted = await cli(['sign', '--client-id', 'a.b', '--secret', SECRET, '--path', '/x']);
    assert.equal(dotted.code, 2);
    assert.match(dotted.stderr, /--client-id is 1-128 characters/);
  });
});

describe('signet verify --batch', () => {
  test('one line out per line in, in order, with stable codes; exit 1 when any is invalid', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaPem = rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const eos = PrivateKey.generate('K1');
    const wallet = Wallet.createRandom();
    const lines = [
      {
        scheme: 'device',
        publicKey: rsaPem,
        message: 'hello',
        signature: nodeSign('sha256', Buffer.from('hello'), rsa.privateKey).toString('base64'),
      },
      {
        scheme: 'device',
        publicKey: p256.publicKey.export({ format: 'der', type: 'spki' }).toString('base64url'),
        message: 'hi',
        signature: nodeSign('sha256', Buffer.from('hi'), {
          key: p256.privateKey,
          dsaEncoding: 'ieee-p1363',
        }).toString('base64'),
      },
      {
        scheme: 'device',
        publicKey: rsaPem,
        message: 'hello!',
        signature: nodeSign('sha256', Buffer.from('hello'), rsa.privateKey).toString('base64'),
      },
      {
        scheme: 'eos',
        publicKey: eos.toPublic().toString(),
        message: 'login',
        signature: eos.signMessage(Bytes.from('login', 'utf8')).toString(),
      },
      {
        scheme: 'eth',
        address: wallet.address,
        message: 'login',
        signature: await wallet.signMessage('login'),
      },
      {
        scheme: 'eth',
        address: Wallet.createRandom().address,
        message: 'login',
        signature: await wallet.signMessage('login'),
      },
      {
        scheme: 'tiniapp',
        secret: SECRET,
        message: '1620621619569.RLCKb7Ae9kx4DXtXsCWjnDXtggFnM43W.{"id":123}',
        signature: '8ebd092b9df2cf90e8ccbcab2ba87ee14f2abb25eb8f18b4d7286d42adcd45c2',
      },
      { scheme: 'webauthn' },
      { scheme: 'device', publicKey: 'not a key', message: 'x', signature: 'AAAA' },
    ];
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n{not json\n\n';
    const r = await cli(['verify', '--batch', '-'], {}, text);
    assert.equal(r.code, 1);
    const out = r.stdout.split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(out, [
      { valid: true },
      { valid: true },
      { valid: false, code: 'signature_invalid' },
      { valid: true },
      { valid: true },
      { valid: false, code: 'signature_invalid' }, // made by another key than the expected signer
      { valid: true },
      { valid: false, code: 'invalid_request' },
      { valid: false, code: 'invalid_request' },
      { valid: false, code: 'invalid_request' },
    ]);
    assert.match(r.stderr, /5 of 10 valid/);
  });

  test('exit 0 when every line is valid; reads a file', async () => {
    const dir = tempDir();
    try {
      const file = join(dir.dir, 'batch.jsonl');
      writeFileSync(
        file,
        JSON.stringify({
          scheme: 'tiniapp',
          secret: SECRET,
          message:
            '1620621619569.RLCKb7Ae9kx4DXtXsCWjnDXtggFnM43W./order?location=H%C3%A0%20N%E1%BB%99i&order_id=88062110977884170',
          signature: 'e1e0d63f7f8296dd31b2c082e611351a6c41a3bc0309a9299832f70b693722c8',
        }) + '\n',
      );
      const r = await cli(['verify', '--batch', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '{"valid":true}');
    } finally {
      dir.remove();
    }
  });
});

describe('signet app and keys on a SQLite file', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: string;
  before(() => {
    dir = tempDir();
    db = `sqlite:${join(dir.dir, 'ops.db')}`;
  });
  after(() => dir.remove());

  test('create prints the secret once; list never shows it; the master key file is generated 0600', async () => {
    const created = await cli([
      'app',
      'create',
      '--name',
      'Shop',
      '--origin',
      'https://shop.example',
      '--rp-id',
      'shop.example',
      '--client-challenges',
      '--db',
      db,
      '--json',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const app = JSON.parse(created.stdout);
    assert.match(app.appId, /^[A-Za-z0-9_-]+$/);
    assert.equal(typeof app.secret, 'string');
    assert.ok(app.secret.length >= 32);
    assert.match(created.stderr, /SIGNET_MASTER_KEY is not set/);
    assert.equal(statSync(join(dir.dir, 'ops.db.key')).mode & 0o777, 0o600);
    const list = await cli(['app', 'list', '--db', db, '--json']);
    assert.equal(list.code, 0);
    assert.ok(!list.stdout.includes(app.secret));
    const listed = JSON.parse(list.stdout).apps;
    assert.equal(listed.length, 1);
    assert.deepEqual(listed[0].origins, ['https://shop.example']);
    assert.equal(listed[0].settings.clientChallenges, true);

    const rotated = await cli(['app', 'rotate-secret', app.appId, '--db', db, '--json']);
    assert.equal(rotated.code, 0);
    assert.notEqual(JSON.parse(rotated.stdout).secret, app.secret);

    const set = await cli([
      'app',
      'set',
      app.appId,
      '--chain-api',
      'https://eos.example',
      '--eth-chain-id',
      '1',
      '--eth-chain-id',
      '10',
      '--db',
      db,
      '--json',
    ]);
    assert.equal(set.code, 0, set.stderr);
    const updated = JSON.parse(set.stdout);
    assert.equal(updated.settings.chainApi, 'https://eos.example');
    assert.deepEqual(updated.settings.ethChainIds, [1, 10]);

    const unknown = await cli(['app', 'set', 'app_nope', '--name', 'x', '--db', db]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not_found/);
    const badOrigin = await cli(['app', 'create', '--name', 'Bad', '--origin', 'ftp://x', '--db', db]);
    assert.equal(badOrigin.code, 1);
    assert.match(badOrigin.stderr, /invalid_request/);
  });

  test('keys rotate: a new kid, the previous key still published', async () => {
    const first = await cli(['keys', 'rotate', '--db', db, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const second = await cli(['keys', 'rotate', '--db', db, '--json']);
    const a = JSON.parse(first.stdout);
    const b = JSON.parse(second.stdout);
    assert.notEqual(a.kid, b.kid);
    assert.ok(b.published.includes(a.kid) && b.published.includes(b.kid));
  });

  test('audit prune deletes records older than N days and keeps the rest', async () => {
    const { openStore } = await import('../../src/store/openStore.js');
    const store = await openStore({ databaseUrl: db });
    const appId = (await store.apps.list())[0]!.id;
    const day = 86_400_000;
    const now = Date.now();
    const record = (id: string, at: number) => ({
      id,
      appId,
      at,
      scheme: 'device',
      action: 'login',
      outcome: 'success' as const,
      reason: null,
      userId: 'u',
      credentialId: null,
      ip: null,
    });
    await store.audit.append(record('au_old1', now - 40 * day));
    await store.audit.append(record('au_old2', now - 31 * day));
    await store.audit.append(record('au_new', now - 29 * day));
    await store.close();
    const r = await cli(['audit', 'prune', '--older-than-days', '30', '--db', db, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).deleted, 2);
    const again = await openStore({ databaseUrl: db });
    assert.deepEqual(
      (await again.audit.list(appId, { limit: 10 })).map((x) => x.id),
      ['au_new'],
    );
    await again.close();
    assert.equal((await cli(['audit', 'prune', '--db', db])).code, 2);
    assert.equal((await cli(['audit', 'prune', '--older-than-days', '0', '--db', db])).code, 2);
    assert.equal((await cli(['serve', '--audit-retention-days', 'x'])).code, 2);
  });

  test('a Postgres URL without SIGNET_MASTER_KEY is a usage error, not a crash', async () => {
    const r = await cli(['app', 'list', '--db', 'postgres://127.0.0.1:5432/test']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SIGNET_MASTER_KEY must be set/);
  });
});

describe('signet serve and signet request as real processes', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: ChildProcess;
  let baseUrl: string;
  let app: { appId: string; secret: string };
  const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
  // The children run in a temp dir, so tsx is named by its resolved location.
  const tsx = import.meta.resolve('tsx');

  function run(
    args: string[],
    env: Record<string, string> = {},
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', tsx, main, ...args], {
        env: { ...process.env, ...env },
        cwd: dir.dir,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  before(async () => {
    dir = tempDir();
    const created = await cli(
      ['app', 'create', '--name', 'Proc', '--db', `sqlite:${join(dir.dir, 'signet.db')}`, '--json'],
      { SIGNET_MASTER_KEY: 'test-master-key-0123456789abcdef' },
    );
    app = JSON.parse(created.stdout);
    // An audit record from a year ago, for the server's retention to delete at start.
    const { openStore } = await import('../../src/store/openStore.js');
    const store = await openStore({ databaseUrl: `sqlite:${join(dir.dir, 'signet.db')}` });
    await store.audit.append({
      id: 'au_ancient',
      appId: app.appId,
      at: Date.now() - 365 * 86_400_000,
      scheme: 'device',
      action: 'login',
      outcome: 'failure',
      reason: 'signature_invalid',
      userId: 'zoe',
      credentialId: null,
      ip: null,
    });
    await store.close();
    server = spawn(
      process.execPath,
      ['--import', tsx, main, 'serve', '--port', '0', '--db', 'sqlite:./signet.db'],
      {
        cwd: dir.dir,
        env: {
          ...process.env,
          SIGNET_MASTER_KEY: 'test-master-key-0123456789abcdef',
          SIGNET_LOG_LEVEL: 'warn',
          SIGNET_AUDIT_RETENTION_DAYS: '90',
        },
      },
    );
    baseUrl = await new Promise<string>((resolve, reject) => {
      let err = '';
      server.stderr!.on('data', (d) => {
        err += d;
        const m = /listening on (http:\/\/[^\s]+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
  });

  after(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    dir.remove();
  });

  test('serve answers; request signs a server-API call with the env credentials', async () => {
    assert.equal((await fetch(baseUrl + '/healthz')).status, 200);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const body = JSON.stringify({
      type: 'device',
      publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    });
    const env = { SIGNET_APP_ID: app.appId, SIGNET_APP_SECRET: app.secret };
    const created = await run(
      ['request', 'POST', `${baseUrl}/v1/users/zoe/credentials`, '--body', body, '--json'],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).userId, 'zoe');
    const listed = await run(['request', 'GET', `${baseUrl}/v1/users/zoe/credentials`, '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(JSON.parse(listed.stdout).credentials.length, 1);
    const refused = await run(['request', 'GET', `${baseUrl}/v1/users/zoe/credentials`], {
      SIGNET_APP_ID: app.appId,
      SIGNET_APP_SECRET: 'wrong',
    });
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /unauthenticated/);
  });

  test('serve applies the audit retention at start (SIGNET_AUDIT_RETENTION_DAYS)', async () => {
    const env = { SIGNET_APP_ID: app.appId, SIGNET_APP_SECRET: app.secret };
    let ids: string[] = ['au_ancient'];
    for (let i = 0; i < 50 && ids.includes('au_ancient'); i++) {
      const r = await run(['request', 'GET', `${baseUrl}/v1/audit?limit=100`, '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      ids = JSON.parse(r.stdout).records.map((x: { id: string }) => x.id);
      if (ids.includes('au_ancient')) await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(!ids.includes('au_ancient'), 'the year-old record is still there');
  });

  test('SIGTERM shuts the server down cleanly', async () => {
    const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
    server.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
