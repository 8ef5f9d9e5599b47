import { parseCertificates } from '../crypto/index.js';
import { SignetError } from '../errors/SignetError.js';
import type { AttestationPolicy } from '../schemes/webauthn/attestationPolicy.js';
import { verifyMetadataBlob, type MetadataBlob } from '../schemes/webauthn/metadataBlob.js';
import type { App, AppSettings } from '../store/types.js';
import type { Deps } from './deps.js';

/**
 * Enterprise passkeys (docs/passkeys.md): an app's attestation conveyance, its trust anchors,
 * its AAGUID lists and its FIDO Metadata Service BLOB, checked when set and turned into the
 * scheme's `AttestationPolicy` at registration.
 */

const CONVEYANCES = new Set(['none', 'indirect', 'direct', 'enterprise']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_ROOTS = 20;
const MAX_ROOT_CHARS = 16_384;
const MAX_AAGUIDS = 1000;

/** A BLOB that failed to load is not fetched again for this long (a down MDS is not hammered). */
const RETRY_MS = 60_000;
/** A BLOB past its `nextUpdate` still serves while a newer one cannot be had, this long at most. */
const STALE_MS = 7 * 86_400_000;

/** Checks the passkey settings of an app (throws `invalid_request` naming the setting). */
export function checkPasskeySettings(s: AppSettings): void {
  const bad = (message: string): never => {
    throw new SignetError('invalid_request', message);
  };
  const attestation = s.attestation ?? 'none';
  if (!CONVEYANCES.has(attestation)) bad('attestation must be none, indirect, direct or enterprise');
  const roots = s.attestationRoots ?? [];
  if (!Array.isArray(roots) || roots.length > MAX_ROOTS) bad(`attestationRoots: at most ${MAX_ROOTS}`);
  for (const pem of roots) {
    const certs = typeof pem === 'string' && pem.length <= MAX_ROOT_CHARS ? parseCertificates(pem) : null;
    if (certs === null || certs.length !== 1) bad('each attestation root must be one PEM certificate');
    if (!certs![0]!.ca) bad('an attestation root must be a CA certificate (basicConstraints cA)');
  }
  for (const [name, list] of [
    ['aaguidAllow', s.aaguidAllow ?? []],
    ['aaguidDeny', s.aaguidDeny ?? []],
  ] as const) {
    if (!Array.isArray(list) || list.length > MAX_AAGUIDS) bad(`${name}: at most ${MAX_AAGUIDS} AAGUIDs`);
    if (!list.every((a) => typeof a === 'string' && UUID.test(a)))
      bad(`${name}: each AAGUID must be a lowercase UUID (8-4-4-4-12 hex)`);
  }
  const mds = s.fidoMds ?? null;
  if (mds !== null) {
    if (typeof mds !== 'string' || mds.length > 2048) bad('fidoMds must be a file path or an http(s) URL');
    if (/^https?:\/\//i.test(mds)) {
      if (!URL.canParse(mds)) bad('fidoMds is not a URL');
    } else if (!mds.startsWith('/')) {
      bad('fidoMds must be an absolute file path or an http(s) URL');
    }
  }
  // direct / enterprise with nothing to anchor to would refuse every registration.
  if ((attestation === 'direct' || attestation === 'enterprise') && roots.length === 0 && mds === null) {
    bad(`attestation ${attestation} needs trust anchors: attestationRoots or fidoMds`);
  }
}

interface CachedBlob {
  blob: MetadataBlob | null;
  lastAttempt: number;
  loading: Promise<MetadataBlob | null> | null;
}

const caches = new WeakMap<Deps, Map<string, CachedBlob>>();

async function fetchAndVerify(deps: Deps, source: string): Promise<MetadataBlob> {
  if (deps.metadataFetch === undefined) {
    throw new SignetError('store_unavailable', 'this server cannot read FIDO metadata BLOBs');
  }
  let text: string;
  try {
    text = await deps.metadataFetch(source);
  } catch {
    throw new SignetError('store_unavailable', 'the FIDO metadata BLOB could not be read');
  }
  const result = await verifyMetadataBlob(text, {
    now: deps.clock(),
    ...(deps.metadataRoots ? { roots: deps.metadataRoots } : {}),
  });
  if (!result.ok) {
    throw new SignetError('invalid_request', `the FIDO metadata BLOB does not verify (${result.message})`);
  }
  return result.blob;
}

/**
 * The verified BLOB of a source, cached per server: fetched on first use and again after its
 * `nextUpdate`; a newer BLOB replaces the cached one only when its serial `no` is not lower.
 * Fails closed (503 `store_unavailable`) when no verified BLOB within its validity is at hand.
 *
 * @example
 * const blob = await loadMetadataBlob(deps, '/etc/signet/mds.jwt');
 */
export async function loadMetadataBlob(deps: Deps, source: string): Promise<MetadataBlob> {
  let cache = caches.get(deps);
  if (cache === undefined) caches.set(deps, (cache = new Map()));
  let entry = cache.get(source);
  if (entry === undefined) cache.set(source, (entry = { blob: null, lastAttempt: -Infinity, loading: null }));
  const now = deps.clock();
  const current = entry.blob;
  const fresh = current !== null && now < current.nextUpdate;
  if (!fresh && entry.loading === null && now - entry.lastAttempt >= RETRY_MS) {
    const slot = entry;
    slot.lastAttempt = now;
    slot.loading = fetchAndVerify(deps, source)
      .then((blob) => {
        if (slot.blob === null || blob.no >= slot.blob.no) slot.blob = blob;
        return slot.blob;
      })
      .catch((error: unknown) => {
        deps.log.warn({ source, code: (error as SignetError).code }, 'FIDO metadata BLOB refresh failed');
        return null;
      })
      .finally(() => {
        slot.loading = null;
      });
  }
  if (entry.loading !== null) await entry.loading;
  const blob = entry.blob;
  if (blob === null || deps.clock() >= blob.nextUpdate + STALE_MS) {
    throw new SignetError('store_unavailable', 'no valid FIDO metadata BLOB is available');
  }
  return blob;
}

/**
 * Reads and verifies a BLOB source once, for `signet app set --fido-mds` (a typo or a BLOB that
 * does not verify is refused when it is set, not at the first registration).
 */
export async function checkMetadataSource(deps: Deps, source: string): Promise<void> {
  if (deps.metadataFetch === undefined) throw new TypeError('deps.metadataFetch is required');
  let text: string;
  try {
    text = await deps.metadataFetch(source);
  } catch (error) {
    const why = error instanceof Error ? error.message.slice(0, 200) : 'unreadable';
    throw new SignetError('invalid_request', `cannot read the FIDO metadata BLOB at ${source}: ${why}`);
  }
  const result = await verifyMetadataBlob(text, {
    now: deps.clock(),
    ...(deps.metadataRoots ? { roots: deps.metadataRoots } : {}),
  });
  if (!result.ok) {
    throw new SignetError(
      'invalid_request',
      `the FIDO metadata BLOB at ${source} does not verify (${result.message})`,
    );
  }
}

/** The app's attestation conveyance (apps stored before it existed: `none`). */
export function attestationConveyance(app: App): NonNullable<AppSettings['attestation']> {
  return app.settings.attestation ?? 'none';
}

/**
 * The scheme's attestation policy for an app; loads the app's FIDO metadata BLOB when it has one.
 *
 * @example
 * const policy = await attestationPolicyFor(deps, app);
 */
export async function attestationPolicyFor(deps: Deps, app: App): Promise<AttestationPolicy> {
  const s = app.settings;
  const policy: AttestationPolicy = {
    attestation: attestationConveyance(app),
    anchors: s.attestationRoots ?? [],
    aaguidAllow: s.aaguidAllow ?? [],
    aaguidDeny: s.aaguidDeny ?? [],
  };
  if (s.fidoMds) {
    const blob = await loadMetadataBlob(deps, s.fidoMds);
    policy.metadata = (aaguid) => blob.byAaguid.get(aaguid);
    policy.metadataByKeyIdentifier = (id) => blob.byKeyIdentifier.get(id);
  }
  return policy;
}
