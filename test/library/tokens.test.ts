// A relying party verifies Signet's tokens from the discovery document, whichever host name it used
// to reach Signet (the localhost / 127.0.0.1 trap): first with nothing but `jose`, then with
// `signet-auth/tokens` (the verifier and both middlewares, run as the examples in examples/). Signet is
// the real CLI (`signet serve --port 0`) on a SQLite file; logins are real device signatures.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { runCli } from '../../src/cli/runCli.js';
import { createSignetClient } from '../../src/client/createSignetClient.js';
import { createSignetVerifier, resolveJwksUrl } from '../../src/client/tokens.js';
import { enrolDeviceKey, logInWithDeviceKey } from '../support/deviceKeys.js';
import { captureIo, tempDir } from '../support/harness.js';
import { fetchJson } from '../support/http.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MASTER_KEY = randomBytes(32).toString('hex');

let dir: ReturnType<typeof tempDir>;
const children: ChildProcess[] = [];
let port: number;
let printedIssuer: string;
let appId: string;
/** One login through each host name. */
const tokens: Record<'localhost' | '127.0.0.1', string> = { localhost: '', '127.0.0.1': '' };

/** Spawns a TypeScript entry with tsx; resolves with the child and the first stderr match. */
async function spawnTs(args: string[], env: Record<string, string>, wait: RegExp) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: ROOT,
    env: { ...process.env, SIGNET_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let err = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d;
      const m = wait.exec(err);
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited ${code}: ${err}`)));
  });
  return { child, match, stderr: () => err };
}

before(async () => {
  dir = tempDir();
  const db = `sqlite:${join(dir.dir, 'signet.db')}`;
  const io = captureIo({ SIGNET_MASTER_KEY: MASTER_KEY });
  assert.equal(await runCli(['app', 'create', '--name', 'rp', '--db', db, '--json'], io), 0, io.stderr());
  const app = JSON.parse(io.stdout()) as { appId: string; secret: string };
  appId = app.appId;

  // Exactly as a newcomer runs it: no --issuer, bound to 127.0.0.1, port chosen by the OS.
  const serve = await spawnTs(
    ['src/cli/main.ts', 'serve', '--host', '127.0.0.1', '--port', '0', '--db', db],
    { SIGNET_MASTER_KEY: MASTER_KEY },
    /listening on http:\/\/127\.0\.0\.1:(\d+)[\s\S]*issuer (\S+)/,
  );
  port = Number(serve.match[1]);
  printedIssuer = serve.match[2]!;

  const client = createSignetClient({ baseUrl: `http://127.0.0.1:${port}`, appId, secret: app.secret });
  const rita = await enrolDeviceKey(client, 'rita');
  for (const host of ['localhost', '127.0.0.1'] as const) {
    tokens[host] = (await logInWithDeviceKey(`http://${host}:${port}`, appId, rita)).token;
  }
});

after(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
  dir.remove();
});

describe('the issuer', () => {
  test('serve prints the issuer it uses, with the port it really serves (not :0)', () => {
    assert.equal(printedIssuer, `http://127.0.0.1:${port}`);
    for (const token of Object.values(tokens)) assert.equal(decodeJwt(token).iss, printedIssuer);
  });

  test('the trap, shown: an issuer guessed from the URL used to reach Signet does not match', async () => {
    const jwks = createRemoteJWKSet(new URL(`http://localhost:${port}/.well-known/jwks.json`));
    await assert.rejects(
      jwtVerify(tokens.localhost, jwks, { issuer: `http://localhost:${port}`, audience: appId }),
      (e: Error & { code?: string }) => e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    );
  });
});

describe('a relying party built from jose and the discovery document only', () => {
  for (const host of ['localhost', '127.0.0.1']) {
    test(`reaching Signet as ${host}: both tokens verify`, async () => {
      const doc = (await fetchJson(`http://${host}:${port}/.well-known/openid-configuration`)).body;
      assert.equal(doc.issuer, printedIssuer);
      const jwks = createRemoteJWKSet(new URL(doc.jwks_uri));
      for (const token of Object.values(tokens)) {
        const { payload } = await jwtVerify(token, jwks, {
          issuer: doc.issuer,
          audience: appId,
          algorithms: doc.id_token_signing_alg_values_supported,
        });
        assert.equal(payload.sub, 'rita');
      }
    });
  }
});

