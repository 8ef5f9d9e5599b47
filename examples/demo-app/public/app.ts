/**
 * The demo page's script (served transpiled as /examples/demo-app/public/app.js; the relative
 * import below resolves to /src/browser/index.js, which the demo server serves the same way —
 * a real app would let its bundler resolve `signet-auth/browser`). Public API calls (challenges,
 * proofs) go from the page straight to Signet (CORS allows the app's origins); server-API calls
 * (registering credentials) go through this app's backend, which holds the app secret.
 */
import {
  createSignetBrowserClient,
  SignetRequestError,
  startRegistration,
  type Eip1193Provider,
  type LoginResult,
  type SignetBrowserClient,
} from '../../../src/browser/index.js';

interface DeviceKeyRecord {
  userId: string;
  alg: 'ECDSA' | 'RSA';
  privateKey: CryptoKey;
  credentialId: string;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
};

const userId = (): string => $<HTMLInputElement>('user-id').value.trim();
const userName = (): string => $<HTMLInputElement>('user-name').value.trim() || userId();

function setStatus(state: 'idle' | 'busy' | 'ok' | 'error', text: string): void {
  const status = $('status');
  status.dataset['state'] = state;
  status.textContent = text;
}

/** A JSON call to this app's own backend. */
async function backend<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json().catch(() => null)) as {
    error?: { code?: string; message?: string; reason?: string };
  } | null;
  if (!response.ok) {
    const e = json?.error;
    throw new SignetRequestError(
      response.status,
      e?.code ?? 'error',
      `${e?.message ?? `HTTP ${response.status}`}${e?.reason ? ` (${e.reason})` : ''}`,
    );
  }
  return json as T;
}

