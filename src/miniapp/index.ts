/**
 * `signet-auth/miniapp`: Signet in a Tiki mini-app. Device keys from `my.bioMetrics` (isSupported,
 * createKey, createSignature) and Signet's public API through `my.request`; no Node modules, no
 * dependencies. Registration goes through the app's own backend, which holds the app secret.
 *
 * @example
 * import { createSignetMiniappClient } from 'signet-auth/miniapp';
 * const signet = createSignetMiniappClient({ my, signetUrl: 'https://auth.example.com', appId });
 * const { token } = await signet.login({ userId });
 */
export {
  createSignetMiniappClient,
  readSupported,
  SignetMiniappError,
  type MiniappErrorCode,
  type MiniappLogin,
  type SignetMiniappClient,
  type SignetMiniappClientOptions,
} from './createSignetMiniappClient.js';
export type {
  MyBioMetrics,
  MyCallbacks,
  MyFailure,
  MyRequestOptions,
  MyResponse,
  MyRuntime,
} from './types.js';
