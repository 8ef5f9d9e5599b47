// Signet with react-native-biometrics: the phone's biometric RSA key (Android Keystore, iOS
// Keychain) as a Signet `device` credential. No React in here, so the same code runs in the app
// and in Signet's tests (test/examples/reactNative.test.ts).

/**
 * The part of a `ReactNativeBiometrics` instance this module uses (react-native-biometrics 3.x):
 * `new ReactNativeBiometrics()` fits it as is.
 */
export interface BiometricsLike {
  isSensorAvailable(): Promise<{ available: boolean; biometryType?: string; error?: string }>;
  /** A new RSA-2048 pair; the old one is replaced. Android: base64 SPKI with line breaks; iOS: base64 SPKI. */
  createKeys(): Promise<{ publicKey: string }>;
  /** RSA PKCS#1 v1.5 SHA-256 over the UTF-8 bytes of `payload`, base64 (Android wraps lines). */
  createSignature(options: {
    promptMessage: string;
    payload: string;
    cancelButtonText?: string;
  }): Promise<{ success: boolean; signature?: string; error?: string }>;
}

export interface SignetBiometricsOptions {
  biometrics: BiometricsLike;
  /** Signet's public URL (with any base path). */
  signetUrl: string;
  /** The app's id: public. The secret stays on your backend. */
  appId: string;
  /** Your backend's route that registers a device key for the signed-in user. */
  enrolUrl: string;
  /** Headers for your backend (its session cookie or bearer token). */
  backendHeaders?: Record<string, string>;
  /** This install's key slot: keep it in storage; Signet replaces the slot's old key. */
  deviceId: string;
  fetch?: typeof fetch;
}

/** A step that failed: Signet's stable error code, or `biometrics_unavailable` / `biometrics_failed`. */
export class SignetBiometricsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SignetBiometricsError';
  }
}

export interface Login {
  userId: string;
  credentialId: string;
  token: string;
  expiresAt: number;
}

/**
 * Enrol the phone's biometric key with Signet (through your backend) and log in with it.
 *
 * @example
 * const signet = createSignetBiometrics({ biometrics: new ReactNativeBiometrics(), signetUrl, appId, enrolUrl, deviceId });
 * await signet.enrol();
 * const { token } = await signet.login('alice');
 */
export function createSignetBiometrics(options: SignetBiometricsOptions) {
  const doFetch = options.fetch ?? fetch;
  const root = options.signetUrl.replace(/\/+$/, '');

  async function post<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    } catch (e) {
      throw new SignetBiometricsError('network_error', e instanceof Error ? e.message : 'network error');
    }
    const data = (await response.json().catch(() => null)) as
      (T & { error?: { code?: string; message?: string } }) | null;
    if (!response.ok) {
      throw new SignetBiometricsError(
        data?.error?.code ?? 'bad_response',
        data?.error?.message ?? `HTTP ${response.status}`,
        response.status,
      );
    }
    return data as T;
  }

  async function requireSensor(): Promise<void> {
    const { available, error } = await options.biometrics.isSensorAvailable();
    if (!available)
      throw new SignetBiometricsError('biometrics_unavailable', error ?? 'no biometrics on this phone');
  }

  return {
    /** Whether the phone can sign behind biometrics. */
    async isAvailable(): Promise<boolean> {
      return (await options.biometrics.isSensorAvailable()).available;
    },

    /** A new key on the phone, registered by your backend for the signed-in user. */
    async enrol<T = unknown>(): Promise<T> {
      await requireSensor();
      const { publicKey } = await options.biometrics.createKeys();
      return post<T>(
        options.enrolUrl,
        { publicKey, deviceId: options.deviceId },
        options.backendHeaders ?? {},
      );
    },

    /** A Signet challenge, signed behind the biometric prompt, exchanged for a token. */
    async login(userId: string, promptMessage = 'Sign in'): Promise<Login> {
      await requireSensor();
      const issued = await post<{ challengeId: string; challenge: string }>(`${root}/v1/challenges`, {
        appId: options.appId,
        type: 'device',
        userId,
      });
      const signed = await options.biometrics.createSignature({ promptMessage, payload: issued.challenge });
      if (!signed.success || !signed.signature)
        throw new SignetBiometricsError('biometrics_failed', signed.error ?? 'the prompt was cancelled');
      return post<Login>(`${root}/v1/verify`, {
        appId: options.appId,
        type: 'device',
        challengeId: issued.challengeId,
        userId,
        // Android's Base64.DEFAULT wraps lines; Signet reads base64 without them.
        signature: signed.signature.replace(/\s+/g, ''),
      });
    },
  };
}
