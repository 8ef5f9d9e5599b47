import type { KeyObject } from 'node:crypto';
import { signTiniappRequest } from '../schemes/tiniapp/index.js';
import type {
  ApiAuditRecord,
  ApiCredential,
  SignetErrorBody,
  SignetResponse,
  WebauthnRegistrationStart,
} from './types.js';
import { createHttpSignatureSigner } from './httpSignatureSigner.js';

export interface SignetClientOptions {
  /** Signet's URL including any base path, e.g. `https://auth.example.com/signet`. */
  baseUrl: string;
  appId: string;
  /**
   * The app secret: Tiniapp signatures, or RFC 9421 `hmac-sha256` when `scheme` is
   * `http-signature` and no `privateKey` is given.
   */
  secret?: string;
  /**
   * How requests are signed: `tiniapp` (default; X-Tiniapp-* headers) or `http-signature`
   * (RFC 9421 `Signature-Input` / `Signature` covering method, authority, path, query and
   * `Content-Digest`: docs/protocols.md).
   */
  scheme?: 'tiniapp' | 'http-signature';
  /**
   * `http-signature` only: the app's Ed25519 private key (PKCS#8 PEM or KeyObject) whose public
   * half is registered with `signet app set APPID --http-signature-key`; signs `alg="ed25519"`,
   * so the backend needs no shared secret.
   */
  privateKey?: KeyObject | string;
  /** Clock for the X-Tiniapp-Timestamp header (defaults to Date.now). */
  now?: () => number;
  fetch?: typeof fetch;
}

/** A wallet's proof of possession (docs/api.md "Identity binding"); see `signet-auth/browser`'s `proveEthereumWallet`. */
export interface WalletProof {
  challengeId: string;
  signature: string;
  message?: string;
}

/** A wallet to register for a user, with its proof of possession. */
export type WalletRegistration =
  | { type: 'eth'; address: string; proof: WalletProof; label?: string }
  | { type: 'eos'; account: string; publicKey: string; proof: WalletProof; label?: string };

export type { SignetResponse } from './types.js';

/**
 * The app backend's client for Signet's server API: every request is signed, Tiniapp (a body
 * request signs the exact bytes it sends; a body-less one signs its path and query) or, with
 * `scheme: 'http-signature'`, RFC 9421 (method, authority, path, query and body all bound).
 *
 * @example
 * const signet = createSignetClient({ baseUrl: 'http://127.0.0.1:8080', appId, secret });
 * const ed = createSignetClient({ baseUrl, appId, scheme: 'http-signature', privateKey: pkcs8Pem });
 * const { body } = await signet.request('GET', `/v1/users/${userId}/credentials`);
 */
export function createSignetClient(options: SignetClientOptions) {
  const base = new URL(options.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const clock = options.now ?? Date.now;
  // Two identical requests signed in the same millisecond would carry the same signature, and
  // the server refuses the second as a replay: timestamps from one client never repeat.
  let last = 0;
  const now = (): number => (last = Math.max(clock(), last + 1));
  const doFetch = options.fetch ?? fetch;
  const scheme = options.scheme ?? 'tiniapp';
  if (scheme !== 'tiniapp' && scheme !== 'http-signature')
    throw new TypeError("createSignetClient: scheme must be 'tiniapp' or 'http-signature'");
  if (scheme === 'tiniapp' && (typeof options.secret !== 'string' || options.secret === ''))
    throw new TypeError('createSignetClient: secret is required for the tiniapp scheme');
  if (scheme === 'tiniapp' && options.privateKey !== undefined)
    throw new TypeError('createSignetClient: privateKey needs scheme http-signature');
  const httpSign =
    scheme === 'http-signature'
      ? createHttpSignatureSigner({
          appId: options.appId,
          now: clock,
          key:
            options.privateKey !== undefined
              ? { alg: 'ed25519', privateKey: options.privateKey }
              : { alg: 'hmac-sha256', secret: options.secret ?? '' },
        })
      : null;

  async function request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<SignetResponse<T>> {
    if (!path.startsWith('/')) throw new TypeError('path must start with /');
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const url = `${base.origin}${basePath}${path}`;
    const headers = httpSign
      ? httpSign({ method, url, ...(text === undefined ? {} : { body: text }) })
      : signTiniappRequest({
          clientId: options.appId,
          secret: options.secret as string,
          timestamp: now(),
          ...(text === undefined ? { path } : { body: text }),
        }).headers;
    const response = await doFetch(url, {
      method,
      headers: { ...headers, ...(text === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(text === undefined ? {} : { body: text }),
    });
    const raw = await response.text();
    let parsed: unknown = raw;
    try {
      parsed = raw === '' ? null : JSON.parse(raw);
    } catch {
      // not JSON: keep the text
    }
    return response.ok
      ? { ok: true, status: response.status, body: parsed as T }
      : { ok: false, status: response.status, body: parsed as SignetErrorBody };
  }

  return {
    request,
    registerCredential: (userId: string, credential: Record<string, unknown>) =>
      request<ApiCredential>('POST', `/v1/users/${encodeURIComponent(userId)}/credentials`, credential),
    /**
     * Registers an `eos` / `eth` wallet with its proof of possession: 201 for a new credential,
     * 200 when the user already holds it, 409 `conflict` when another user of the app does,
     * 401 `verification_failed` when the proof does not verify.
     */
    registerWallet: (userId: string, wallet: WalletRegistration) =>
      request<ApiCredential>('POST', `/v1/users/${encodeURIComponent(userId)}/credentials`, wallet),
    /**
     * A challenge for a wallet proof, issued for `userId` (the public `POST /v1/challenges`),
     * for a backend that has the user's wallet sign elsewhere (a native app, a QR code).
     */
    walletChallenge: (userId: string, type: 'eos' | 'eth') =>
      request<{ challengeId: string; challenge: string; expiresAt: number }>('POST', '/v1/challenges', {
        appId: options.appId,
        type,
        userId,
      }),
    listCredentials: (userId: string) =>
      request<{ credentials: ApiCredential[] }>('GET', `/v1/users/${encodeURIComponent(userId)}/credentials`),
    revokeCredential: (userId: string, credentialId: string) =>
      request<null>(
        'DELETE',
        `/v1/users/${encodeURIComponent(userId)}/credentials/${encodeURIComponent(credentialId)}`,
      ),
    webauthnRegistrationOptions: (input: { userId: string; userName: string; displayName?: string }) =>
      request<WebauthnRegistrationStart>('POST', '/v1/webauthn/registration/options', input),
    webauthnRegistrationVerify: (input: { challengeId: string; response: unknown }) =>
      request<ApiCredential>('POST', '/v1/webauthn/registration/verify', input),
    /** RFC 7662 introspection of an access token: `{ active, sub, aud, ... }` or `{ active: false }`. */
    introspect: (token: string) =>
      request<{ active: boolean; [claim: string]: unknown }>('POST', '/v1/tokens/introspect', { token }),
    /** Revokes sessions by one of token, userId or credentialId: `{ revoked: N }`. */
    revokeTokens: (by: { token: string } | { userId: string } | { credentialId: string }) =>
      request<{ revoked: number }>('POST', '/v1/tokens/revoke', by),
    audit: (query: { userId?: string; limit?: number } = {}) => {
      const q = new URLSearchParams();
      if (query.userId) q.set('userId', query.userId);
      if (query.limit) q.set('limit', String(query.limit));
      const qs = q.toString();
      return request<{ records: ApiAuditRecord[] }>('GET', `/v1/audit${qs ? `?${qs}` : ''}`);
    },
  };
}

export type SignetClient = ReturnType<typeof createSignetClient>;
