// The console's app view and settings added this round, against a real listening server: wallet
// proofs, the refresh-token lifetime and Ethereum chain ids (editable, checked as `signet app set`
// checks them, and in effect); attestation, the HTTP signature key, the Ethereum RPC and the
// webhook URL and secrets (CLI only: refused in a console body, shown without key material); and
// the audit vocabulary: every action Signet writes is offered as a filter and charted under its
// own kind, never "other".
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSignetClient } from '../../src/client/createSignetClient.js';
import { updateApp } from '../../src/core/apps.js';
import { setAppWebhook } from '../../src/core/appWebhooks.js';
import { REASON_CODES } from '../../src/errors/codes.js';
import { attemptKind } from '../../src/server/console/attempts.js';
import { AUDIT_ACTIONS } from '../../src/server/console/auditRoutes.js';
import type { Deps } from '../../src/core/deps.js';
import type { Store } from '../../src/store/types.js';
import { enrolDeviceKey, logInWithDeviceKey } from '../support/deviceKeys.js';
import { fetchJson } from '../support/http.js';
import { startLiveServer, type LiveServer } from '../support/liveServer.js';

const TOKEN = randomBytes(32).toString('base64url');
const bearer = { authorization: `Bearer ${TOKEN}` };
const RPC_KEY = 'k3yInThePath0123456789abcdef';

let live: LiveServer;
let store: Store;
let deps: Deps;
let url: string;

before(async () => {
  live = await startLiveServer({ server: { adminToken: TOKEN } });
  ({ store, deps, url } = live);
});

after(async () => {
  await live?.close();
});

const call = (method: string, path: string, body?: unknown) =>
  fetchJson(`${url}/console/api/${path}`, { method, body, headers: bearer });

const post = (path: string, body: unknown) => fetchJson(`${url}${path}`, { body });

/** Registers a device key for `userId` and logs in with it over HTTP; the /v1/verify answer. */
async function deviceLogin(appId: string, secret: string, userId: string): Promise<any> {
  const client = createSignetClient({ baseUrl: url, appId, secret });
  return logInWithDeviceKey(url, appId, await enrolDeviceKey(client, userId));
}

