import type { MyFailure, MyRequestOptions, MyResponse, MyRuntime } from './types.js';

/** Why a mini-app step failed: the phone's side, the network, or Signet's error code. */
export type MiniappErrorCode =
  'biometrics_unsupported' | 'biometrics_failed' | 'network_error' | 'bad_response' | (string & {});

/**
 * A failed step. `code` is Signet's stable error code when Signet answered (`verification_failed`,
 * `challenge_expired`, `rate_limited`, ...), else one of the phone-side codes above; `status` is
 * the HTTP status when there was one; `cause` what the runtime passed to `fail`.
 */
export class SignetMiniappError extends Error {
  readonly code: MiniappErrorCode;
  readonly status: number | undefined;
  override readonly cause: unknown;
  constructor(code: MiniappErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message);
    this.name = 'SignetMiniappError';
    this.code = code;
    this.status = options.status;
    this.cause = options.cause;
  }
}

export interface SignetMiniappClientOptions {
  /** The mini-app's `my` global. */
  my: MyRuntime;
  /** Signet's public URL, including any base path (e.g. `https://auth.example.com/signet`). */
  signetUrl: string;
  /** The app's id (public; the secret never goes to the phone). */
  appId: string;
  /** The biometric prompt's text (default `Sign in`). */
  prompt?: string;
  /** Milliseconds before `my.request` gives up (default 15 000). */
  timeoutMs?: number;
  /**
   * This phone's key slot, sent with the public key so that Signet replaces the key it had for
   * the slot (createKey deletes earlier keys on the phone). Default: a random id kept in
   * `my.setStorageSync` under `signet.deviceId`, made on first use.
   */
  deviceId?: string;
}

/** What `POST /v1/verify` answers on success (refresh fields when the server issues them). */
export interface MiniappLogin {
  verified: true;
  userId: string;
  credentialId: string;
  token: string;
  expiresAt: number;
  refreshToken?: string;
  refreshExpiresAt?: number;
}

const DEVICE_ID_KEY = 'signet.deviceId';

/** Reads the several answer shapes of `my.bioMetrics.isSupported` seen across runtimes. */
export function readSupported(result: unknown): boolean {
  if (typeof result === 'boolean') return result;
  if (typeof result !== 'object' || result === null) return false;
  const r = result as Record<string, unknown>;
  for (const key of ['isSupported', 'supported', 'success']) if (typeof r[key] === 'boolean') return r[key];
  return false;
}

function randomHex(bytes: number): string {
  const out = new Uint8Array(bytes);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(out);
  else for (let i = 0; i < bytes; i++) out[i] = Math.floor(Math.random() * 256);
  return Array.from(out, (b) => b.toString(16).padStart(2, '0')).join('');
}

const describe = (f: MyFailure | undefined): string =>
  f?.errorMessage ? `${f.errorMessage}${f.error !== undefined ? ` (${String(f.error)})` : ''}` : 'no detail';

/** Turns a callback JSAPI into a promise. */
function call<T>(
  start: (done: { success: (r: T) => void; fail: (f: MyFailure) => void }) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      start({ success: resolve, fail: (f) => reject(f ?? {}) });
    } catch (e) {
      reject({ errorMessage: e instanceof Error ? e.message : String(e) } satisfies MyFailure);
    }
  });
}

