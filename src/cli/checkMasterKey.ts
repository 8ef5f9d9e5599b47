import { openAppSecrets } from '../core/apps.js';
import type { Deps } from '../core/deps.js';
import { KEY_PURPOSE } from '../core/tokens.js';
import { CliError } from './io.js';

/** What the check found: whether the key is the store's, and the apps with a foreign secret. */
export interface MasterKeyCheck {
  /** False when the key opens no signing key (or, with none yet, no app secret) of the store. */
  matches: boolean;
  /** Apps with a secret sealed under another key (while the store's own values open). */
  appsWithForeignSecrets: string[];
}

/**
 * Checks that the master key opens what the store holds sealed (token signing keys, app
 * secrets) before any verb uses it. A key that opens none of them is the wrong key: refused with
 * `master_key_mismatch`, so that `serve` does not answer 500 on every signed call and `app
 * rotate-secret` does not seal a new secret under a key the server does not have. An empty
 * store passes (nothing is sealed yet).
 *
 * @example
 * await requireMasterKey(deps, 'env', 'sqlite:./signet.db');
 */
export async function checkMasterKey(deps: Deps): Promise<MasterKeyCheck> {
  const opens = (open: () => unknown): boolean => {
    try {
      open();
      return true;
    } catch {
      return false;
    }
  };
  // The signing keys were sealed by `serve` itself, so they name the store's key; a secret that
  // does not open beside them was sealed by a verb run with another key.
  const keys = await deps.store.signingKeys.list();
  const keysOpen = keys.filter((k) => opens(() => deps.sealer.open(k.sealedPrivateJwk, KEY_PURPOSE)));
  let secretsOpen = 0;
  let secrets = 0;
  const appsWithForeignSecrets: string[] = [];
  for (const app of await deps.store.apps.list()) {
    for (const secret of app.secrets) {
      secrets++;
      if (opens(() => openAppSecrets(deps, { ...app, secrets: [secret] }))) secretsOpen++;
      else if (!appsWithForeignSecrets.includes(app.id)) appsWithForeignSecrets.push(app.id);
    }
  }
  const matches = keys.length > 0 ? keysOpen.length > 0 : secrets === 0 || secretsOpen > 0;
  return { matches, appsWithForeignSecrets: matches ? appsWithForeignSecrets : [] };
}

/**
 * {@link checkMasterKey}, then: throws `master_key_mismatch` when nothing opens; returns the
 * warning lines for apps holding a secret sealed under another key (a CLI verb once run with a
 * different key) when the rest opens.
 */
export async function requireMasterKey(
  deps: Deps,
  source: 'env' | 'file',
  keyFile: string | null,
): Promise<string[]> {
  const result = await checkMasterKey(deps);
  if (!result.matches) {
    const which =
      source === 'env'
        ? `SIGNET_MASTER_KEY does not open the secrets in this database: they were sealed with another master key${keyFile ? ` (if it was made without SIGNET_MASTER_KEY, the key is the contents of ${keyFile}: set SIGNET_MASTER_KEY to that, or unset it)` : ''}`
        : `the master key in ${keyFile ?? 'the key file'} does not open the secrets in this database: they were sealed with another master key (the SIGNET_MASTER_KEY set when it was made?)`;
    throw new CliError(
      'master_key_mismatch',
      `${which}; run every signet command of this database with the key that made it. Nothing was changed.`,
    );
  }
  return result.appsWithForeignSecrets.map(
    (id) =>
      `signet: warning: app ${id} has a secret sealed with another master key (a signet command run with a different SIGNET_MASTER_KEY made it); its server-API calls fail until it is replaced: signet app rotate-secret ${id}, then signet app set ${id} --drop-old-secret`,
  );
}