describe('console app settings of this round', () => {
  let appId = '';
  let secret = '';

  test('create takes requireWalletProof, refreshTtlSec and ethChainIds; they are stored and shown', async () => {
    const r = await call('POST', 'apps', {
      name: 'Wallets',
      origins: ['https://wallets.example'],
      settings: { requireWalletProof: false, refreshTtlSec: 7200, ethChainIds: [1, 8453] },
    });
    assert.equal(r.status, 201, r.text);
    appId = r.body.app.appId;
    secret = r.body.secret;
    assert.equal(r.body.app.settings.requireWalletProof, false);
    assert.equal(r.body.app.settings.refreshTtlSec, 7200);
    assert.deepEqual(r.body.app.settings.ethChainIds, [1, 8453]);
    assert.equal(r.body.app.activeWebhookSecrets, 0);
    const stored = await store.apps.get(appId);
    assert.equal(stored?.settings.requireWalletProof, false);
    assert.equal(stored?.settings.refreshTtlSec, 7200);
    assert.deepEqual(stored?.settings.ethChainIds, [1, 8453]);
  });

  test('edit: a new refresh lifetime takes effect on the next login', async () => {
    const r = await call('PATCH', `apps/${appId}`, {
      settings: { refreshTtlSec: 3600, requireWalletProof: true, ethChainIds: [] },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.app.settings.refreshTtlSec, 3600);
    assert.equal(r.body.app.settings.requireWalletProof, true);
    assert.deepEqual(r.body.app.settings.ethChainIds, []);
    const login = await deviceLogin(appId, secret, 'erin');
    const expected = Math.floor(Date.now() / 1000) + 3600;
    assert.ok(Math.abs(login.refreshExpiresAt - expected) <= 5, String(login.refreshExpiresAt));
  });

  test('bad values and CLI-only settings are refused with invalid_request, and nothing changes', async () => {
    const before = JSON.stringify(await store.apps.get(appId));
    const pem = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const bad: Array<[string, Record<string, unknown>]> = [
      ['refreshTtlSec 0', { refreshTtlSec: 0 }],
      ['refreshTtlSec beyond 365 days', { refreshTtlSec: 365 * 86_400 + 1 }],
      ['refreshTtlSec not an integer', { refreshTtlSec: 1.5 }],
      ['refreshTtlSec a string', { refreshTtlSec: '3600' }],
      ['requireWalletProof a string', { requireWalletProof: 'yes' }],
      ['requireWalletProof null', { requireWalletProof: null }],
      ['chain id 0', { ethChainIds: [0] }],
      ['chain id negative', { ethChainIds: [-1] }],
      ['chain id a string', { ethChainIds: ['1'] }],
      ['chain id unsafe', { ethChainIds: [2 ** 53] }],
      ['chain ids not a list', { ethChainIds: 1 }],
      ['httpSignatureKey', { httpSignatureKey: pem }],
      ['attestation', { attestation: 'direct' }],
      ['attestationRoots', { attestationRoots: [] }],
      ['ethRpc', { ethRpc: 'https://rpc.example' }],
      ['webhookUrl', { webhookUrl: 'https://hooks.example/x' }],
      ['webhookSecrets', { webhookSecrets: [] }],
      ['chainApi', { chainApi: 'https://eos.example' }],
    ];
    for (const [what, settings] of bad) {
      for (const [method, path] of [
        ['PATCH', `apps/${appId}`],
        ['POST', 'apps'],
      ] as const) {
        const r = await call(method, path, method === 'POST' ? { name: 'x', settings } : { settings });
        assert.equal(r.status, 400, `${method} ${what}: ${r.text}`);
        assert.equal(r.body.error.code, 'invalid_request', `${method} ${what}`);
      }
    }
    assert.equal(JSON.stringify(await store.apps.get(appId)), before, 'the app is unchanged');
    assert.equal((await store.apps.list()).length, 1, 'no app was created');
  });

  test('the view shows webhook and key settings without key material: counts, presence, the RPC host', async () => {
    const pem = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    await updateApp(deps, appId, {
      settings: {
        ethRpc: `https://user:pw@mainnet.infura.io/v3/${RPC_KEY}?apikey=${RPC_KEY}`,
        httpSignatureKey: pem,
      },
    });
    const first = await setAppWebhook(deps, appId, { url: 'https://hooks.example/signet' });
    const second = await setAppWebhook(deps, appId, { rotate: true });
    const whsecs = [first.webhookSecret, second.webhookSecret];
    assert.ok(whsecs.every((s) => typeof s === 'string' && s.length > 10));

    const list = await call('GET', 'apps');
    assert.equal(list.status, 200);
    const app = list.body.apps.find((a: any) => a.appId === appId);
    assert.equal(app.activeWebhookSecrets, 2);
    assert.equal(app.settings.webhookUrl, 'https://hooks.example/signet');
    assert.equal(app.settings.ethRpc, 'https://mainnet.infura.io/…');
    assert.equal(app.settings.attestation, 'none');
    assert.equal(
      typeof app.settings.httpSignatureKey,
      'string',
      'the public key is there (shown as present)',
    );
    assert.equal('webhookSecrets' in app.settings, false);
    for (const s of whsecs) assert.ok(!list.text.includes(s!), 'no webhook secret');
    assert.ok(!list.text.includes(RPC_KEY), 'no RPC key');
    assert.ok(!list.text.includes('pw@'), 'no RPC password');
    assert.ok(!list.text.includes(secret), 'no app secret');

    // The PATCH answer is the same view.
    const patched = await call('PATCH', `apps/${appId}`, { name: 'Wallets 2' });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.app.activeWebhookSecrets, 2);
    assert.ok(!patched.text.includes(RPC_KEY));
    // The RPC URL itself is untouched by a console edit.
    assert.match((await store.apps.get(appId))!.settings.ethRpc!, new RegExp(RPC_KEY));
  });
});

/** `action: '<name>'` literals and `'mykey_<name>'` action names written under src/ (not the console). */
function actionsInSource(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (!path.endsWith(join('server', 'console'))) walk(path);
      } else if (name.endsWith('.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/\baction: '([a-z_]+)'/g)) found.add(m[1]!);
        for (const m of text.matchAll(/'(mykey_[a-z_]+)'/g)) found.add(m[1]!);
      }
    }
  };
  walk(join(import.meta.dirname, '../../src'));
  return found;
}

