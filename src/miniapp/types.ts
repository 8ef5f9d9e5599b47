/**
 * The parts of the Tiki mini-app runtime (`my`) that Signet's mini-app client uses, as the Tiki
 * docs describe them: callback-style JSAPIs taking `success`, `fail` and `complete`.
 * Only what is used is typed; a real `my` has much more.
 */

/** What a failing JSAPI passes to `fail` (Alipay-family runtimes: a number and a message). */
export interface MyFailure {
  error?: number | string;
  errorMessage?: string;
  /** `my.request` on a non-2xx answer (some runtimes): the status and the parsed body. */
  status?: number;
  data?: unknown;
}

export interface MyCallbacks<T> {
  success?: (result: T) => void;
  fail?: (failure: MyFailure) => void;
  complete?: (result: T | MyFailure) => void;
}

export interface MyBioMetrics {
  /**
   * Whether the phone has a biometric sensor with a face, finger or iris enrolled. The answer's
   * shape is not fixed by the docs we have: `{ isSupported }`, `{ supported }`, `{ success }` or
   * a bare boolean are all read (see `readSupported`).
   */
  isSupported(options: MyCallbacks<unknown>): void;
  /**
   * Creates an RSA-2048 key pair in the Android Keystore / iOS Keychain and answers its public
   * key; **earlier keys are deleted** (the public key must be registered again). Android gives
   * base64 DER SPKI (with line breaks, `Base64.DEFAULT`), iOS base64 DER PKCS#1 RSAPublicKey.
   */
  createKey(options: MyCallbacks<{ publicKey: string }>): void;
  /**
   * Asks for the user's biometrics, then signs the UTF-8 bytes of `challenge` with the key:
   * RSA PKCS#1 v1.5 SHA-256, base64. `content` is the text of the prompt.
   */
  createSignature(options: { challenge: string; content: string } & MyCallbacks<{ signature: string }>): void;
}

/** `my.request`'s answer: the body (parsed when `dataType` is json), the status, the headers. */
export interface MyResponse {
  data: unknown;
  status?: number;
  headers?: Record<string, string>;
}

export interface MyRequestOptions extends MyCallbacks<MyResponse> {
  url: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  /** A string is sent as is. */
  data?: string;
  dataType?: 'json' | 'text';
  timeout?: number;
}

/** The `my` global of a Tiki mini-app, as far as Signet needs it. */
export interface MyRuntime {
  bioMetrics: MyBioMetrics;
  request(options: MyRequestOptions): void;
  getStorageSync?(options: { key: string }): { data?: unknown } | undefined;
  setStorageSync?(options: { key: string; data: unknown }): void;
}
