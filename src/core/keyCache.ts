/**
 * A bounded least-recently-used cache of parsed credential keys, keyed by the stored key text.
 * The store hands back key material as data; parsing it into a KeyObject costs several
 * verifications, so each key is parsed once per process and reused (the hot path).
 */
export interface KeyCache<T> {
  get(material: string, parse: () => T | null): T | null;
  readonly size: number;
}

export function createKeyCache<T>(capacity = 10_000): KeyCache<T> {
  const entries = new Map<string, T>();
  return {
    get(material, parse) {
      const hit = entries.get(material);
      if (hit !== undefined) {
        entries.delete(material);
        entries.set(material, hit);
        return hit;
      }
      const parsed = parse();
      if (parsed === null) return null;
      entries.set(material, parsed);
      if (entries.size > capacity) entries.delete(entries.keys().next().value as string);
      return parsed;
    },
    get size() {
      return entries.size;
    },
  };
}
