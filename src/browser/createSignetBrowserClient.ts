import { encodeBase64Url } from './base64url.js';
import { signSiweMessage, type Eip1193Provider } from './siwe.js';
import { startAuthentication, type CeremonyOptions, type RequestOptionsJSON } from './webauthn.js';

/** A login type of `POST /v1/challenges`. */
export type LoginType = 'device' | 'webauthn' | 'eos' | 'eth';

/** `POST /v1/challenges` 200. */
export interface IssuedChallenge {
  challengeId: string;
  challenge: string;
  expiresAt: number;
  /** For `webauthn`: PublicKeyCredentialRequestOptionsJSON. */
  options?: RequestOptionsJSON;
}

/** `POST /v1/tokens/refresh` 200: new tokens in the same session. */
export interface RefreshResult {
  token: string;
  expiresAt: number;
  /** Single use: `refresh()` trades it for new tokens (docs/tokens.md). */
  refreshToken: string;
  /** When the session ends, Unix seconds. */
  refreshExpiresAt: number;
}

/** `POST /v1/verify` 200: the login token for the app backend to check (JWKS) and trust. */
export interface LoginResult extends RefreshResult {
  verified: true;
  userId: string;
  credentialId: string;
}

/**
 * A proof of possession for registering a wallet (docs/api.md "Identity binding"): a challenge
 * issued for the user who links the wallet, signed exactly as a login would sign it. The page
 * hands it to its backend, which registers the wallet with the server API:
 * `POST /v1/users/{userId}/credentials { type, address | account (+ publicKey), proof }`.
 */
export interface WalletProof {
  challengeId: string;
  signature: string;
  /** Ethereum only: the EIP-4361 message whose nonce is the challenge. */
  message?: string;
}

/**
 * An error answer of Signet's public API, with its stable `code` (docs/errors.md), e.g.
 * `verification_failed`, `challenge_expired`, `rate_limited`.
 */
export class SignetRequestError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'SignetRequestError';
    this.status = status;
    this.code = code;
  }
}

/** Wait before the one retry of a refresh whose answer was lost (well inside the server's 10 s grace). */
const REFRESH_RETRY_DELAY_MS = 250;

export interface SignetBrowserClientOptions {
  /** Signet's public URL including any base path, e.g. `https://auth.example.com/signet`. */
  baseUrl: string;
  /** The app's id (public). The page's origin must be one of the app's origins (CORS). */
  appId: string;
  fetch?: typeof fetch;
}

/**
 * The page's client for Signet's public API: challenges and login proofs, and the three logins
 * a page can run itself (passkey, Ethereum wallet, a device key the page holds). The app's secret
 * never reaches the page: the server API (registration, revocation) goes through the app backend.
 *
 * @example
 * const signet = createSignetBrowserClient({ baseUrl: 'https://auth.example.com', appId });
 * const { token } = await signet.signInWithPasskey();
 * await fetch('/api/session', { method: 'POST', body: JSON.stringify({ token }), ... });
 */
