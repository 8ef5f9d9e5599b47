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
  AuditQuery,
  AuditRecord,
  Challenge,
  Clock,
  Credential,
  LoginUnit,
  MykeySession,
  SessionFamily,
  NewWebhookMessage,
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
      requireWalletProof: true,
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
    pollHash: null,
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
    count: 1,
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
    revokedAt: null,
  };
}

export function makeFamily(appId: string, overrides: Partial<SessionFamily> = {}): SessionFamily {
  return {
    id: uid('sid'),
    appId,
    userId: uid('user'),
    credentialId: uid('cred'),
    amr: 'device',
    createdAt: T0,
    expiresAt: T0 + 30 * 86_400_000,
    refreshedAt: null,
    revokedAt: null,
    revokedReason: null,
    ...overrides,
  };
}

/** A hash-shaped token id for the conformance cases (the store never sees a token itself). */
export const tokenHash = () => uid('h');

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
          const ethSame = makeCredential(app.id, { type: 'eth', account });
          const eosOtherApp = makeCredential(other.id, { type: 'eos', account });
          const eosOtherAccount = makeCredential(app.id, { type: 'eos', account: `${account}x` });
          for (const c of [eosA, ethSame, eosOtherApp, eosOtherAccount]) await store.credentials.create(c);
          assert.deepEqual(await store.credentials.findByAccount(app.id, 'eos', account), [eosA]);
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

    describe('uniqueness: one wallet, one credential, per app', () => {
      for (const type of ['eos', 'eth'] as const) {
        it(`a second ${type} credential for one account is refused with conflict, whoever asks`, () =>
          withStore(async (store) => {
            const app = await newApp(store);
            const account =
              type === 'eth' ? `0x${randomUUID().replace(/-/g, '')}abcdef01` : `u${randomUUID().slice(0, 8)}`;
            const first = makeCredential(app.id, { type, account });
            await store.credentials.create(first);
            // Another user, and the same user with another credential id: both refused.
            await assert.rejects(
              store.credentials.create(makeCredential(app.id, { type, account })),
              isCode('conflict'),
            );
            await assert.rejects(
              store.credentials.create(makeCredential(app.id, { type, account, userId: first.userId })),
              isCode('conflict'),
            );
            assert.deepEqual(await store.credentials.findByAccount(app.id, type, account), [first]);
          }));
      }

      it('the rule is per app and per type; device and webauthn credentials are not concerned', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const account = `w${randomUUID().slice(0, 8)}`;
          await store.credentials.create(makeCredential(app.id, { type: 'eos', account }));
          await store.credentials.create(makeCredential(other.id, { type: 'eos', account }));
          await store.credentials.create(makeCredential(app.id, { type: 'eth', account }));
          const userId = uid('user');
          await store.credentials.create(makeCredential(app.id, { userId, type: 'webauthn' }));
          await store.credentials.create(makeCredential(app.id, { userId, type: 'webauthn' }));
          await store.credentials.create(makeCredential(app.id, { userId }));
          await store.credentials.create(makeCredential(app.id, { userId }));
          assert.equal((await store.credentials.listByUser(app.id, userId)).length, 4);
        }));

      it('once the holder’s credential is deleted, the wallet is free again', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const account = `f${randomUUID().slice(0, 8)}`;
          const first = makeCredential(app.id, { type: 'eth', account });
          await store.credentials.create(first);
          assert.equal(await store.credentials.delete(app.id, first.userId, first.id), true);
          const next = makeCredential(app.id, { type: 'eth', account });
          await store.credentials.create(next);
          assert.deepEqual(await store.credentials.findByAccount(app.id, 'eth', account), [next]);
        }));

      it('of eight concurrent registrations of one wallet by eight users, exactly one is stored', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const account = `r${randomUUID().slice(0, 8)}`;
          const tries = Array.from({ length: 8 }, () => makeCredential(app.id, { type: 'eos', account }));
          const results = await Promise.allSettled(tries.map((c) => store.credentials.create(c)));
          const won = results.filter((r) => r.status === 'fulfilled');
          assert.equal(won.length, 1);
          for (const r of results)
            if (r.status === 'rejected') assert.ok(isSignetError(r.reason, 'conflict'));
          const stored = await store.credentials.findByAccount(app.id, 'eos', account);
          assert.equal(stored.length, 1);
          assert.ok(tries.some((c) => c.id === stored[0]!.id));
        }));

      it('listDisplaced answers a list (empty unless the migration moved duplicates aside)', () =>
        withStore(async (store) => {
          const displaced = await store.credentials.listDisplaced();
          assert.ok(Array.isArray(displaced));
          for (const d of displaced) assert.notEqual(d.id, d.keptId);
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

      it('has reads without adding: false before remember, true while the record lives, false from its expiry', () =>
        withStore(async (store, clock) => {
          const key = uid('rp');
          assert.equal(await store.replay.has(key), false);
          assert.equal(await store.replay.has(key), false, 'has added nothing');
          assert.equal(await store.replay.remember(key, 1000), true, 'so remember still sees the key as new');
          assert.equal(await store.replay.has(key), true);
          assert.equal(await store.replay.has(uid('rp')), false, 'keys are independent');
          clock.advance(999);
          assert.equal(await store.replay.has(key), true, 'alive 1 ms before expiry');
          clock.advance(1);
          assert.equal(await store.replay.has(key), false, 'expired at expiresAt');
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

      it('keeps the poll-secret hash from create through complete', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const s = makeSession(app.id, { pollHash: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg' });
          await store.mykey.create(s);
          assert.deepEqual(await store.mykey.get(app.id, s.uuID), s);
          const verified = {
            status: 'verified',
            account: 'a',
            chain: 'EOS',
            token: 'v1.x.y.z',
            reason: null,
          } as const;
          assert.equal(await store.mykey.complete(app.id, s.uuID, verified), true);
          assert.equal((await store.mykey.get(app.id, s.uuID))?.pollHash, s.pollHash);
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

      // The console's audit view (docs/console.md): filters and a keyset cursor, server-side.
      it('filters by scheme, action, outcome, reason and user prefix, all together with AND', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const rows: AuditRecord[] = [
            makeAudit(app.id, { at: T0 + 1, userId: 'alice', scheme: 'eth' }),
            makeAudit(app.id, {
              at: T0 + 2,
              userId: 'alina',
              scheme: 'eth',
              outcome: 'failure',
              reason: 'signature_invalid',
            }),
            makeAudit(app.id, {
              at: T0 + 3,
              userId: 'Alice',
              scheme: 'device',
              outcome: 'failure',
              reason: 'replayed',
            }),
            makeAudit(app.id, { at: T0 + 4, userId: 'al%x', scheme: 'device', action: 'register' }),
            makeAudit(app.id, {
              at: T0 + 5,
              userId: null,
              scheme: 'tiniapp',
              action: 'server_api',
              outcome: 'failure',
              reason: 'signature_invalid',
            }),
            makeAudit(app.id, {
              at: T0 + 6,
              userId: 'bob',
              scheme: 'eth',
              outcome: 'failure',
              reason: 'signature_invalid',
            }),
          ];
          for (const r of rows) await store.audit.append(r);
          await store.audit.append(makeAudit(other.id, { at: T0 + 7, userId: 'alice', scheme: 'eth' }));
          const [alice, alina, Alice, pct, api, bob] = rows as [
            AuditRecord,
            AuditRecord,
            AuditRecord,
            AuditRecord,
            AuditRecord,
            AuditRecord,
          ];
          const list = (q: Omit<AuditQuery, 'limit'>) => store.audit.list(app.id, { limit: 100, ...q });
          assert.deepEqual(await list({ scheme: 'eth' }), [bob, alina, alice]);
          assert.deepEqual(await list({ action: 'register' }), [pct]);
          assert.deepEqual(await list({ outcome: 'failure' }), [bob, api, Alice, alina]);
          assert.deepEqual(await list({ reason: 'signature_invalid' }), [bob, api, alina]);
          // Case-sensitive, and % / _ are plain characters, not wildcards.
          assert.deepEqual(await list({ userPrefix: 'al' }), [pct, alina, alice]);
          assert.deepEqual(await list({ userPrefix: 'Al' }), [Alice]);
          assert.deepEqual(await list({ userPrefix: 'al%' }), [pct]);
          assert.deepEqual(await list({ userPrefix: 'a_' }), []);
          assert.deepEqual(await list({ userPrefix: 'alice' }), [alice]);
          assert.deepEqual(await list({ userPrefix: '' }), await list({}));
          assert.deepEqual(await list({ userPrefix: 'al', scheme: 'eth', outcome: 'failure' }), [alina]);
          assert.deepEqual(await list({ scheme: 'eth', reason: 'replayed' }), []);
          assert.deepEqual(await list({ userPrefix: 'al', before: T0 + 2 }), [alice]);
        }));

      it('the after cursor pages through records that share a millisecond, nothing lost or repeated', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          // 3 records at T0 + 10, 4 at T0 + 20 (written in this order), 2 at T0 + 30.
          const written = [10, 10, 10, 20, 20, 20, 20, 30, 30].map((d, i) =>
            makeAudit(app.id, { at: T0 + d, userId: `u${i}`, outcome: i % 2 === 0 ? 'success' : 'failure' }),
          );
          for (const r of written) await store.audit.append(r);
          const newestFirst = [...written].reverse();
          for (const size of [1, 2, 3, 4]) {
            const seen: AuditRecord[] = [];
            let after: { at: number; id: string } | undefined;
            for (let pages = 0; pages < 20; pages++) {
              const page = await store.audit.list(app.id, { limit: size, ...(after ? { after } : {}) });
              seen.push(...page);
              if (page.length < size) break;
              const last = page[page.length - 1]!;
              after = { at: last.at, id: last.id };
            }
            assert.deepEqual(seen, newestFirst, `pages of ${size}`);
          }
          // With a filter: the cursor pages within the filtered list.
          const failures = newestFirst.filter((r) => r.outcome === 'failure');
          const first = await store.audit.list(app.id, { limit: 2, outcome: 'failure' });
          assert.deepEqual(first, failures.slice(0, 2));
          const last = first[1]!;
          assert.deepEqual(
            await store.audit.list(app.id, {
              limit: 100,
              outcome: 'failure',
              after: { at: last.at, id: last.id },
            }),
            failures.slice(2),
          );
          // A cursor naming a record of another app (or none) only cuts by time.
          const foreign = makeAudit((await newApp(store)).id, { at: T0 + 20 });
          await store.audit.append(foreign);
          assert.deepEqual(
            await store.audit.list(app.id, { limit: 100, after: { at: T0 + 20, id: foreign.id } }),
            newestFirst.filter((r) => r.at < T0 + 20),
          );
          assert.deepEqual(
            await store.audit.list(app.id, { limit: 100, after: { at: T0 + 30, id: 'au_gone' } }),
            newestFirst.filter((r) => r.at < T0 + 30),
          );
        }));
    });

    describe('audit aggregation', () => {
      it('aggregate inserts once, then counts repeats of one id; other ids stay apart', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const first = makeAudit(app.id, {
            id: uid('ag'),
            at: T0 + 5,
            outcome: 'failure',
            reason: 'replayed',
            scheme: 'mykey',
            action: 'mykey_callback',
            ip: '203.0.113.7',
          });
          await store.audit.aggregate(first);
          await store.audit.aggregate({ ...first, at: T0 + 6 });
          await store.audit.aggregate({ ...first, at: T0 + 7 });
          const second = { ...first, id: uid('ag'), at: T0 + 8 };
          await store.audit.aggregate(second);
          assert.deepEqual(await store.audit.list(app.id, { limit: 100 }), [
            { ...second, count: 1 },
            { ...first, count: 3 },
          ]);
        }));

      it('50 concurrent aggregates of one id count 50 in one record', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const r = makeAudit(app.id, { id: uid('ag'), outcome: 'failure', reason: 'replayed' });
          await Promise.all(Array.from({ length: 50 }, () => store.audit.aggregate(r)));
          assert.deepEqual(await store.audit.list(app.id, { limit: 100 }), [{ ...r, count: 50 }]);
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

    describe('signing key revocation', () => {
      it('revoke marks the key revoked and retires it; a second revoke and an unknown kid answer false', () =>
        withStore(async (store) => {
          const k1 = makeSigningKey(T0);
          const k2 = makeSigningKey(T0 + 10);
          await store.signingKeys.rotate(k1);
          await store.signingKeys.rotate(k2);
          assert.equal(await store.signingKeys.revoke(k1.kid, T0 + 50), true);
          let keys = await store.signingKeys.list();
          assert.deepEqual(
            keys.find((k) => k.kid === k1.kid),
            { ...k1, retiredAt: T0 + 10, revokedAt: T0 + 50 },
            'a retired key keeps its retiredAt',
          );
          assert.equal(await store.signingKeys.revoke(k1.kid, T0 + 60), false);
          assert.equal(await store.signingKeys.revoke(uid('kid'), T0 + 60), false);

          assert.equal(await store.signingKeys.revoke(k2.kid, T0 + 70), true);
          keys = await store.signingKeys.list();
          assert.deepEqual(
            keys.find((k) => k.kid === k2.kid),
            { ...k2, retiredAt: T0 + 70, revokedAt: T0 + 70 },
            'the revoked active key is retired at once',
          );
          assert.equal(keys.filter((k) => k.retiredAt === null).length, 0);
          const k3 = makeSigningKey(T0 + 80);
          await store.signingKeys.rotate(k3);
          assert.deepEqual(
            (await store.signingKeys.list()).filter((k) => k.retiredAt === null),
            [k3],
            'a new key takes over after the active one was revoked',
          );
        }));
    });

    describe('sessions (refresh-token families)', () => {
      /** The retry grace the rotations below pass (the server's default, src/core/sessions.ts). */
      const GRACE = 10_000;

      it('create then get and findByToken return the family; other apps and unknown hashes read null', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const family = makeFamily(app.id);
          const h = tokenHash();
          await store.sessions.create(family, h);
          assert.deepEqual(await store.sessions.get(app.id, family.id), family);
          assert.deepEqual(await store.sessions.findByToken(app.id, h), family);
          assert.equal(await store.sessions.findByToken(other.id, h), null, 'a token is bound to its app');
          assert.equal(await store.sessions.get(other.id, family.id), null);
          assert.equal(await store.sessions.findByToken(app.id, tokenHash()), null);
          await assert.rejects(store.sessions.create(family, tokenHash()), isCode('conflict'));
          await assert.rejects(
            store.sessions.create(makeFamily(app.id), h),
            isCode('conflict'),
            'a token hash belongs to one family',
          );
        }));

      it('rotate spends the current token once; presenting it again after the grace revokes the family (reuse)', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const family = makeFamily(app.id);
          const [h1, h2, h3] = [tokenHash(), tokenHash(), tokenHash()];
          await store.sessions.create(family, h1);

          const first = await store.sessions.rotate(app.id, h1, h2, T0 + 100, GRACE);
          assert.deepEqual(first, { outcome: 'rotated', family: { ...family, refreshedAt: T0 + 100 } });
          assert.deepEqual((await store.sessions.get(app.id, family.id))!.refreshedAt, T0 + 100);
          assert.deepEqual(await store.sessions.findByToken(app.id, h2), {
            ...family,
            refreshedAt: T0 + 100,
          });

          const late = T0 + 100 + GRACE + 1;
          const again = await store.sessions.rotate(app.id, h1, h3, late, GRACE);
          assert.equal(again.outcome, 'reused');
          const revoked = await store.sessions.get(app.id, family.id);
          assert.equal(revoked!.revokedAt, late);
          assert.equal(revoked!.revokedReason, 'refresh_reuse');
          assert.equal(await store.sessions.findByToken(app.id, h3), null, 'nothing issued on reuse');

          const after = await store.sessions.rotate(app.id, h2, h3, late + 100, GRACE);
          assert.equal(after.outcome, 'inactive', "the winner's token died with its family");
          assert.equal((await store.sessions.get(app.id, family.id))!.revokedAt, late);
        }));

      it('a retry inside the grace whose successor was never used rotates again; the successor is then reuse', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const family = makeFamily(app.id);
          const [h1, h2, h3, h4] = [tokenHash(), tokenHash(), tokenHash(), tokenHash()];
          await store.sessions.create(family, h1);
          assert.equal((await store.sessions.rotate(app.id, h1, h2, T0 + 100, GRACE)).outcome, 'rotated');
          // The answer carrying h2 was lost: the client presents h1 again, at the window's last ms.
          const retry = await store.sessions.rotate(app.id, h1, h3, T0 + 100 + GRACE, GRACE);
          assert.deepEqual(retry, {
            outcome: 'rotated',
            retried: true,
            family: { ...family, refreshedAt: T0 + 100 + GRACE },
          });
          assert.equal((await store.sessions.findByToken(app.id, h3))!.id, family.id);
          assert.equal((await store.sessions.get(app.id, family.id))!.revokedAt, null);
          // h2 was spent by the retry and has no successor of its own: whoever holds it (the lost
          // answer surfacing late, or a racer) presents reuse, even inside the window.
          const lost = await store.sessions.rotate(app.id, h2, h4, T0 + 100 + GRACE + 1, GRACE);
          assert.equal(lost.outcome, 'reused');
          assert.equal((await store.sessions.get(app.id, family.id))!.revokedReason, 'refresh_reuse');
          assert.equal(await store.sessions.findByToken(app.id, h4), null, 'nothing issued on reuse');
          assert.equal(
            (await store.sessions.rotate(app.id, h3, h4, T0 + 100 + GRACE + 2, GRACE)).outcome,
            'inactive',
          );
        }));

      it('a retry is reuse when the successor was used, when retried twice, or with the grace off', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const rotate = (a: string, b: string, at: number, grace = GRACE) =>
            store.sessions.rotate(app.id, a, b, at, grace);

          // The owner already refreshed with the successor; a thief replays the older token.
          const stolen = makeFamily(app.id);
          const [s1, s2, s3, s4] = [tokenHash(), tokenHash(), tokenHash(), tokenHash()];
          await store.sessions.create(stolen, s1);
          assert.equal((await rotate(s1, s2, T0 + 100)).outcome, 'rotated');
          assert.equal((await rotate(s2, s3, T0 + 150)).outcome, 'rotated');
          assert.equal((await rotate(s1, s4, T0 + 200)).outcome, 'reused');
          assert.equal((await store.sessions.get(app.id, stolen.id))!.revokedReason, 'refresh_reuse');
          assert.equal(await store.sessions.findByToken(app.id, s4), null);
          assert.equal(
            (await rotate(s3, s4, T0 + 300)).outcome,
            'inactive',
            "the owner's token went with it",
          );

          // One retry a spent token: its successor is used by the first retry.
          const twice = makeFamily(app.id);
          const [t1, t2, t3, t4] = [tokenHash(), tokenHash(), tokenHash(), tokenHash()];
          await store.sessions.create(twice, t1);
          assert.equal((await rotate(t1, t2, T0 + 100)).outcome, 'rotated');
          assert.equal((await rotate(t1, t3, T0 + 200)).outcome, 'rotated');
          assert.equal((await rotate(t1, t4, T0 + 300)).outcome, 'reused');
          assert.equal((await store.sessions.get(app.id, twice.id))!.revokedReason, 'refresh_reuse');

          // Grace 0 is strict single use, even within the same millisecond.
          const strict = makeFamily(app.id);
          const [u1, u2, u3] = [tokenHash(), tokenHash(), tokenHash()];
          await store.sessions.create(strict, u1);
          assert.equal((await rotate(u1, u2, T0 + 100, 0)).outcome, 'rotated');
          assert.equal((await rotate(u1, u3, T0 + 100, 0)).outcome, 'reused');
          assert.equal((await store.sessions.get(app.id, strict.id))!.revokedReason, 'refresh_reuse');
        }));

      it('rotate answers unknown for a foreign or unknown hash, and inactive for an expired family', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const family = makeFamily(app.id, { expiresAt: T0 + 1000 });
          const h1 = tokenHash();
          await store.sessions.create(family, h1);
          assert.deepEqual(await store.sessions.rotate(other.id, h1, tokenHash(), T0 + 1, GRACE), {
            outcome: 'unknown',
          });
          assert.deepEqual(await store.sessions.rotate(app.id, tokenHash(), tokenHash(), T0 + 1, GRACE), {
            outcome: 'unknown',
          });
          const late = await store.sessions.rotate(app.id, h1, tokenHash(), T0 + 1000, GRACE);
          assert.equal(late.outcome, 'inactive');
          assert.equal((await store.sessions.get(app.id, family.id))!.revokedAt, null);
        }));

      it('of 20 concurrent rotations with one token exactly one wins (grace off); the family ends revoked', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const family = makeFamily(app.id);
          const h1 = tokenHash();
          await store.sessions.create(family, h1);
          const nexts = Array.from({ length: 20 }, () => tokenHash());
          const results = await Promise.all(
            nexts.map((n) => store.sessions.rotate(app.id, h1, n, T0 + 5, 0)),
          );
          const outcomes = results.map((r) => r.outcome);
          assert.equal(outcomes.filter((o) => o === 'rotated').length, 1, outcomes.join(','));
          // The first loser finds the token spent (reuse, the family goes); later ones may already
          // find the family revoked. Nobody finds it unknown, and nobody else gets a token.
          assert.ok(outcomes.includes('reused'), outcomes.join(','));
          assert.ok(!outcomes.includes('unknown'), outcomes.join(','));
          const winner = nexts[outcomes.indexOf('rotated')]!;
          assert.equal((await store.sessions.findByToken(app.id, winner))!.id, family.id);
          const after = await store.sessions.get(app.id, family.id);
          assert.equal(after!.revokedReason, 'refresh_reuse');
          const issued = await Promise.all(nexts.map((n) => store.sessions.findByToken(app.id, n)));
          assert.equal(issued.filter((f) => f !== null).length, 1, 'only the winner got a new token');
        }));

      it('of 20 concurrent retries of a spent token inside the grace exactly one rotates', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const family = makeFamily(app.id);
          const [h1, h2] = [tokenHash(), tokenHash()];
          await store.sessions.create(family, h1);
          assert.equal((await store.sessions.rotate(app.id, h1, h2, T0 + 100, GRACE)).outcome, 'rotated');
          const nexts = Array.from({ length: 20 }, () => tokenHash());
          const results = await Promise.all(
            nexts.map((n) => store.sessions.rotate(app.id, h1, n, T0 + 200, GRACE)),
          );
          const outcomes = results.map((r) => r.outcome);
          assert.equal(outcomes.filter((o) => o === 'rotated').length, 1, outcomes.join(','));
          const winner = results.find((r) => r.outcome === 'rotated');
          assert.equal(winner?.outcome === 'rotated' && winner.retried, true);
          // The others find the successor already used: reuse, and the family goes.
          assert.ok(outcomes.includes('reused'), outcomes.join(','));
          assert.ok(!outcomes.includes('unknown'), outcomes.join(','));
          assert.equal((await store.sessions.get(app.id, family.id))!.revokedReason, 'refresh_reuse');
          const issued = await Promise.all(nexts.map((n) => store.sessions.findByToken(app.id, n)));
          assert.equal(issued.filter((f) => f !== null).length, 1, 'only the winner got a new token');
        }));

      it('of 20 concurrent rotations with one current token inside the grace, one spends it and one retry its successor', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const family = makeFamily(app.id);
          const h1 = tokenHash();
          await store.sessions.create(family, h1);
          const nexts = Array.from({ length: 20 }, () => tokenHash());
          const results = await Promise.all(
            nexts.map((n) => store.sessions.rotate(app.id, h1, n, T0 + 5, GRACE)),
          );
          const rotated = results.filter((r) => r.outcome === 'rotated');
          // The first spends h1; the next is a retry inside the grace and spends the first's
          // token; the third finds that successor used: reuse, the family goes (racing clients
          // must still serialise their refreshes).
          assert.equal(rotated.length, 2, results.map((r) => r.outcome).join(','));
          assert.deepEqual(rotated.map((r) => r.outcome === 'rotated' && r.retried === true).sort(), [
            false,
            true,
          ]);
          assert.equal((await store.sessions.get(app.id, family.id))!.revokedReason, 'refresh_reuse');
        }));

      it('revoke, revokeByUser and revokeByCredential count only active families of the app', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const userId = uid('user');
          const cred = uid('cred');
          const a = makeFamily(app.id, { userId, credentialId: cred });
          const b = makeFamily(app.id, { userId, credentialId: uid('cred') });
          const c = makeFamily(app.id, { userId, credentialId: cred, expiresAt: T0 + 10 });
          const elsewhere = makeFamily(other.id, { userId, credentialId: cred });
          for (const f of [a, b, c, elsewhere]) await store.sessions.create(f, tokenHash());

          assert.equal(
            await store.sessions.revokeByCredential(app.id, cred, 'credential_deleted', T0 + 20),
            1,
          );
          assert.equal((await store.sessions.get(app.id, a.id))!.revokedReason, 'credential_deleted');
          assert.equal((await store.sessions.get(app.id, c.id))!.revokedAt, null, 'expired ones are left');
          assert.equal(await store.sessions.revokeByCredential(app.id, cred, 'again', T0 + 30), 0);

          assert.deepEqual(
            (await store.sessions.listActiveByUser(app.id, userId, T0 + 40)).map((f) => f.id),
            [b.id],
          );
          assert.equal(await store.sessions.revokeByUser(app.id, userId, 'user_signed_out', T0 + 40), 1);
          assert.deepEqual(await store.sessions.listActiveByUser(app.id, userId, T0 + 40), []);
          assert.equal(
            (await store.sessions.get(other.id, elsewhere.id))!.revokedAt,
            null,
            'other app untouched',
          );

          assert.equal(await store.sessions.revoke(other.id, elsewhere.id, 'logout', T0 + 50), true);
          assert.equal(await store.sessions.revoke(other.id, elsewhere.id, 'logout', T0 + 60), false);
          assert.equal((await store.sessions.get(other.id, elsewhere.id))!.revokedAt, T0 + 50);
          assert.equal(await store.sessions.revoke(app.id, uid('sid'), 'logout', T0 + 60), false);
        }));

      it('listActiveByUser is newest first; prune deletes expired families with their tokens', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const userId = uid('user');
          const old = makeFamily(app.id, { userId, createdAt: T0, expiresAt: T0 + 100 });
          const newer = makeFamily(app.id, { userId, createdAt: T0 + 10 });
          const newest = makeFamily(app.id, { userId, createdAt: T0 + 20 });
          const hOld = tokenHash();
          await store.sessions.create(old, hOld);
          await store.sessions.create(newer, tokenHash());
          await store.sessions.create(newest, tokenHash());
          assert.deepEqual(
            (await store.sessions.listActiveByUser(app.id, userId, T0 + 50)).map((f) => f.id),
            [newest.id, newer.id, old.id],
          );
          assert.deepEqual(
            (await store.sessions.listActiveByUser(app.id, userId, T0 + 100)).map((f) => f.id),
            [newest.id, newer.id],
            'expired at exactly expiresAt',
          );
          assert.ok((await store.sessions.prune(T0 + 101)) >= 1);
          assert.equal(await store.sessions.get(app.id, old.id), null);
          assert.equal(await store.sessions.findByToken(app.id, hOld), null);
          assert.deepEqual(await store.sessions.rotate(app.id, hOld, tokenHash(), T0 + 102, GRACE), {
            outcome: 'unknown',
          });
          assert.notEqual(await store.sessions.get(app.id, newer.id), null);
        }));
    });

    describe('webhook outbox', () => {
      const LEASE = 30_000;
      function message(appId: string, overrides: Partial<NewWebhookMessage> = {}): NewWebhookMessage {
        return {
          id: uid('msg'),
          appId,
          type: 'login.succeeded',
          payload: JSON.stringify({
            type: 'login.succeeded',
            timestamp: '2026-01-01T00:00:00.000Z',
            data: { userId: 'u «1»' },
          }),
          createdAt: T0,
          ...overrides,
        };
      }
      /** Claims everything due under a fresh lease, keeping only this case's messages. */
      async function claimMine(store: Store, ids: string[], leaseId = uid('lease'), limit = 100) {
        const claimed = await store.webhooks.claim(leaseId, limit, LEASE);
        return { leaseId, mine: claimed.filter((m) => ids.includes(m.id)) };
      }

      it('enqueue then get: pending, due now, no attempts; unknown or another app’s id reads as null; a duplicate id is a conflict', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const m = message(app.id);
          await store.webhooks.enqueue(m);
          assert.deepEqual(await store.webhooks.get(app.id, m.id), {
            ...m,
            status: 'pending',
            attempts: 0,
            cycleStartedAt: T0,
            nextAttemptAt: T0,
            lastAttemptAt: null,
            lastError: null,
            deliveredAt: null,
            deadAt: null,
          });
          assert.equal(await store.webhooks.get(other.id, m.id), null);
          assert.equal(await store.webhooks.get(app.id, uid('msg')), null);
          await assert.rejects(store.webhooks.enqueue(message(app.id, { id: m.id })), isCode('conflict'));
        }));

      it('claim leases due messages oldest first, counts the attempt, and skips them while the lease lives', () =>
        withStore(async (store, clock) => {
          const app = await newApp(store);
          const a = message(app.id, { createdAt: T0 - 2 });
          const b = message(app.id, { createdAt: T0 - 1 });
          const later = message(app.id, { createdAt: T0 + 5000 });
          for (const m of [later, b, a]) await store.webhooks.enqueue(m);
          const ids = [a.id, b.id, later.id];
          const first = await claimMine(store, ids);
          assert.deepEqual(
            first.mine.map((m) => m.id),
            [a.id, b.id],
            'not the one due later, oldest first',
          );
          for (const m of first.mine) {
            assert.equal(m.attempts, 1);
            assert.equal(m.lastAttemptAt, T0);
            assert.equal(m.status, 'pending');
          }
          assert.deepEqual((await claimMine(store, ids)).mine, [], 'under a live lease');
          clock.advance(LEASE - 1);
          assert.deepEqual(
            (await claimMine(store, ids)).mine.map((m) => m.id),
            [later.id],
            'only the one that came due',
          );
          clock.advance(1);
          const again = await claimMine(store, [a.id, b.id]);
          assert.deepEqual(
            again.mine.map((m) => [m.id, m.attempts]),
            [
              [a.id, 2],
              [b.id, 2],
            ],
            'a lease that ran out (its node died) is claimed again, a second attempt',
          );
          assert.equal(
            await store.webhooks.markDelivered(a.id, first.leaseId, clock()),
            false,
            'the old lease holder can no longer record an outcome',
          );
        }));

      it('claim honours its limit and refuses misuse', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const ms = Array.from({ length: 5 }, (_, i) => message(app.id, { createdAt: T0 - 100 + i }));
          for (const m of ms) await store.webhooks.enqueue(m);
          const claimed = await store.webhooks.claim(uid('lease'), 2, LEASE);
          assert.equal(claimed.length, 2);
          await assert.rejects(store.webhooks.claim(uid('lease'), 0, LEASE), RangeError);
          await assert.rejects(store.webhooks.claim(uid('lease'), 101, LEASE), RangeError);
          await assert.rejects(store.webhooks.claim(uid('lease'), 1, 0), RangeError);
          await assert.rejects(store.webhooks.claim('', 1, LEASE), TypeError);
        }));

      it('markDelivered: only the lease holder, once; a delivered message is never claimed again', () =>
        withStore(async (store, clock) => {
          const app = await newApp(store);
          const m = message(app.id);
          await store.webhooks.enqueue(m);
          const { leaseId, mine } = await claimMine(store, [m.id]);
          assert.equal(mine.length, 1);
          assert.equal(
            await store.webhooks.markDelivered(m.id, uid('lease'), T0 + 10),
            false,
            'another lease',
          );
          assert.equal(await store.webhooks.markDelivered(m.id, leaseId, T0 + 10), true);
          assert.equal(await store.webhooks.markDelivered(m.id, leaseId, T0 + 11), false, 'once');
          const got = await store.webhooks.get(app.id, m.id);
          assert.equal(got?.status, 'delivered');
          assert.equal(got?.deliveredAt, T0 + 10);
          clock.advance(10 * LEASE);
          assert.deepEqual((await claimMine(store, [m.id])).mine, []);
        }));

      it('scheduleRetry: back to pending, due at the given time with the error kept, lease released', () =>
        withStore(async (store, clock) => {
          const app = await newApp(store);
          const m = message(app.id);
          await store.webhooks.enqueue(m);
          const { leaseId } = await claimMine(store, [m.id]);
          assert.equal(await store.webhooks.scheduleRetry(m.id, uid('lease'), T0 + 1000, 'http_500'), false);
          assert.equal(await store.webhooks.scheduleRetry(m.id, leaseId, T0 + 1000, 'http_500'), true);
          const got = await store.webhooks.get(app.id, m.id);
          assert.equal(got?.status, 'pending');
          assert.equal(got?.nextAttemptAt, T0 + 1000);
          assert.equal(got?.lastError, 'http_500');
          clock.advance(999);
          assert.deepEqual(
            (await claimMine(store, [m.id])).mine,
            [],
            'not due yet (the lease was released, the time was not)',
          );
          clock.advance(1);
          const again = await claimMine(store, [m.id]);
          assert.equal(again.mine[0]?.attempts, 2);
        }));

      it('dead letters: markDead, listDead newest first with paging, redeliver starts a new cycle; only dead messages of the app', () =>
        withStore(async (store, clock) => {
          const app = await newApp(store);
          const other = await newApp(store);
          const ms = [message(app.id), message(app.id), message(app.id)];
          for (const m of ms) await store.webhooks.enqueue(m);
          const { leaseId } = await claimMine(
            store,
            ms.map((m) => m.id),
          );
          for (const [i, m] of ms.entries()) {
            assert.equal(await store.webhooks.markDead(m.id, leaseId, T0 + 100 + i, 'http_410'), true);
          }
          assert.equal(await store.webhooks.markDead(ms[0]!.id, leaseId, T0, 'again'), false, 'already dead');
          const dead = await store.webhooks.listDead(app.id, { limit: 10 });
          assert.deepEqual(
            dead.map((d) => d.id),
            [ms[2]!.id, ms[1]!.id, ms[0]!.id],
          );
          assert.equal(dead[0]?.status, 'dead');
          assert.equal(dead[0]?.deadAt, T0 + 102);
          assert.equal(dead[0]?.lastError, 'http_410');
          assert.deepEqual(
            (await store.webhooks.listDead(app.id, { limit: 10, before: T0 + 102 })).map((d) => d.id),
            [ms[1]!.id, ms[0]!.id],
          );
          assert.equal((await store.webhooks.listDead(app.id, { limit: 1 })).length, 1);
          assert.deepEqual(await store.webhooks.listDead(other.id, { limit: 10 }), []);
          clock.advance(LEASE);

          assert.equal(await store.webhooks.redeliver(other.id, ms[0]!.id, clock()), false, 'another app');
          assert.equal(await store.webhooks.redeliver(app.id, uid('msg'), clock()), false, 'unknown');
          assert.equal(await store.webhooks.redeliver(app.id, ms[0]!.id, clock()), true);
          assert.equal(await store.webhooks.redeliver(app.id, ms[0]!.id, clock()), false, 'no longer dead');
          const back = await store.webhooks.get(app.id, ms[0]!.id);
          assert.equal(back?.status, 'pending');
          assert.equal(back?.cycleStartedAt, clock());
          assert.equal(back?.nextAttemptAt, clock());
          assert.equal(back?.deadAt, null);
          assert.deepEqual(
            (
              await claimMine(
                store,
                ms.map((m) => m.id),
              )
            ).mine.map((m) => [m.id, m.attempts]),
            [[ms[0]!.id, 2]],
            'claimable again; attempts keep counting',
          );
        }));

      it('prune deletes delivered messages older than the bound, nothing pending or dead', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const [old, young, pending, dead] = [
            message(app.id),
            message(app.id),
            message(app.id),
            message(app.id),
          ];
          for (const m of [old, young, pending, dead]) await store.webhooks.enqueue(m);
          const { leaseId } = await claimMine(store, [old.id, young.id, pending.id, dead.id]);
          await store.webhooks.markDelivered(old.id, leaseId, T0 + 1);
          await store.webhooks.markDelivered(young.id, leaseId, T0 + 50);
          await store.webhooks.markDead(dead.id, leaseId, T0 + 1, 'x');
          await store.webhooks.scheduleRetry(pending.id, leaseId, T0 + 1, 'x');
          assert.ok((await store.webhooks.prune(T0 + 10)) >= 1);
          assert.equal(await store.webhooks.get(app.id, old.id), null);
          for (const m of [young, pending, dead])
            assert.notEqual(await store.webhooks.get(app.id, m.id), null);
        }));

      it('concurrent claims (10 at once, limit 5) take every due message exactly once', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const ms = Array.from({ length: 30 }, (_, i) => message(app.id, { createdAt: T0 - 1000 + i }));
          for (const m of ms) await store.webhooks.enqueue(m);
          const ids = new Set(ms.map((m) => m.id));
          const rounds = await Promise.all(
            Array.from({ length: 10 }, () => store.webhooks.claim(uid('lease'), 5, LEASE)),
          );
          const taken = rounds.flat().filter((m) => ids.has(m.id));
          const counts = new Map<string, number>();
          for (const m of taken) counts.set(m.id, (counts.get(m.id) ?? 0) + 1);
          assert.ok(
            [...counts.values()].every((n) => n === 1),
            'no message went to two claims',
          );
          // Messages of other cases may share the queue, so the 50 slots need not all be ours;
          // whatever of ours was left is claimable now, and then nothing is.
          const rest = (await store.webhooks.claim(uid('lease'), 100, LEASE)).filter((m) => ids.has(m.id));
          for (const m of rest) assert.equal(counts.has(m.id), false);
          assert.equal(counts.size + rest.length, 30, 'every message claimed exactly once overall');
          assert.deepEqual(
            (await store.webhooks.claim(uid('lease'), 100, LEASE)).filter((m) => ids.has(m.id)),
            [],
          );
        }));
    });

    describe('login unit of work (store.logins)', () => {
      /** A login's unit for `credential` naming `challengeId`, with its own session, audit and event ids. */
      function loginUnit(
        credential: Credential,
        challengeId: string | null,
        overrides: { expected?: number; counter?: number; withSession?: boolean; withWebhook?: boolean } = {},
      ): LoginUnit {
        const { expected = credential.counter, counter = credential.counter, withSession = true } = overrides;
        const family = makeFamily(credential.appId, {
          userId: credential.userId,
          credentialId: credential.id,
          createdAt: T0 + 10,
        });
        return {
          challengeId,
          credential: { appId: credential.appId, id: credential.id, expected, counter, at: T0 + 10 },
          session: withSession ? { family, tokenHash: tokenHash() } : null,
          audit: makeAudit(credential.appId, {
            at: T0 + 10,
            userId: credential.userId,
            credentialId: credential.id,
            ip: '203.0.113.9',
          }),
          webhook:
            overrides.withWebhook === false
              ? null
              : {
                  id: uid('msg'),
                  appId: credential.appId,
                  type: 'login.succeeded',
                  payload: JSON.stringify({ type: 'login.succeeded', data: { userId: credential.userId } }),
                  createdAt: T0 + 10,
                },
        };
      }

      /** Which of the unit's writes are in the store. */
      async function landed(store: Store, u: LoginUnit) {
        const appId = u.credential.appId;
        const family = u.session ? await store.sessions.get(appId, u.session.family.id) : null;
        const byToken = u.session ? await store.sessions.findByToken(appId, u.session.tokenHash) : null;
        const audit = (await store.audit.list(appId, { limit: 1000 })).find((r) => r.id === u.audit.id);
        const webhook = u.webhook ? await store.webhooks.get(appId, u.webhook.id) : null;
        return { family, byToken, audit: audit ?? null, webhook };
      }

      async function nothingLanded(store: Store, u: LoginUnit, message: string): Promise<void> {
        assert.deepEqual(
          await landed(store, u),
          { family: null, byToken: null, audit: null, webhook: null },
          message,
        );
      }

      it('claim reads the challenge (expired ones too); commit writes every part of the unit; the challenge is then gone', () =>
        withStore(async (store, clock) => {
          const app = await newApp(store);
          const credential = makeCredential(app.id, { type: 'webauthn', counter: 3 });
          await store.credentials.create(credential);
          const c = makeChallenge(app.id, { userId: credential.userId });
          await store.challenges.put(c);
          assert.equal(await store.logins.claim(app.id, uid('ch')), null);
          assert.equal(await store.logins.claim(uid('app'), c.id), null, 'claim is scoped by app');
          clock.set(c.expiresAt + 1);
          assert.deepEqual(await store.logins.claim(app.id, c.id), c, 'an expired challenge reads too');
          clock.set(T0 + 10);

          const u = loginUnit(credential, store.logins.claimConsumes ? null : c.id, { counter: 4 });
          assert.equal(await store.logins.commit(u), 'committed');
          const got = await landed(store, u);
          assert.deepEqual(got.family, u.session!.family);
          assert.deepEqual(got.byToken, u.session!.family);
          assert.deepEqual(got.audit, u.audit);
          assert.equal(got.webhook?.status, 'pending');
          assert.equal(got.webhook?.payload, u.webhook!.payload);
          assert.equal(got.webhook?.nextAttemptAt, T0 + 10);
          const used = await store.credentials.get(app.id, credential.id);
          assert.equal(used?.counter, 4);
          assert.equal(used?.lastUsedAt, T0 + 10);
          assert.equal(await store.logins.claim(app.id, c.id), null, 'the challenge is consumed');
          assert.equal(await store.challenges.consume(app.id, c.id), null);
        }));

      it('a second commit naming a consumed challenge loses (challenge_lost) and writes nothing', () =>
        withStore(async (store) => {
          if (store.logins.claimConsumes) return; // there the claim is the consume (next cases)
          const app = await newApp(store);
          const credential = makeCredential(app.id);
          await store.credentials.create(credential);
          const c = makeChallenge(app.id);
          await store.challenges.put(c);
          const first = loginUnit(credential, c.id);
          const second = loginUnit(credential, c.id);
          assert.equal(await store.logins.commit(first), 'committed');
          assert.equal(await store.logins.commit(second), 'challenge_lost');
          await nothingLanded(store, second, 'the loser wrote nothing');
          const unknown = loginUnit(credential, uid('ch'));
          assert.equal(await store.logins.commit(unknown), 'challenge_lost');
          await nothingLanded(store, unknown, 'a unit naming no stored challenge wrote nothing');
          assert.equal((await store.credentials.get(app.id, credential.id))?.lastUsedAt, T0 + 10);
        }));

      it('a lost compare-and-set (counter_lost) rolls the whole unit back, the consume included where commit consumes', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const credential = makeCredential(app.id, { type: 'webauthn', counter: 5 });
          await store.credentials.create(credential);
          const c = makeChallenge(app.id);
          await store.challenges.put(c);
          assert.deepEqual(await store.logins.claim(app.id, c.id), c);
          const stale = loginUnit(credential, c.id, { expected: 4, counter: 6 });
          assert.equal(await store.logins.commit(stale), 'counter_lost');
          await nothingLanded(store, stale, 'no session, audit record or event after a lost compare-and-set');
          assert.deepEqual(
            await store.credentials.get(app.id, credential.id),
            credential,
            'counter untouched',
          );
          if (store.logins.claimConsumes) {
            // The challenge lives apart from the login's writes: the claim spent it.
            assert.equal(await store.logins.claim(app.id, c.id), null);
          } else {
            assert.deepEqual(await store.logins.claim(app.id, c.id), c, 'the consume was rolled back');
            const fresh = loginUnit(credential, c.id, { counter: 6 });
            assert.equal(await store.logins.commit(fresh), 'committed');
            assert.equal((await store.credentials.get(app.id, credential.id))?.counter, 6);
          }
          const gone = loginUnit(makeCredential(app.id), null);
          assert.equal(await store.logins.commit(gone), 'counter_lost', 'an unknown credential loses too');
          await nothingLanded(store, gone, 'nothing written for an unknown credential');
        }));

      it('a unit without a challenge, a session or a webhook event commits what it has', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const credential = makeCredential(app.id);
          await store.credentials.create(credential);
          const u = loginUnit(credential, null, { withSession: false, withWebhook: false });
          assert.equal(await store.logins.commit(u), 'committed');
          assert.deepEqual((await landed(store, u)).audit, u.audit);
          assert.deepEqual(await store.sessions.listActiveByUser(app.id, credential.userId, T0 + 10), []);
          assert.equal((await store.credentials.get(app.id, credential.id))?.lastUsedAt, T0 + 10);
        }));

      it('spend makes a claimed challenge unusable', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const credential = makeCredential(app.id);
          await store.credentials.create(credential);
          const c = makeChallenge(app.id);
          await store.challenges.put(c);
          assert.deepEqual(await store.logins.claim(app.id, c.id), c);
          await store.logins.spend(app.id, c.id);
          await store.logins.spend(app.id, c.id);
          assert.equal(await store.logins.claim(app.id, c.id), null);
          const late = loginUnit(credential, store.logins.claimConsumes ? null : c.id);
          if (!store.logins.claimConsumes) {
            assert.equal(await store.logins.commit(late), 'challenge_lost');
            await nothingLanded(store, late, 'a spent challenge commits nothing');
          }
        }));

      it('30 logins racing on one challenge (claim, then commit): exactly one commits, the others write nothing', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const credential = makeCredential(app.id);
          await store.credentials.create(credential);
          const c = makeChallenge(app.id);
          await store.challenges.put(c);
          const units = Array.from({ length: 30 }, () => loginUnit(credential, c.id));
          const outcomes = await Promise.all(
            units.map(async (u) => {
              const claimed = await store.logins.claim(app.id, c.id);
              if (claimed === null) return 'challenge_lost';
              return store.logins.commit(u);
            }),
          );
          assert.equal(outcomes.filter((o) => o === 'committed').length, 1, outcomes.join(' '));
          assert.ok(outcomes.every((o) => o === 'committed' || o === 'challenge_lost'));
          const winner = units[outcomes.indexOf('committed')]!;
          assert.deepEqual((await landed(store, winner)).family, winner.session!.family);
          for (const u of units) if (u !== winner) await nothingLanded(store, u, 'a loser wrote nothing');
          assert.deepEqual(
            (await store.sessions.listActiveByUser(app.id, credential.userId, T0 + 10)).map((f) => f.id),
            [winner.session!.family.id],
          );
        }));

      it('10 logins of one credential with one counter value, each with its own challenge: one commits', () =>
        withStore(async (store) => {
          const app = await newApp(store);
          const credential = makeCredential(app.id, { type: 'webauthn', counter: 7 });
          await store.credentials.create(credential);
          const challenges = Array.from({ length: 10 }, () => makeChallenge(app.id));
          await Promise.all(challenges.map((c) => store.challenges.put(c)));
          const units = challenges.map((c) => loginUnit(credential, c.id, { counter: 8 }));
          const outcomes = await Promise.all(
            units.map(async (u) => {
              const claimed = await store.logins.claim(app.id, u.challengeId!);
              assert.ok(claimed !== null);
              return store.logins.commit(u);
            }),
          );
          assert.equal(outcomes.filter((o) => o === 'committed').length, 1, outcomes.join(' '));
          assert.equal(outcomes.filter((o) => o === 'counter_lost').length, 9, outcomes.join(' '));
          assert.equal((await store.credentials.get(app.id, credential.id))?.counter, 8);
          for (const [i, u] of units.entries()) {
            if (outcomes[i] === 'committed') continue;
            await nothingLanded(store, u, 'a loser of the compare-and-set wrote nothing');
            // Where commit consumes, a loser's challenge was rolled back with the rest.
            assert.equal(
              (await store.logins.claim(app.id, u.challengeId!)) !== null,
              !store.logins.claimConsumes,
            );
          }
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
