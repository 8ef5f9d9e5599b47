// A simulated Tiki mini-app runtime (`my`) that behaves as the seeds describe
// (/work/shared/seeds: my.bioMetrics.createKey / createSignature, "Cách Tính Signature"):
// - createKey makes an RSA-2048 pair and deletes every earlier key; the public key is base64 DER
//   SPKI with line breaks every 76 characters on Android (Base64.DEFAULT), base64 DER PKCS#1
//   RSAPublicKey on iOS (SecKeyCopyExternalRepresentation);
// - createSignature signs the UTF-8 bytes of the challenge with RSA PKCS#1 v1.5 SHA-256, base64,
//   and fails without a key, when biometrics are off, or when the user cancels the prompt;
// - request is an Alipay-family my.request over real HTTP (fetch): 2xx to success with
//   { data, status, headers }, other statuses to fail with { error: 19, status, data }.
// Software keys through node:crypto stand in for the Keystore / Keychain.
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { MyFailure, MyRequestOptions, MyRuntime } from '../../src/miniapp/index.js';

export type Platform = 'android' | 'ios';

export interface SimulatedMy extends MyRuntime {
  platform: Platform;
  /** Every key pair createKey made, oldest first (the phone itself keeps only the newest). */
  readonly history: Array<{ publicKey: KeyObject; privateKey: KeyObject }>;
  /** Whether the phone has biometrics enrolled. */
  supported: boolean;
  /** The next biometric prompt is cancelled by the user. */
  cancelNextPrompt: boolean;
  /** The prompts shown, with their text. */
  readonly prompts: string[];
  /** The requests made, by method and URL. */
  readonly requests: string[];
  keyExists(): boolean;
  deleteKey(): void;
}

/** Base64 as Android's Base64.DEFAULT writes it: 76-character lines, each ending in \n. */
export function androidBase64(bytes: Buffer): string {
  const text = bytes.toString('base64');
  return text.replace(/(.{76})/g, '$1\n') + (text.length % 76 === 0 ? '' : '\n');
}

const later = (f: () => void): void => void setTimeout(f, 0);

export function createSimulatedMy(platform: Platform): SimulatedMy {
  let current: { publicKey: KeyObject; privateKey: KeyObject } | null = null;
  const storage = new Map<string, unknown>();
  const my: SimulatedMy = {
    platform,
    history: [],
    supported: true,
    cancelNextPrompt: false,
    prompts: [],
    requests: [],
    keyExists: () => current !== null,
    deleteKey: () => void (current = null),

    bioMetrics: {
      isSupported({ success, complete }) {
        later(() => {
          const result = { isSupported: my.supported };
          success?.(result);
          complete?.(result);
        });
      },
      createKey({ success, fail, complete }) {
        later(() => {
          if (!my.supported) {
            const failure: MyFailure = { error: 3, errorMessage: 'biometrics not available' };
            fail?.(failure);
            complete?.(failure);
            return;
          }
          // "Khi gọi JSAPI này, các key được tạo ra trước đó sẽ bị xoá đi."
          current = generateKeyPairSync('rsa', { modulusLength: 2048 });
          my.history.push(current);
          const publicKey =
            platform === 'android'
              ? androidBase64(current.publicKey.export({ format: 'der', type: 'spki' }))
              : current.publicKey.export({ format: 'der', type: 'pkcs1' }).toString('base64');
          success?.({ publicKey });
          complete?.({ publicKey });
        });
      },
      createSignature({ challenge, content, success, fail, complete }) {
        later(() => {
          my.prompts.push(content);
          const refuse = (failure: MyFailure) => {
            fail?.(failure);
            complete?.(failure);
          };
          if (!my.supported) return refuse({ error: 3, errorMessage: 'biometrics not available' });
          if (current === null) return refuse({ error: 4, errorMessage: 'key not found' });
          if (my.cancelNextPrompt) {
            my.cancelNextPrompt = false;
            return refuse({ error: 11, errorMessage: 'user cancelled' });
          }
          const raw = createSign('sha256').update(challenge, 'utf8').sign(current.privateKey);
          // Android hands the signature over with Base64.DEFAULT line breaks too.
          const signature = platform === 'android' ? androidBase64(raw) : raw.toString('base64');
          success?.({ signature });
          complete?.({ signature });
        });
      },
    },

    request(options: MyRequestOptions) {
      my.requests.push(`${options.method} ${options.url}`);
      void (async () => {
        try {
          const response = await fetch(options.url, {
            method: options.method,
            headers: options.headers ?? {},
            ...(options.data === undefined ? {} : { body: options.data }),
          });
          const text = await response.text();
          let data: unknown = text;
          if (options.dataType !== 'text') {
            try {
              data = text === '' ? null : JSON.parse(text);
            } catch {
              data = text;
            }
          }
          const headers: Record<string, string> = {};
          response.headers.forEach((value, name) => void (headers[name] = value));
          if (response.ok) {
            options.success?.({ data, status: response.status, headers });
            options.complete?.({ data, status: response.status, headers });
          } else {
            const failure: MyFailure = {
              error: 19,
              errorMessage: 'http status error',
              status: response.status,
              data,
            };
            options.fail?.(failure);
            options.complete?.(failure);
          }
        } catch (e) {
          const failure: MyFailure = {
            error: 12,
            errorMessage: e instanceof Error ? e.message : 'network error',
          };
          options.fail?.(failure);
          options.complete?.(failure);
        }
      })();
    },

    getStorageSync: ({ key }) => ({ data: storage.get(key) }),
    setStorageSync: ({ key, data }) => void storage.set(key, data),
  };
  return my;
}
