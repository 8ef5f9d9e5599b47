import type { Deps } from './deps.js';

/**
 * WebAuthn Related Origin Requests (WebAuthn L3 §5.11): a browser asked to use rpId `R` from an
 * origin that is not `R` or under it fetches `https://R/.well-known/webauthn` and proceeds when
 * the origin is listed there. Signet lists the origins of the apps whose rpId is the host it is
 * asked on; its registration and login checks accept exactly those origins (the app's origins).
 */

/** How long the apps' rpIds and origins are kept between look-ups (anonymous callers ask). */
const CACHE_MS = 10_000;
/** At most this many origins are listed (browsers read a handful of labels; keep the answer small). */
const MAX_ORIGINS = 100;

const caches = new WeakMap<Deps, { at: number; byRpId: Map<string, string[]> }>();

/**
 * The web origins allowed to use `host` as their rpId, or null when no app has that rpId.
 *
 * @example
 * const origins = await relatedOriginsFor(deps, 'example.org'); // ['https://shop.example', ...]
 */
export async function relatedOriginsFor(deps: Deps, host: string): Promise<string[] | null> {
  const rpId = host.toLowerCase();
  let cache = caches.get(deps);
  const now = deps.clock();
  if (cache === undefined || now - cache.at >= CACHE_MS || now < cache.at) {
    const byRpId = new Map<string, string[]>();
    for (const app of await deps.store.apps.list()) {
      if (!app.rpId) continue;
      const key = app.rpId.toLowerCase();
      const list = byRpId.get(key) ?? [];
      for (const origin of app.origins) {
        // Only web origins: an Android apk-key-hash origin is not a browser's.
        if ((origin.startsWith('https://') || origin.startsWith('http://')) && !list.includes(origin)) {
          list.push(origin);
        }
      }
      byRpId.set(key, list);
    }
    cache = { at: now, byRpId };
    caches.set(deps, cache);
  }
  const origins = cache.byRpId.get(rpId);
  return origins === undefined ? null : origins.slice(0, MAX_ORIGINS);
}
