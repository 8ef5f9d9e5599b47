/**
 * The store conformance suite: one set of cases every storage adapter must pass (STYLE.md habit 7,
 * after better-auth's adapter suites). It speaks only the interfaces of `src/store/types.ts`, so
 * SQLite, Postgres and Postgres+Redis run the very same cases.
 *
 * Rules for the cases, so a database shared between cases (or reused across runs) does not break
 * them: every id and key is random; assertions look at the rows a case wrote, never at table
 * sizes (signing keys are global, so their cases compare against a `list()` taken just before).
 * Time is a movable clock handed to `open`; the adapter must read expiry and windows from it.
 *
 * @example
 * runStoreConformance('sqlite :memory:', async (clock) => {
 *   const store = createSqliteStore({ path: ':memory:', clock });
 *   return { store, cleanup: () => store.close() };
 * });
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { isSignetError } from '../../src/errors/SignetError.js';
import type {
  App,
  AuditRecord,
  Challenge,
  Clock,
  Credential,
  MykeySession,
  SigningKey,
  Store,
} from '../../src/store/types.js';

/** A clock the cases move by hand. */
export interface MovableClock {
  (): number;
  set(ms: number): void;
  advance(ms: number): void;
}

export type OpenStore = (clock: Clock) => Promise<{ store: Store; cleanup(): Promise<void> }>;

/** 2026-01-01T00:00:00Z: a round, realistic "now" for the cases. */
const T0 = 1_767_225_600_000;

/** How soon after expiry an expired challenge or MYKEY session must still be readable. */
const READABLE_AFTER_EXPIRY_MS = 60_000;

export function createMovableClock(start: number): MovableClock {
  let now = start;
  const clock = (() => now) as MovableClock;
  clock.set = (ms) => {
    now = ms;
  };
  clock.advance = (ms) => {
    now += ms;
  };
  return clock;
}

function uid(prefix: string): string {
  return `${prefix}_${randomUUID()}`;
}

function isCode(code: 'conflict' | 'store_unavailable') {
  return (e: unknown) => isSignetError(e, code);
}

function byId<T extends { id: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A complete app record for store tests (random id; `overrides` win). */
export function makeApp(overrides: Partial<App> = {}): App {
  return {
    id: uid('app'),
    name: 'Shop ✓',
    secrets: [
      { id: uid('sec'), sealed: 'v1.sealed-new', createdAt: T0 },
      { id: uid('sec'), sealed: 'v1.sealed-old', createdAt: T0 - 1000 },
    ],
    rpId: 'shop.example',
    origins: ['https://shop.example', 'android:apk-key-hash:abcdefghijklmnopqrstuv'],
    settings: {
      challengeTtlMs: 300_000,
      skewMs: 300_000,
      tokenTtlSec: 3600,
      clientChallenges: false,
      requireUserVerification: true,
      ethChainIds: [1, 10],
      chainApi: null,
      lockoutMaxFailures: 10,
      lockoutWindowMs: 900_000,
    },
    createdAt: T0,
    ...overrides,
  };
}

export function makeCredential(appId: string, overrides: Partial<Credential> = {}): Credential {
  return {
    id: uid('cred'),
    appId,
    userId: uid('user'),
    type: 'device',
    label: 'Phone «main»',
    deviceId: null,
    account: null,
    publicKey: { spki: 'MFkwEwYHKoZIzj0CAQ', kind: 'ec', nested: { alg: -7, list: [1, 'two', null, true] } },
    counter: 0,
    createdAt: T0,
    lastUsedAt: null,
    ...overrides,
  };
}

export function makeChallenge(appId: string, overrides: Partial<Challenge> = {}): Challenge {
  return {
    id: uid('ch'),
    appId,
    type: 'device',
    value: 'q8Jx-challenge-value',
    userId: null,
    data: null,
    expiresAt: T0 + 300_000,
    ...overrides,
  };
}

export function makeSession(appId: string, overrides: Partial<MykeySession> = {}): MykeySession {
  return {
    uuID: uid('mk'),
    appId,
    status: 'pending',
    account: null,
    chain: null,
    token: null,
    reason: null,
    expiresAt: T0 + 300_000,
    createdAt: T0,
    ...overrides,
  };
}

export function makeAudit(appId: string, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id: uid('au'),
    appId,
    at: T0,
    scheme: 'device',
    action: 'login',
    outcome: 'success',
    reason: null,
    userId: null,
    credentialId: null,
    ip: null,
    ...overrides,
  };
}