describe('signet-auth/tokens: createSignetVerifier', () => {
  for (const host of ['localhost', '127.0.0.1']) {
    test(`url ${host}: both tokens verify; the issuer comes from discovery`, async () => {
      const verifier = createSignetVerifier({ url: `http://${host}:${port}`, audience: appId });
      assert.equal((await verifier.discovery()).issuer, printedIssuer);
      for (const token of Object.values(tokens)) {
        const result = await verifier.verify(token);
        assert.ok(result.ok, JSON.stringify(result));
        assert.equal(result.claims.sub, 'rita');
        assert.deepEqual(result.claims.amr, ['device']);
      }
    });
  }

  test('wrong audience, altered token, amr not accepted, garbage: refused with a reason', async () => {
    const url = `http://localhost:${port}`;
    const other = createSignetVerifier({ url, audience: 'another-app' });
    assert.deepEqual(
      { ...(await other.verify(tokens.localhost)), cause: undefined },
      { ok: false, reason: 'token_invalid', cause: undefined },
    );
    const verifier = createSignetVerifier({ url, audience: appId });
    const [h, p, s] = tokens.localhost.split('.');
    const altered = Buffer.from(JSON.stringify({ ...decodeJwt(tokens.localhost), sub: 'mallory' })).toString(
      'base64url',
    );
    assert.equal((await verifier.verify(`${h}.${altered}.${s}`)).ok, false);
    assert.equal((await verifier.verify(`${h}.${p}.${s}`)).ok, true);
    const passkeysOnly = createSignetVerifier({ url, audience: appId, amr: ['webauthn'] });
    const amr = await passkeysOnly.verify(tokens.localhost);
    assert.equal(!amr.ok && amr.reason, 'amr_not_allowed');
    for (const bad of ['', 'x.y.z', 42, null]) {
      const r = await verifier.verify(bad);
      assert.equal(!r.ok && r.reason, 'token_invalid');
    }
  });

  test('Signet unreachable: signet_unavailable (not a bad token); bad options throw at build', async () => {
    const closed = createSignetVerifier({ url: 'http://127.0.0.1:9', audience: appId });
    const r = await closed.verify(tokens.localhost);
    assert.equal(!r.ok && r.reason, 'signet_unavailable');
    assert.throws(() => createSignetVerifier({ url: 'localhost:8080', audience: appId }), TypeError);
    assert.throws(() => createSignetVerifier({ url: 'http://x', audience: '' }), TypeError);
  });

  test('resolveJwksUrl fetches keys from the URL the app used when jwks_uri lies under the issuer', () => {
    const doc = {
      issuer: 'https://auth.example/signet',
      jwks_uri: 'https://auth.example/signet/.well-known/jwks.json',
    };
    assert.equal(
      resolveJwksUrl(doc, 'http://signet.internal:8080/signet').href,
      'http://signet.internal:8080/signet/.well-known/jwks.json',
    );
    const elsewhere = { issuer: 'https://auth.example', jwks_uri: 'https://keys.example/jwks.json' };
    assert.equal(resolveJwksUrl(elsewhere, 'http://x').href, 'https://keys.example/jwks.json');
  });
});

describe('the examples: an app API requiring a Signet token', () => {
  for (const [name, entry] of [
    ['fastify-api', 'examples/fastify-api/server.ts'],
    ['node-http-api', 'examples/node-http-api/server.ts'],
  ] as const) {
    test(`${name}: 200 with a token from either host name, 401 without or with a bad one`, async () => {
      const { match } = await spawnTs(
        [entry],
        { SIGNET_URL: `http://localhost:${port}`, SIGNET_APP_ID: appId, PORT: '0' },
        /listening on (http:\/\/\S+?)[\s)]/,
      );
      const api = match[1]!;
      for (const token of Object.values(tokens)) {
        const me = await fetchJson(`${api}/api/me`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(me.status, 200, JSON.stringify(me.body));
        assert.equal(me.body.user, 'rita');
        assert.match(me.body.session, /^sid_/);
      }
      const missing = await fetch(`${api}/api/me`);
      assert.equal(missing.status, 401);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="signet"');
      await missing.text();
      const bad = await fetchJson(`${api}/api/me`, { headers: { authorization: 'Bearer abc.def.ghi' } });
      assert.equal(bad.status, 401);
      assert.equal(bad.body.error.code, 'unauthenticated');
    });
  }
});