function describeError(e: unknown): string {
  if (e instanceof SignetRequestError) return `${e.code}: ${e.message}`;
  if (e instanceof DOMException) return `${e.name}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Runs one button's action with a busy state and an error report. */
function action(id: string, run: () => Promise<void>): void {
  const button = $<HTMLButtonElement>(id);
  button.addEventListener('click', () => {
    button.disabled = true;
    setStatus('busy', `${button.textContent ?? ''}…`);
    run()
      .catch((e: unknown) => setStatus('error', describeError(e)))
      .finally(() => {
        button.disabled = false;
      });
  });
}

/** The token goes to the backend, which checks it against Signet's JWKS and answers its claims. */
async function showLogin(result: LoginResult, how: string): Promise<void> {
  const { claims } = await backend<{ claims: Record<string, unknown> }>('POST', '/api/session', {
    token: result.token,
  });
  $('token').textContent = result.token;
  const body = $<HTMLTableElement>('claims').tBodies[0]!;
  body.replaceChildren();
  for (const [name, value] of Object.entries(claims)) {
    const tr = document.createElement('tr');
    const k = document.createElement('th');
    k.textContent = name;
    const v = document.createElement('td');
    const shown =
      (name === 'iat' || name === 'exp') && typeof value === 'number'
        ? `${value} (${new Date(value * 1000).toLocaleTimeString()})`
        : JSON.stringify(value);
    v.textContent = shown;
    tr.append(k, v);
    body.append(tr);
  }
  const who = $('who');
  who.textContent = `Signed in as ${result.userId} · ${how}`;
  who.className = 'who signed';
  setStatus('ok', `Signed in as ${result.userId} with ${how}.`);
  await refreshCredentials();
}

async function refreshCredentials(): Promise<void> {
  const id = userId();
  $('cred-user').textContent = id;
  const body = $<HTMLTableElement>('credentials').tBodies[0]!;
  body.replaceChildren();
  if (!id) return;
  const { credentials } = await backend<{
    credentials: Array<{ id: string; type: string; label: string | null; lastUsedAt: string | null }>;
  }>('GET', `/api/users/${encodeURIComponent(id)}/credentials`);
  for (const c of credentials) {
    const tr = document.createElement('tr');
    for (const text of [
      c.type,
      c.label ?? '',
      c.id,
      c.lastUsedAt ? new Date(c.lastUsedAt).toLocaleString() : 'never',
    ]) {
      const td = document.createElement('td');
      if (text === c.id) {
        const code = document.createElement('code');
        code.textContent = text;
        td.append(code);
      } else td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  if (credentials.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 4;
    td.className = 'muted';
    td.textContent = 'None yet.';
    tr.append(td);
    body.append(tr);
  }
}

// --- the phone's key store: IndexedDB holds the CryptoKey itself, never its bytes -------------

function openKeyStore(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open('signet-demo', 1);
    request.onupgradeneeded = () => request.result.createObjectStore('deviceKeys', { keyPath: 'userId' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function keyStore<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await openKeyStore();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = run(db.transaction('deviceKeys', mode).objectStore('deviceKeys'));
      request.onsuccess = () => resolve(request.result as T);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

const ALGORITHMS = {
  ECDSA: {
    generate: { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams,
    sign: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
    label: 'ECDSA P-256',
  },
  RSA: {
    generate: {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    } as RsaHashedKeyGenParams,
    sign: { name: 'RSASSA-PKCS1-v1_5' } as AlgorithmIdentifier,
    label: 'RSA 2048',
  },
} as const;

function base64(bytes: ArrayBuffer): string {
  let binary = '';
  for (const b of new Uint8Array(bytes)) binary += String.fromCharCode(b);
  return btoa(binary);
}

async function showDeviceInfo(): Promise<void> {
  const record = await keyStore<DeviceKeyRecord | undefined>('readonly', (s) => s.get(userId()));
  $('device-info').textContent = record
    ? `This browser holds a ${ALGORITHMS[record.alg].label} key for ${record.userId} (credential ${record.credentialId}).`
    : `No device key for ${userId()} in this browser yet.`;
}

// --- wiring -----------------------------------------------------------------------------------

function wallet(): Eip1193Provider {
  const provider = (window as { ethereum?: Eip1193Provider }).ethereum;
  if (!provider || typeof provider.request !== 'function')
    throw new Error('No Ethereum wallet in this browser (window.ethereum).');
  return provider;
}

function wire(signet: SignetBrowserClient): void {
  action('passkey-register', async () => {
    const { challengeId, options } = await backend<{
      challengeId: string;
      options: Parameters<typeof startRegistration>[0];
    }>('POST', '/api/passkeys/options', { userId: userId(), userName: userName() });
    const response = await startRegistration(options);
    const credential = await backend<{ id: string }>('POST', '/api/passkeys/verify', {
      challengeId,
      response,
    });
    setStatus('ok', `Passkey registered for ${userId()} (${credential.id}).`);
    await refreshCredentials();
  });

  action('passkey-login', async () => {
    await showLogin(await signet.signInWithPasskey({ userId: userId() }), 'a passkey');
  });

  action('passkey-login-any', async () => {
    const result = await signet.signInWithPasskey();
    $<HTMLInputElement>('user-id').value = result.userId;
    await showLogin(result, 'a passkey (usernameless)');
  });

  action('device-create', async () => {
    const alg = $<HTMLSelectElement>('device-alg').value === 'RSA' ? 'RSA' : 'ECDSA';
    // Not extractable: like a key in the Secure Enclave or Android Keystore, it can sign but never leave.
    const pair = (await crypto.subtle.generateKey(ALGORITHMS[alg].generate, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const spki = await crypto.subtle.exportKey('spki', pair.publicKey);
    const credential = await backend<{ id: string }>('POST', '/api/devices', {
      userId: userId(),
      publicKey: base64(spki),
      deviceId: 'demo-browser',
      label: `This browser (${ALGORITHMS[alg].label})`,
    });
    const record: DeviceKeyRecord = {
      userId: userId(),
      alg,
      privateKey: pair.privateKey,
      credentialId: credential.id,
    };
    await keyStore('readwrite', (s) => s.put(record));
    setStatus('ok', `Device key (${ALGORITHMS[alg].label}) registered for ${userId()}.`);
    await showDeviceInfo();
    await refreshCredentials();
  });

  action('device-login', async () => {
    const record = await keyStore<DeviceKeyRecord | undefined>('readonly', (s) => s.get(userId()));
    if (!record) throw new Error(`No device key for ${userId()} in this browser: create one first.`);
    const result = await signet.signInWithDeviceKey({
      userId: record.userId,
      // What the phone does in my.bioMetrics.createSignature: sign the challenge's UTF-8 bytes.
      sign: (challenge) =>
        crypto.subtle.sign(
          ALGORITHMS[record.alg].sign,
          record.privateKey,
          new TextEncoder().encode(challenge),
        ),
    });
    await showLogin(result, `a device key (${ALGORITHMS[record.alg].label})`);
  });

  action('wallet-link', async () => {
    // Proof of possession: the wallet signs a SIWE message over a challenge issued for this user.
    const { address, proof } = await signet.proveEthereumWallet(wallet(), {
      userId: userId(),
      statement: 'Link this wallet to your Acme Notes account.',
    });
    await backend('POST', '/api/wallets', { userId: userId(), address, proof });
    $('wallet-info').textContent = `${address} is linked to ${userId()}.`;
    setStatus('ok', `Wallet ${address} linked to ${userId()}.`);
    await refreshCredentials();
  });

  action('wallet-login', async () => {
    const result = await signet.signInWithEthereum(wallet(), {
      statement: 'Sign in to Acme Notes with Signet.',
    });
    $('wallet-info').textContent = `Signed by ${result.address}.`;
    $<HTMLInputElement>('user-id').value = result.userId;
    await showLogin(result, 'Ethereum');
  });

  $('user-id').addEventListener('change', () => {
    void refreshCredentials().catch((e: unknown) => setStatus('error', describeError(e)));
    void showDeviceInfo();
  });
}

async function main(): Promise<void> {
  const config = await backend<{ signetUrl: string; appId: string }>('GET', '/config.json');
  const signet = createSignetBrowserClient({ baseUrl: config.signetUrl, appId: config.appId });
  wire(signet);
  document.body.dataset['ready'] = 'true';
  await Promise.all([refreshCredentials(), showDeviceInfo()]).catch((e: unknown) =>
    setStatus('error', describeError(e)),
  );
}

void main();