export function makeSigningKey(createdAt: number): SigningKey {
  const kid = uid('kid');
  return {
    kid,
    alg: 'EdDSA',
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid },
    sealedPrivateJwk: `v1.sealed.${kid}`,
    createdAt,
    retiredAt: null,
  };
}

/**
 * Registers the conformance cases for one adapter. `open` is called once per case with that
 * case's clock; `cleanup` must release what `open` took, and must tolerate a store the case
 * already closed.
 */
export function runStoreConformance(name: string, open: OpenStore): void {
  async function withStore(fn: (store: Store, clock: MovableClock) => Promise<void>): Promise<void> {
    const clock = createMovableClock(T0);
    const { store, cleanup } = await open(clock);
    try {
      await fn(store, clock);
    } finally {
      await cleanup();
    }
  }

  async function newApp(store: Store, overrides: Partial<App> = {}): Promise<App> {
    const app = makeApp(overrides);
    await store.apps.create(app);
    return app;
  }

  describe(`store conformance: ${name}`, () => {
    describe('store', () => {
      it('has a kind and answers ping', () =>
        withStore(async (store) => {
          assert.equal(typeof store.kind, 'string');
          assert.ok(store.kind.length > 0);
          await store.ping();
        }));

      it('close is idempotent and a closed store rejects with store_unavailable', () =>
        withStore(async (store) => {
          await store.close();
          await store.close();
          await assert.rejects(store.ping(), isCode('store_unavailable'));
          await assert.rejects(store.apps.get('anything'), isCode('store_unavailable'));
        }));
    });

    describe('apps', () => {
      it('create then get returns the same record; unknown ids read as null', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          assert.deepEqual(await store.apps.get(app.id), app);
          const bare = await newApp(store, { rpId: null, origins: [], secrets: [app.secrets[0]!] });
          assert.deepEqual(await store.apps.get(bare.id), bare);
          assert.equal(await store.apps.get(uid('app')), null);
        }));

      it('create refuses a duplicate id with conflict and keeps the first record', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          await assert.rejects(store.apps.create({ ...app, name: 'impostor' }), isCode('conflict'));
          assert.equal((await store.apps.get(app.id))?.name, app.name);
        }));

      it('list includes every created app', () =>
        withStore(async (store) => {
          const a = await newApp(store);
          const b = await newApp(store, { createdAt: T0 + 1 });
          const listed = await store.apps.list();
          assert.deepEqual(
            listed.find((x) => x.id === a.id),
            a,
          );
          assert.deepEqual(
            listed.find((x) => x.id === b.id),
            b,
          );
        }));

      it('update replaces name, secrets, rpId, origins and settings, keeps createdAt; unknown is false', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const changed: App = {
            ...app,
            name: 'Renamed',
            secrets: [{ id: uid('sec'), sealed: 'v1.sealed-newest', createdAt: T0 + 5 }],
            rpId: null,
            origins: ['https://other.example'],
            settings: {
              ...app.settings,
              clientChallenges: true,
              ethChainIds: [],
              chainApi: 'https://eos.example',
            },
            createdAt: T0 + 999_999,
          };
          assert.equal(await store.apps.update(changed), true);
          assert.deepEqual(await store.apps.get(app.id), { ...changed, createdAt: app.createdAt });

          const ghost = makeApp();
          assert.equal(await store.apps.update(ghost), false);
          assert.equal(await store.apps.get(ghost.id), null, 'update must not insert');
        }));
    });

    describe('credentials', () => {
      it('create then get returns the same credential; get is scoped by app', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const c = makeCredential(app.id, { type: 'webauthn', counter: 7, lastUsedAt: T0 + 3, label: null });
          assert.deepEqual(await store.credentials.create(c), { replaced: [] });
          assert.deepEqual(await store.credentials.get(app.id, c.id), c);
          assert.equal(await store.credentials.get(other.id, c.id), null);
          assert.equal(await store.credentials.get(app.id, uid('cred')), null);
        }));

      it('ids are unique per app: a duplicate in one app is a conflict, the same id in another app is fine', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const c = makeCredential(app.id);
          await store.credentials.create(c);
          await assert.rejects(
            store.credentials.create({ ...c, userId: uid('user'), label: 'second' }),
            isCode('conflict'),
          );
          assert.deepEqual(await store.credentials.get(app.id, c.id), c);
          const twin = { ...c, appId: other.id };
          await store.credentials.create(twin);
          assert.deepEqual(await store.credentials.get(other.id, c.id), twin);
          assert.deepEqual(await store.credentials.get(app.id, c.id), c);
        }));

      it("a device credential replaces only the same user's device credentials with that deviceId", () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const userId = uid('user');
          const old1 = makeCredential(app.id, { userId, deviceId: 'phone-1' });
          const keep2 = makeCredential(app.id, { userId, deviceId: 'phone-2' });
          const keepNull = makeCredential(app.id, { userId, deviceId: null });
          const keepPasskey = makeCredential(app.id, { userId, type: 'webauthn' });
          const otherUser = makeCredential(app.id, { deviceId: 'phone-1' });
          const otherApp = makeCredential(other.id, { userId, deviceId: 'phone-1' });
          for (const c of [old1, keep2, keepNull, keepPasskey, otherUser, otherApp]) {
            assert.deepEqual(await store.credentials.create(c), { replaced: [] });
          }

          const fresh = makeCredential(app.id, { userId, deviceId: 'phone-1', createdAt: T0 + 10 });
          assert.deepEqual(await store.credentials.create(fresh), { replaced: [old1.id] });
          assert.equal(await store.credentials.get(app.id, old1.id), null);
          assert.deepEqual(
            byId(await store.credentials.listByUser(app.id, userId)),
            byId([keep2, keepNull, keepPasskey, fresh]),
          );
          assert.deepEqual(await store.credentials.get(app.id, otherUser.id), otherUser);
          assert.deepEqual(await store.credentials.get(other.id, otherApp.id), otherApp);

          // A device key without a deviceId replaces nothing.
          const loose = makeCredential(app.id, { userId, deviceId: null });
          assert.deepEqual(await store.credentials.create(loose), { replaced: [] });
          assert.deepEqual(await store.credentials.get(app.id, keepNull.id), keepNull);
        }));

      it('a refused duplicate deletes nothing (the replacement is one transaction)', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const userId = uid('user');
          const device = makeCredential(app.id, { userId, deviceId: 'phone-1' });
          const passkey = makeCredential(app.id, { userId, type: 'webauthn' });
          await store.credentials.create(device);
          await store.credentials.create(passkey);
          // Same id as the passkey, same deviceId as the device key: must fail without side effects.
          const clash = makeCredential(app.id, { id: passkey.id, userId, deviceId: 'phone-1' });
          await assert.rejects(store.credentials.create(clash), isCode('conflict'));
          assert.deepEqual(byId(await store.credentials.listByUser(app.id, userId)), byId([device, passkey]));
        }));

      it('listByUser returns exactly the user’s credentials in that app', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const userId = uid('user');
          const mine = [
            makeCredential(app.id, { userId }),
            makeCredential(app.id, { userId, type: 'eos', account: 'alice.gm', createdAt: T0 + 1 }),
            makeCredential(app.id, { userId, type: 'webauthn', createdAt: T0 + 2 }),
          ];
          for (const c of mine) await store.credentials.create(c);
          await store.credentials.create(makeCredential(app.id));
          await store.credentials.create(makeCredential(other.id, { userId }));
          assert.deepEqual(byId(await store.credentials.listByUser(app.id, userId)), byId(mine));
          assert.deepEqual(await store.credentials.listByUser(app.id, uid('user')), []);
        }));

      it('findByAccount matches app, type and account exactly', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const account = `acct${randomUUID().slice(0, 8)}`;
          const eosA = makeCredential(app.id, { type: 'eos', account });
          const eosB = makeCredential(app.id, { type: 'eos', account });
          const ethSame = makeCredential(app.id, { type: 'eth', account });
          const eosOtherApp = makeCredential(other.id, { type: 'eos', account });
          const eosOtherAccount = makeCredential(app.id, { type: 'eos', account: `${account}x` });
          for (const c of [eosA, eosB, ethSame, eosOtherApp, eosOtherAccount])
            await store.credentials.create(c);
          assert.deepEqual(
            byId(await store.credentials.findByAccount(app.id, 'eos', account)),
            byId([eosA, eosB]),
          );
          assert.deepEqual(await store.credentials.findByAccount(app.id, 'eth', account), [ethSame]);
          assert.deepEqual(await store.credentials.findByAccount(app.id, 'eos', account.toUpperCase()), []);
          assert.deepEqual(await store.credentials.findByAccount(app.id, 'webauthn', account), []);
        }));

      it('delete removes only the owner’s credential, once', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const c = makeCredential(app.id);
          await store.credentials.create(c);
          assert.equal(await store.credentials.delete(app.id, uid('user'), c.id), false);
          assert.deepEqual(await store.credentials.get(app.id, c.id), c);
          assert.equal(await store.credentials.delete(app.id, c.userId, c.id), true);
          assert.equal(await store.credentials.get(app.id, c.id), null);
          assert.equal(await store.credentials.delete(app.id, c.userId, c.id), false);
        }));

      it('markUsed is a compare-and-set of counter and lastUsedAt', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const c = makeCredential(app.id, { type: 'webauthn', counter: 5 });
          await store.credentials.create(c);
          assert.equal(await store.credentials.markUsed(app.id, c.id, 4, 9, T0 + 1), false, 'stale expected');
          assert.deepEqual(await store.credentials.get(app.id, c.id), c);
          assert.equal(await store.credentials.markUsed(other.id, c.id, 5, 9, T0 + 1), false, 'other app');
          assert.equal(await store.credentials.markUsed(app.id, uid('cred'), 5, 9, T0 + 1), false, 'unknown');
          assert.equal(await store.credentials.markUsed(app.id, c.id, 5, 9, T0 + 2), true);
          assert.deepEqual(await store.credentials.get(app.id, c.id), {
            ...c,
            counter: 9,
            lastUsedAt: T0 + 2,
          });
          assert.equal(
            await store.credentials.markUsed(app.id, c.id, 5, 10, T0 + 3),
            false,
            'the old value lost',
          );
          // Counter-less authenticators keep 0 and still record the use.
          const zero = makeCredential(app.id, { type: 'webauthn' });
          await store.credentials.create(zero);
          assert.equal(await store.credentials.markUsed(app.id, zero.id, 0, 0, T0 + 4), true);
          assert.equal((await store.credentials.get(app.id, zero.id))?.lastUsedAt, T0 + 4);
        }));

      it('20 concurrent markUsed with the same expected counter: exactly one wins', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const c = makeCredential(app.id, { type: 'webauthn', counter: 3 });
          await store.credentials.create(c);
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) => store.credentials.markUsed(app.id, c.id, 3, 10 + i, T0 + i)),
          );
          assert.equal(results.filter(Boolean).length, 1);
          const winner = results.indexOf(true);
          const stored = await store.credentials.get(app.id, c.id);
          assert.equal(stored?.counter, 10 + winner);
          assert.equal(stored?.lastUsedAt, T0 + winner);
        }));
    });

    describe('challenges', () => {
      it('put then consume returns the challenge once', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const plain = makeChallenge(app.id);
          const registration = makeChallenge(app.id, {
            type: 'webauthn-registration',
            userId: uid('user'),
            data: { userName: 'alice', displayName: 'Alice ☺', excluded: ['a', 'b'], uv: true },
          });
          await store.challenges.put(plain);
          await store.challenges.put(registration);
          assert.deepEqual(await store.challenges.consume(app.id, registration.id), registration);
          assert.equal(await store.challenges.consume(app.id, registration.id), null);
          assert.deepEqual(await store.challenges.consume(app.id, plain.id), plain);
          assert.equal(await store.challenges.consume(app.id, plain.id), null);
          assert.equal(await store.challenges.consume(app.id, uid('ch')), null);
        }));

      it('consume is scoped by app and a miss does not consume', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const c = makeChallenge(app.id);
          await store.challenges.put(c);
          assert.equal(await store.challenges.consume(other.id, c.id), null);
          assert.deepEqual(await store.challenges.consume(app.id, c.id), c);
        }));

      it('an expired challenge is still returned (once), even after later puts', () =>
        withStore(async (store, clock) => {
          const app = await newApp(store);
          const c = makeChallenge(app.id, { expiresAt: T0 + 1000 });
          await store.challenges.put(c);
          clock.advance(1000 + READABLE_AFTER_EXPIRY_MS);
          // Later writes may sweep old rows, but not one that expired this recently.
          await store.challenges.put(makeChallenge(app.id, { expiresAt: clock() + 1000 }));
          assert.deepEqual(await store.challenges.consume(app.id, c.id), c);
          assert.equal(await store.challenges.consume(app.id, c.id), null);
        }));

      it('50 concurrent consume of one challenge: exactly one gets it', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const c = makeChallenge(app.id);
          await store.challenges.put(c);
          const results = await Promise.all(
            Array.from({ length: 50 }, () => store.challenges.consume(app.id, c.id)),
          );
          const got = results.filter((r) => r !== null);
          assert.equal(got.length, 1);
          assert.deepEqual(got[0], c);
        }));
    });

    describe('replay', () => {
      it('remember is add-if-absent: true once, false while the record lives', () =>
        withStore(async (store) => {
          const key = uid('rp');
          assert.equal(await store.replay.remember(key, 1000), true);
          assert.equal(await store.replay.remember(key, 1000), false);
          assert.equal(await store.replay.remember(uid('rp'), 1000), true, 'keys are independent');
        }));

      it('an expired record counts as absent and is replaced with a new lifetime', () =>
        withStore(async (store, clock) => {
          const key = uid('rp');
          assert.equal(await store.replay.remember(key, 1000), true);
          clock.advance(999);
          assert.equal(await store.replay.remember(key, 1000), false, 'still alive 1 ms before expiry');
          clock.advance(1);
          assert.equal(await store.replay.remember(key, 5000), true, 'expired at expiresAt');
          clock.advance(4999);
          assert.equal(await store.replay.remember(key, 1000), false, 'the new record has the new lifetime');
        }));

      it('50 concurrent remember of one key: exactly one true (also when replacing an expired record)', () =>
        withStore(async (store, clock) => {
          const key = uid('rp');
          const first = await Promise.all(Array.from({ length: 50 }, () => store.replay.remember(key, 1000)));
          assert.equal(first.filter(Boolean).length, 1);
          clock.advance(1000);
          const second = await Promise.all(
            Array.from({ length: 50 }, () => store.replay.remember(key, 1000)),
          );
          assert.equal(second.filter(Boolean).length, 1);
        }));
    });

    describe('mykey sessions', () => {
      it('create then get returns the session; get is scoped by app', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const s = makeSession(app.id);
          await store.mykey.create(s);
          assert.deepEqual(await store.mykey.get(app.id, s.uuID), s);
          assert.equal(await store.mykey.get(other.id, s.uuID), null);
          assert.equal(await store.mykey.get(app.id, uid('mk')), null);
        }));

      it('create refuses a duplicate uuID with conflict', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const s = makeSession(app.id);
          await store.mykey.create(s);
          await assert.rejects(store.mykey.create({ ...s, createdAt: T0 + 1 }), isCode('conflict'));
          assert.deepEqual(await store.mykey.get(app.id, s.uuID), s);
        }));

      it('complete applies once to a pending session; a second callback loses', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const s = makeSession(app.id);
          await store.mykey.create(s);
          const verified = {
            status: 'verified',
            account: 'alice.gm',
            chain: 'eos',
            token: 'jwt.a.b',
            reason: null,
          } as const;
          assert.equal(await store.mykey.complete(app.id, s.uuID, verified), true);
          assert.deepEqual(await store.mykey.get(app.id, s.uuID), { ...s, ...verified });
          const failed = {
            status: 'failed',
            account: null,
            chain: null,
            token: null,
            reason: 'signature_invalid',
          } as const;
          assert.equal(await store.mykey.complete(app.id, s.uuID, failed), false);
          assert.deepEqual(await store.mykey.get(app.id, s.uuID), { ...s, ...verified });
          assert.equal(await store.mykey.complete(app.id, uid('mk'), verified), false, 'unknown');
        }));

      it('complete refuses an expired session (at expiresAt), which stays readable and pending', () =>
        withStore(async (store, clock) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const s = makeSession(app.id, { expiresAt: T0 + 1000 });
          await store.mykey.create(s);
          const failed = { status: 'failed', account: null, chain: null, token: null, reason: 'x' } as const;
          assert.equal(await store.mykey.complete(other.id, s.uuID, failed), false, 'other app');
          clock.advance(1000);
          assert.equal(await store.mykey.complete(app.id, s.uuID, failed), false);
          clock.advance(READABLE_AFTER_EXPIRY_MS);
          await store.mykey.create(makeSession(app.id, { expiresAt: clock() + 1000, createdAt: clock() }));
          assert.deepEqual(await store.mykey.get(app.id, s.uuID), s);
        }));

      it('2 concurrent complete: exactly one wins and its result is stored', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const s = makeSession(app.id);
          await store.mykey.create(s);
          const results = [
            { status: 'verified', account: 'alice.gm', chain: 'eos', token: 'jwt.1', reason: null },
            { status: 'failed', account: null, chain: null, token: null, reason: 'signature_invalid' },
          ] as const;
          const won = await Promise.all(results.map((r) => store.mykey.complete(app.id, s.uuID, r)));
          assert.equal(won.filter(Boolean).length, 1);
          const winner = results[won.indexOf(true)]!;
          assert.deepEqual(await store.mykey.get(app.id, s.uuID), { ...s, ...winner });
        }));
    });

    describe('audit', () => {
      it('append then list returns full records, newest first, scoped by app', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const a = makeAudit(app.id, { at: T0 + 1 });
          const b = makeAudit(app.id, {
            at: T0 + 3,
            outcome: 'failure',
            reason: 'counter_regression',
            userId: 'alice',
            credentialId: uid('cred'),
            ip: '2001:db8::1',
            scheme: 'webauthn',
          });
          const c = makeAudit(app.id, { at: T0 + 2, action: 'register', userId: 'bob', ip: '203.0.113.9' });
          for (const r of [a, b, c]) await store.audit.append(r);
          await store.audit.append(makeAudit(other.id, { at: T0 + 4 }));
          assert.deepEqual(await store.audit.list(app.id, { limit: 100 }), [b, c, a]);
          assert.deepEqual(await store.audit.list(uid('app'), { limit: 100 }), []);
        }));

      it('filters by userId and by before (exclusive), alone and together, and honours limit', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const records = Array.from({ length: 6 }, (_, i) =>
            makeAudit(app.id, { at: T0 + i * 10, userId: i % 2 === 0 ? 'alice' : 'bob' }),
          );
          for (const r of records) await store.audit.append(r);
          const [r0, r1, r2, r3, r4, r5] = records as [
            AuditRecord,
            AuditRecord,
            AuditRecord,
            AuditRecord,
            AuditRecord,
            AuditRecord,
          ];
          assert.deepEqual(await store.audit.list(app.id, { limit: 100, userId: 'alice' }), [r4, r2, r0]);
          assert.deepEqual(await store.audit.list(app.id, { limit: 100, before: T0 + 30 }), [r2, r1, r0]);
          assert.deepEqual(await store.audit.list(app.id, { limit: 100, userId: 'bob', before: T0 + 50 }), [
            r3,
            r1,
          ]);
          assert.deepEqual(await store.audit.list(app.id, { limit: 2 }), [r5, r4]);
          assert.deepEqual(await store.audit.list(app.id, { limit: 100, userId: 'carol' }), []);
        }));

      it("prune deletes every app's records older than a time, in batches, and keeps the rest", () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          // Far older than anything another case writes, and more than two batches of them.
          const OLD = T0 - 10_000_000;
          const old = Array.from({ length: 2100 }, (_, i) =>
            makeAudit(i % 2 === 0 ? app.id : other.id, { at: OLD + i }),
          );
          for (const r of old) await store.audit.append(r);
          const young = [makeAudit(app.id, { at: T0 + 1 }), makeAudit(other.id, { at: T0 + 2 })];
          for (const r of young) await store.audit.append(r);
          const edge = makeAudit(app.id, { at: OLD + 5000 });
          await store.audit.append(edge);
          assert.equal(await store.audit.prune(OLD + 5000), 2100); // `at < before`: the edge stays
          assert.deepEqual(await store.audit.list(app.id, { limit: 1000 }), [young[0], edge]);
          assert.deepEqual(await store.audit.list(other.id, { limit: 1000 }), [young[1]]);
          assert.equal(await store.audit.prune(OLD + 5000), 0);
        }));

      it('limit is clamped to 1..1000', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          await Promise.all(
            Array.from({ length: 1001 }, (_, i) => store.audit.append(makeAudit(app.id, { at: T0 + i }))),
          );
          assert.equal((await store.audit.list(app.id, { limit: 0 })).length, 1);
          assert.equal((await store.audit.list(app.id, { limit: -5 })).length, 1);
          const max = await store.audit.list(app.id, { limit: 5000 });
          assert.equal(max.length, 1000);
          assert.equal(max[0]?.at, T0 + 1000);
          assert.equal(max[999]?.at, T0 + 1);
        }));
    });

    describe('signing keys', () => {
      it('rotate makes the key the only active one and retires the previous at key.createdAt', () =>
        withStore(async (store) => {
          const k1 = makeSigningKey(T0);
          await store.signingKeys.rotate(k1);
          let keys = await store.signingKeys.list();
          assert.deepEqual(
            keys.filter((k) => k.retiredAt === null),
            [k1],
          );

          const k2 = makeSigningKey(T0 + 5000);
          await store.signingKeys.rotate(k2);
          keys = await store.signingKeys.list();
          assert.deepEqual(
            keys.filter((k) => k.retiredAt === null),
            [k2],
          );
          assert.deepEqual(
            keys.find((k) => k.kid === k1.kid),
            { ...k1, retiredAt: k2.createdAt },
          );
        }));

      it('a refused rotate (duplicate kid) changes nothing', () =>
        withStore(async (store) => {
          const k1 = makeSigningKey(T0);
          const k2 = makeSigningKey(T0 + 10);
          await store.signingKeys.rotate(k1);
          await store.signingKeys.rotate(k2);
          const before = await store.signingKeys.list();
          await assert.rejects(store.signingKeys.rotate({ ...k1, createdAt: T0 + 20 }), isCode('conflict'));
          const after = await store.signingKeys.list();
          assert.deepEqual(
            after.filter((k) => k.retiredAt === null),
            [k2],
          );
          assert.deepEqual(
            after.filter((k) => k.kid === k1.kid || k.kid === k2.kid),
            before.filter((k) => k.kid === k1.kid || k.kid === k2.kid),
          );
        }));

      it('prune deletes keys retired before `before` (exclusive) and never the active key', () =>
        withStore(async (store) => {
          const k1 = makeSigningKey(T0);
          const k2 = makeSigningKey(T0 + 10);
          const k3 = makeSigningKey(T0 + 20);
          for (const k of [k1, k2, k3]) await store.signingKeys.rotate(k);
          // k1 retired at T0+10, k2 at T0+20, k3 active.
          const expected = (await store.signingKeys.list()).filter(
            (k) => k.retiredAt !== null && k.retiredAt < T0 + 20,
          );
          assert.ok(expected.some((k) => k.kid === k1.kid));
          assert.equal(await store.signingKeys.prune(T0 + 20), expected.length);
          let kids = (await store.signingKeys.list()).map((k) => k.kid);
          assert.ok(!kids.includes(k1.kid));
          assert.ok(kids.includes(k2.kid), 'retired exactly at `before` stays');
          assert.ok(kids.includes(k3.kid));

          assert.ok((await store.signingKeys.prune(Number.MAX_SAFE_INTEGER)) >= 1);
          kids = (await store.signingKeys.list()).map((k) => k.kid);
          assert.ok(!kids.includes(k2.kid));
          assert.ok(kids.includes(k3.kid), 'the active key is never pruned');
          assert.equal(await store.signingKeys.prune(Number.MAX_SAFE_INTEGER), 0);
        }));
    });

    describe('concurrent writes (SQLite commits them as one group)', () => {
      it('50 consumes of one challenge among 50 other writes started together: exactly one winner, the rest land', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const contested = makeChallenge(app.id);
          await store.challenges.put(contested);
          const others = Array.from({ length: 25 }, () => makeChallenge(app.id));
          const audits = Array.from({ length: 25 }, (_, i) => makeAudit(app.id, { at: T0 + i }));
          const [consumed] = await Promise.all([
            Promise.all(Array.from({ length: 50 }, () => store.challenges.consume(app.id, contested.id))),
            Promise.all(others.map((c) => store.challenges.put(c))),
            Promise.all(audits.map((r) => store.audit.append(r))),
          ]);
          assert.equal(consumed.filter((c) => c !== null).length, 1);
          assert.deepEqual(
            consumed.find((c) => c !== null),
            contested,
          );
          for (const c of others) assert.deepEqual(await store.challenges.consume(app.id, c.id), c);
          const listed = await store.audit.list(app.id, { limit: 100 });
          assert.deepEqual(listed.map((r) => r.id).sort(), audits.map((r) => r.id).sort());
        }));

      it('a write refused among concurrent writes refuses only its caller and leaves none of its statements', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const k1 = makeSigningKey(T0);
          const k2 = makeSigningKey(T0 + 10);
          await store.signingKeys.rotate(k1);
          await store.signingKeys.rotate(k2);
          const sibling = makeCredential(app.id, { userId: 'alice', type: 'device', deviceId: 'phone' });
          const taken = makeCredential(app.id, { userId: 'bob' });
          await store.credentials.create(sibling);
          await store.credentials.create(taken);
          const before = await store.signingKeys.list();
          const a = makeChallenge(app.id);
          const b = makeChallenge(app.id);
          const audit = makeAudit(app.id);
          const results = await Promise.allSettled([
            store.challenges.put(a),
            store.apps.create({ ...app, name: 'duplicate' }),
            // Two statements: the retire of k2 must be undone with the refused insert of k1 again.
            store.signingKeys.rotate({ ...k1, createdAt: T0 + 20 }),
            // The insert is refused, so the sibling it would replace must stay.
            store.credentials.create({ ...taken, userId: 'alice', deviceId: 'phone' }),
            store.audit.append(audit),
            store.challenges.put(b),
          ]);
          assert.deepEqual(
            results.map((r) => r.status),
            ['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled', 'fulfilled'],
          );
          for (const r of results)
            if (r.status === 'rejected') assert.ok(isCode('conflict')(r.reason), String(r.reason));
          assert.equal((await store.apps.get(app.id))?.name, app.name);
          const after = await store.signingKeys.list();
          assert.deepEqual(
            after.filter((k) => k.kid === k1.kid || k.kid === k2.kid),
            before.filter((k) => k.kid === k1.kid || k.kid === k2.kid),
          );
          assert.deepEqual(await store.credentials.get(app.id, sibling.id), sibling);
          assert.deepEqual(await store.credentials.get(app.id, taken.id), taken);
          assert.deepEqual(await store.challenges.consume(app.id, a.id), a);
          assert.deepEqual(await store.challenges.consume(app.id, b.id), b);
          assert.deepEqual(
            (await store.audit.list(app.id, { limit: 10 })).map((r) => r.id),
            [audit.id],
          );
        }));
    });

    describe('rate limits', () => {
      const W = 60_000;
      /** A window start well after T0, so the cases control where in the window they are. */
      const WINDOW = Math.ceil(T0 / W) * W + 10 * W;

      it('hit counts within a fixed window; peek reads without adding', () =>
        withStore(async (store, clock) => {
          const key = uid('rl');
          clock.set(WINDOW);
          assert.equal(await store.rateLimits.peek(key, W), 0);
          assert.equal(await store.rateLimits.hit(key, W), 1);
          clock.set(WINDOW + W / 2);
          assert.equal(await store.rateLimits.hit(key, W), 2);
          clock.set(WINDOW + W - 1);
          assert.equal(await store.rateLimits.hit(key, W), 3);
          assert.equal(await store.rateLimits.peek(key, W), 3);
          assert.equal(await store.rateLimits.peek(key, W), 3);
          assert.equal(await store.rateLimits.peek(uid('rl'), W), 0, 'keys are independent');
        }));

      it('windows start at floor(now / windowMs) * windowMs, not at the first hit', () =>
        withStore(async (store, clock) => {
          const key = uid('rl');
          clock.set(WINDOW + W - 10);
          assert.equal(await store.rateLimits.hit(key, W), 1);
          assert.equal(await store.rateLimits.hit(key, W), 2);
          clock.advance(10);
          assert.equal(await store.rateLimits.peek(key, W), 0, 'a new window 10 ms after the first hit');
          assert.equal(await store.rateLimits.hit(key, W), 1);
          clock.advance(3 * W);
          assert.equal(await store.rateLimits.peek(key, W), 0);
        }));

      it('50 concurrent hits all count', () =>
        withStore(async (store, clock) => {
          const key = uid('rl');
          clock.set(WINDOW + 5);
          const counts = await Promise.all(Array.from({ length: 50 }, () => store.rateLimits.hit(key, W)));
          assert.deepEqual(
            [...counts].sort((a, b) => a - b),
            Array.from({ length: 50 }, (_, i) => i + 1),
          );
          assert.equal(await store.rateLimits.peek(key, W), 50);
        }));
    });
  });
}