describe('the audit vocabulary covers this round', () => {
  test('every action Signet writes is offered as a filter and has its own chart kind', async () => {
    const written = actionsInSource();
    for (const a of ['login', 'register', 'refresh', 'logout', 'revoke', 'server_api', 'mykey_callback'])
      assert.ok(written.has(a), `the scan finds ${a}`);
    const vocabulary = await call('GET', 'vocabulary');
    assert.equal(vocabulary.status, 200);
    for (const a of written) {
      assert.ok(AUDIT_ACTIONS.includes(a), `${a} is in AUDIT_ACTIONS`);
      assert.ok(vocabulary.body.actions.includes(a), `${a} is in the vocabulary`);
      assert.notEqual(attemptKind(a), 'other', `${a} has a kind`);
    }
    assert.ok(vocabulary.body.schemes.includes('http-signature'));
    assert.ok(vocabulary.body.schemes.includes('mykey'));
    for (const reason of [
      'refresh_reuse',
      'transaction_mismatch',
      'contract_signature_invalid',
      'user_handle_mismatch',
      'attestation_untrusted',
      'session_revoked',
    ]) {
      assert.ok(reason in REASON_CODES, reason);
      assert.ok(vocabulary.body.reasons.includes(reason), `${reason} is in the vocabulary`);
    }
    assert.equal(attemptKind('something_new'), 'other');
  });

  test('refresh, logout and refused server-API calls over HTTP are charted as session and server_api', async () => {
    const created = await call('POST', 'apps', { name: 'Kinds', origins: ['https://kinds.example'] });
    assert.equal(created.status, 201);
    const id = created.body.app.appId;
    const login = await deviceLogin(id, created.body.secret, 'kim');
    const refreshed = await post('/v1/tokens/refresh', { appId: id, refreshToken: login.refreshToken });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(
      (await post('/v1/logout', { appId: id, refreshToken: refreshed.body.refreshToken })).status,
      204,
    );
    const reused = await post('/v1/tokens/refresh', { appId: id, refreshToken: refreshed.body.refreshToken });
    assert.equal(reused.status, 401);
    const wrong = createSignetClient({ baseUrl: url, appId: id, secret: 'x'.repeat(64) });
    assert.equal((await wrong.audit({ limit: 1 })).status, 401);

    const actions = (await call('GET', `apps/${id}/audit?limit=100`)).body.records.map(
      (r: any) => `${r.action} ${r.outcome}`,
    );
    for (const a of [
      'login success',
      'refresh success',
      'logout success',
      'refresh failure',
      'server_api failure',
    ])
      assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);

    const chart = await call('GET', `apps/${id}/attempts?hours=1&buckets=4`);
    assert.equal(chart.status, 200);
    const kinds = chart.body.summary.map((s: any) => `${s.kind} ${s.attempts}/${s.failures}`);
    assert.deepEqual(kinds, ['login 1/0', 'session 3/1', 'server_api 1/1']);
    assert.ok(chart.body.series.every((s: any) => s.kind !== 'other'));
    assert.ok(
      chart.body.series.some(
        (s: any) => s.kind === 'server_api' && s.scheme === 'tiniapp' && s.outcome === 'failure',
      ),
    );
  });
});

describe('the dead letters route takes its query as a browser sends it', () => {
  test('limit and before page through the dead letters; bad values answer 400 invalid_request', async () => {
    const created = await call('POST', 'apps', { name: 'Hooks', origins: ['https://hooks.example'] });
    assert.equal(created.status, 201);
    const id = created.body.app.appId;
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) {
      await store.webhooks.enqueue({
        id: `msg_page_${i}`,
        appId: id,
        type: 'login.failed',
        payload: '{}',
        createdAt: t0 - 10_000,
      });
    }
    const claimed = await store.webhooks.claim('lease_page', 100, 60_000);
    for (let i = 0; i < 3; i++) {
      assert.ok(claimed.some((m) => m.id === `msg_page_${i}`));
      assert.ok(await store.webhooks.markDead(`msg_page_${i}`, 'lease_page', t0 + i, 'timeout'));
    }
    const first = await call('GET', `apps/${id}/webhooks/dead?limit=2`);
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(
      first.body.messages.map((m: any) => m.id),
      ['msg_page_2', 'msg_page_1'],
    );
    const next = await call('GET', `apps/${id}/webhooks/dead?limit=2&before=${t0 + 1}`);
    assert.equal(next.status, 200, next.text);
    assert.deepEqual(
      next.body.messages.map((m: any) => m.id),
      ['msg_page_0'],
    );
    assert.equal((await call('GET', `apps/${id}/webhooks/dead`)).body.messages.length, 3);
    for (const q of ['limit=0', 'limit=1001', 'limit=x', 'limit=-1', 'before=x', 'before=1e3', 'other=1']) {
      const r = await call('GET', `apps/${id}/webhooks/dead?${q}`);
      assert.equal(r.status, 400, `${q}: ${r.text}`);
      assert.equal(r.body.error.code, 'invalid_request', q);
    }
  });
});
