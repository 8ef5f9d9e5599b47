import type { ChallengeStore, RateLimitStore, ReplayStore, Store } from '../types.js';

/** The short-lived part of a {@link Store}: what may live in a faster, TTL-based store such as Redis. */
export interface ShortLivedStore {
  readonly kind: string;
  challenges: ChallengeStore;
  replay: ReplayStore;
  rateLimits: RateLimitStore;
  /** Resolves when the backing store answers; rejects with `store_unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A store whose challenges, replay records and rate limits come from `shortLived` and everything
 * else from `durable`. `ping` needs both to answer (a node with either one down is not ready);
 * `close` closes both. The durable store's own short-lived tables are then simply unused.
 *
 * @example
 * const store = withShortLived(await createPostgresStore({ url }), await createRedisShortLived({ url: redisUrl }));
 * store.kind; // 'postgres+redis'
 */
export function withShortLived(durable: Store, shortLived: ShortLivedStore): Store {
  return {
    kind: `${durable.kind}+${shortLived.kind}`,
    apps: durable.apps,
    credentials: durable.credentials,
    mykey: durable.mykey,
    audit: durable.audit,
    signingKeys: durable.signingKeys,
    // Sessions are durable (a refresh token lives for weeks) and revocation must hold on every node.
    sessions: durable.sessions,
    webhooks: durable.webhooks,
    challenges: shortLived.challenges,
    replay: shortLived.replay,
    rateLimits: shortLived.rateLimits,
    // The challenge lives in the short-lived store and the login's writes in the durable one: no
    // transaction spans both. So the consume (one GETDEL: of any number of logins naming one
    // challenge exactly one gets it) comes first, as the claim, and the challenge is spent
    // whatever follows, a lost compare-and-set included; the commit is then one transaction of
    // the durable store (compare-and-set, session, audit record, webhook event) with no consume.
    logins: {
      claimConsumes: true,
      claim: (appId, challengeId) => shortLived.challenges.consume(appId, challengeId),
      async spend() {},
      commit: (unit) => durable.logins.commit({ ...unit, challengeId: null }),
    },
    async ping() {
      await Promise.all([durable.ping(), shortLived.ping()]);
    },
    async close() {
      await Promise.allSettled([durable.close(), shortLived.close()]);
    },
  };
}