export function createSignetBrowserClient(options: SignetBrowserClientOptions) {
  if (typeof options.appId !== 'string' || options.appId.length === 0)
    throw new TypeError('appId is required');
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  async function post<T>(path: string, body: Record<string, unknown>): Promise<T> {
    const response = await doFetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ appId: options.appId, ...body }),
      credentials: 'omit',
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: reported below
    }
    if (!response.ok) {
      const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      throw new SignetRequestError(
        response.status,
        typeof error?.code === 'string' ? error.code : 'invalid_response',
        typeof error?.message === 'string' ? error.message : `Signet answered ${response.status}`,
      );
    }
    return json as T;
  }

  const challenge = (type: LoginType, userId?: string): Promise<IssuedChallenge> =>
    post('/v1/challenges', { type, ...(userId !== undefined ? { userId } : {}) });

  const verify = (proof: Record<string, unknown>): Promise<LoginResult> => post('/v1/verify', proof);

  // A refresh token works once; presenting it twice revokes the session. Concurrent calls with
  // one token in this page share one request (other tabs: serialise with navigator.locks).
  const refreshing = new Map<string, Promise<RefreshResult>>();

  // A refresh whose answer was lost (the network failed after the request left: fetch rejects,
  // no HTTP status) is sent once more with the same token: Signet accepts a retry of a token
  // spent moments ago whose successor was never used (docs/tokens.md "Retry grace"), so the
  // session survives a dropped answer. An HTTP error is an answer and is never retried.
  async function refreshOnce(refreshToken: string): Promise<RefreshResult> {
    try {
      return await post<RefreshResult>('/v1/tokens/refresh', { refreshToken });
    } catch (e) {
      if (e instanceof SignetRequestError) throw e;
      await new Promise((resolve) => setTimeout(resolve, REFRESH_RETRY_DELAY_MS));
      return post<RefreshResult>('/v1/tokens/refresh', { refreshToken });
    }
  }

  return {
    challenge,
    verify,

    /**
     * Trades a refresh token for new tokens (the old refresh token is spent). A network failure
     * is retried once with the same token, inside the server's retry grace.
     */
    refresh(refreshToken: string): Promise<RefreshResult> {
      let pending = refreshing.get(refreshToken);
      if (!pending) {
        pending = refreshOnce(refreshToken).finally(() => refreshing.delete(refreshToken));
        refreshing.set(refreshToken, pending);
      }
      return pending;
    },

    /** Ends the session the refresh token belongs to. */
    async logout(refreshToken: string): Promise<void> {
      await post<null>('/v1/logout', { refreshToken });
    },

    /**
     * Passkey login. With `userId`, the browser offers that user's passkeys; without, any
     * discoverable passkey for the app's rpId (usernameless login).
     */
    async signInWithPasskey(
      input: { userId?: string } & CeremonyOptions & { mediation?: CredentialMediationRequirement } = {},
    ): Promise<LoginResult> {
      const { userId, ...ceremony } = input;
      const issued = await challenge('webauthn', userId);
      if (!issued.options)
        throw new SignetRequestError(500, 'invalid_response', 'the webauthn challenge carried no options');
      const response = await startAuthentication(issued.options, ceremony);
      return verify({ type: 'webauthn', challengeId: issued.challengeId, response });
    },

    /** Sign-In with Ethereum through an EIP-1193 provider (the address must be registered to a user). */
    async signInWithEthereum(
      provider: Eip1193Provider,
      input: { userId?: string; chainId?: number; statement?: string } = {},
    ): Promise<LoginResult & { address: string }> {
      const issued = await challenge('eth', input.userId);
      const proof = await signSiweMessage(provider, {
        nonce: issued.challenge,
        ...(input.chainId !== undefined ? { chainId: input.chainId } : {}),
        ...(input.statement !== undefined ? { statement: input.statement } : {}),
      });
      const result = await verify({ type: 'eth', challengeId: issued.challengeId, ...proof });
      return { ...result, address: proof.address };
    },

    /**
     * Proves the page's Ethereum wallet for linking it to `userId`: a Sign-In with Ethereum
     * message over a challenge issued for that user, signed by the wallet. Send `{ address,
     * proof }` to the app backend, which registers `{ type: 'eth', address, proof }` for the
     * user it has signed in (Signet refuses a proof made for another user or another wallet).
     */
    async proveEthereumWallet(
      provider: Eip1193Provider,
      input: { userId: string; chainId?: number; statement?: string },
    ): Promise<{ address: string; proof: WalletProof }> {
      const issued = await challenge('eth', input.userId);
      const signed = await signSiweMessage(provider, {
        nonce: issued.challenge,
        ...(input.chainId !== undefined ? { chainId: input.chainId } : {}),
        ...(input.statement !== undefined ? { statement: input.statement } : {}),
      });
      return {
        address: signed.address,
        proof: { challengeId: issued.challengeId, message: signed.message, signature: signed.signature },
      };
    },

    /**
     * A wallet proof from any signer: `sign` signs the challenge string as a login would (an EOS
     * wallet's `SIG_K1_...` over its UTF-8 bytes; an Ethereum wallet's EIP-191 signature).
     */
    async proveWallet(input: {
      type: 'eos' | 'eth';
      userId: string;
      sign: (challenge: string) => Promise<string>;
    }): Promise<WalletProof> {
      const issued = await challenge(input.type, input.userId);
      return { challengeId: issued.challengeId, signature: await input.sign(issued.challenge) };
    },

    /**
     * Device-key login: `sign` signs the UTF-8 bytes of the challenge string with the key the user
     * registered (RSA PKCS#1 v1.5 SHA-256 or ECDSA P-256 SHA-256; raw r‖s or DER) and returns the
     * signature bytes or their base64 text.
     */
    async signInWithDeviceKey(input: {
      userId: string;
      sign: (challenge: string) => Promise<ArrayBuffer | Uint8Array | string>;
    }): Promise<LoginResult> {
      const issued = await challenge('device', input.userId);
      const signed = await input.sign(issued.challenge);
      const signature = typeof signed === 'string' ? signed : encodeBase64Url(signed);
      return verify({ type: 'device', challengeId: issued.challengeId, userId: input.userId, signature });
    },
  };
}

export type SignetBrowserClient = ReturnType<typeof createSignetBrowserClient>;
