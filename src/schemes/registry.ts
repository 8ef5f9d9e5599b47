import type { Scheme, SchemeName } from './types.js';
import { SCHEME_NAMES } from './types.js';
import { deviceScheme } from './device/index.js';
import { webauthnScheme } from './webauthn/index.js';
import { eosScheme } from './eos/index.js';
import { ethScheme } from './eth/index.js';
import { tiniappScheme } from './tiniapp/index.js';
import { httpSignatureScheme } from './httpsig/index.js';

/**
 * The scheme registry: one row a scheme. The server and the CLI look a scheme up here and never
 * switch on its name; a new scheme is a new folder, one row here and one vectors folder.
 */
export const SCHEMES: { readonly [K in SchemeName]: Scheme } = {
  device: deviceScheme,
  webauthn: webauthnScheme,
  eos: eosScheme,
  eth: ethScheme,
  tiniapp: tiniappScheme,
  'http-signature': httpSignatureScheme,
};

/**
 * Looks up a scheme by an untrusted name; `null` for anything that is not a registered name.
 *
 * @example
 * findScheme('eth')?.verifyOffline
 */
export function findScheme(name: unknown): Scheme | null {
  return typeof name === 'string' && (SCHEME_NAMES as readonly string[]).includes(name)
    ? SCHEMES[name as SchemeName]
    : null;
}