/** Signet's error body `{ error: { code, message } }`, when `data` is one. */
function signetError(data: unknown): { code: string; message: string } | null {
  const parsed = typeof data === 'string' ? safeJson(data) : data;
  const e = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return e && typeof e.code === 'string'
    ? { code: e.code, message: typeof e.message === 'string' ? e.message : e.code }
    : null;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Signet in a Tiki mini-app: device keys from `my.bioMetrics` and Signet's public API through
 * `my.request`. Enrolment makes a key on the phone and hands its public key to the app's own
 * backend, which registers it with Signet's server API (the app secret stays on the backend);
 * login asks Signet for a challenge, has the phone sign it behind the biometric prompt, and
 * sends the signature to `POST /v1/verify` for a token. Nothing here needs Node.
 *
 * @example
 * import { createSignetMiniappClient } from 'signet-auth/miniapp';
 * const signet = createSignetMiniappClient({ my, signetUrl: 'https://auth.example.com', appId: 'APP_ID' });
 * if (await signet.isSupported()) {
 *   await signet.enroll({ backendUrl: 'https://shop.example/api/devices', body: { userId } });
 *   const { token } = await signet.login({ userId });
 * }
 */
export function createSignetMiniappClient(options: SignetMiniappClientOptions) {
  const { my } = options;
  if (!my || typeof my.request !== 'function' || typeof my.bioMetrics?.createSignature !== 'function') {
    throw new TypeError(
      'createSignetMiniappClient: `my` must be the mini-app runtime (my.request, my.bioMetrics)',
    );
  }
  if (typeof options.appId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(options.appId))
    throw new TypeError(
      'createSignetMiniappClient: appId must be 1-128 characters of A-Z, a-z, 0-9, _ and -',
    );
  let base: URL;
  try {
    base = new URL(options.signetUrl);
  } catch {
    throw new TypeError('createSignetMiniappClient: signetUrl must be an absolute URL');
  }
  const root = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
  const prompt = options.prompt ?? 'Sign in';
  const timeout = options.timeoutMs ?? 15_000;

  /** A JSON request through `my.request`; Signet's error answers become SignetMiniappError. */
  async function request<T>(
    method: MyRequestOptions['method'],
    url: string,
    body?: unknown,
    headers = {},
  ): Promise<T> {
    let response: MyResponse;
    try {
      response = await call<MyResponse>((cb) =>
        my.request({
          url,
          method,
          dataType: 'json',
          timeout,
          headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
          ...(body === undefined ? {} : { data: JSON.stringify(body) }),
          ...cb,
        }),
      );
    } catch (failure) {
      const f = failure as MyFailure;
      const e = signetError(f.data);
      if (e)
        throw new SignetMiniappError(e.code, e.message, {
          ...(f.status ? { status: f.status } : {}),
          cause: f,
        });
      throw new SignetMiniappError('network_error', `request to ${url} failed: ${describe(f)}`, { cause: f });
    }
    const status = response.status ?? 200;
    const data =
      typeof response.data === 'string' ? (safeJson(response.data) ?? response.data) : response.data;
    if (status < 200 || status >= 300) {
      const e = signetError(data);
      throw new SignetMiniappError(e?.code ?? 'bad_response', e?.message ?? `HTTP ${status} from ${url}`, {
        status,
      });
    }
    return data as T;
  }

  function deviceId(): string {
    if (options.deviceId) return options.deviceId;
    const stored = my.getStorageSync?.({ key: DEVICE_ID_KEY })?.data;
    if (typeof stored === 'string' && /^[A-Za-z0-9_-]{8,128}$/.test(stored)) return stored;
    const fresh = `tiki-${randomHex(12)}`;
    my.setStorageSync?.({ key: DEVICE_ID_KEY, data: fresh });
    return fresh;
  }

  async function isSupported(): Promise<boolean> {
    try {
      return readSupported(await call<unknown>((cb) => my.bioMetrics.isSupported(cb)));
    } catch {
      return false;
    }
  }

  async function requireSupported(): Promise<void> {
    if (!(await isSupported()))
      throw new SignetMiniappError('biometrics_unsupported', 'This phone has no biometrics set up.');
  }

  /** A new key pair on the phone (earlier keys deleted); its public key as the phone gives it. */
  async function createKey(): Promise<{ publicKey: string; deviceId: string }> {
    await requireSupported();
    try {
      const { publicKey } = await call<{ publicKey: string }>((cb) => my.bioMetrics.createKey(cb));
      if (typeof publicKey !== 'string' || publicKey.trim() === '')
        throw new SignetMiniappError('biometrics_failed', 'createKey answered no public key');
      return { publicKey, deviceId: deviceId() };
    } catch (e) {
      if (e instanceof SignetMiniappError) throw e;
      throw new SignetMiniappError('biometrics_failed', `createKey failed: ${describe(e as MyFailure)}`, {
        cause: e,
      });
    }
  }

  /** The phone's signature of `challenge` behind the biometric prompt, base64 without line breaks. */
  async function sign(challenge: string): Promise<string> {
    try {
      const { signature } = await call<{ signature: string }>((cb) =>
        my.bioMetrics.createSignature({ challenge, content: prompt, ...cb }),
      );
      if (typeof signature !== 'string' || signature.trim() === '')
        throw new SignetMiniappError('biometrics_failed', 'createSignature answered no signature');
      // Android's Base64.DEFAULT wraps lines; Signet reads base64 without them.
      return signature.replace(/\s+/g, '');
    } catch (e) {
      if (e instanceof SignetMiniappError) throw e;
      throw new SignetMiniappError(
        'biometrics_failed',
        `createSignature failed: ${describe(e as MyFailure)}`,
        {
          cause: e,
        },
      );
    }
  }

  return {
    isSupported,
    createKey,

    /**
     * Makes a key and posts `{ publicKey, deviceId, ...body }` to the app's backend
     * (`backendUrl`), which registers it with Signet's server API
     * (`POST /v1/users/{userId}/credentials` with `type: "device"`). Answers what the backend answered.
     */
    async enroll<T = unknown>(input: {
      backendUrl: string;
      body?: Record<string, unknown>;
      headers?: Record<string, string>;
    }): Promise<T> {
      const { publicKey, deviceId: slot } = await createKey();
      return request<T>(
        'POST',
        input.backendUrl,
        { ...input.body, publicKey, deviceId: slot },
        input.headers,
      );
    },

    /**
     * A device login: a challenge from Signet for `userId`, signed on the phone, verified by Signet.
     * With `clientChallenge` (apps with the `clientChallenges` setting), the phone builds the
     * challenge itself as `${Date.now()}-<random>` (the seed's sample) and no challenge request is made.
     */
    async login(input: { userId: string; clientChallenge?: boolean }): Promise<MiniappLogin> {
      if (typeof input.userId !== 'string' || input.userId.length < 1 || input.userId.length > 128)
        throw new TypeError('login: userId must be 1-128 characters');
      await requireSupported();
      if (input.clientChallenge) {
        const challenge = `${Date.now()}-${randomHex(16)}`;
        const signature = await sign(challenge);
        return request<MiniappLogin>('POST', `${root}/v1/verify`, {
          appId: options.appId,
          type: 'device',
          userId: input.userId,
          challenge,
          signature,
        });
      }
      const issued = await request<{ challengeId: string; challenge: string }>(
        'POST',
        `${root}/v1/challenges`,
        {
          appId: options.appId,
          type: 'device',
          userId: input.userId,
        },
      );
      if (typeof issued?.challenge !== 'string' || typeof issued.challengeId !== 'string')
        throw new SignetMiniappError('bad_response', 'Signet answered no challenge');
      const signature = await sign(issued.challenge);
      return request<MiniappLogin>('POST', `${root}/v1/verify`, {
        appId: options.appId,
        type: 'device',
        challengeId: issued.challengeId,
        userId: input.userId,
        signature,
      });
    },
  };
}

export type SignetMiniappClient = ReturnType<typeof createSignetMiniappClient>;
