import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { createSignetClient, type SignetResponse } from '../../src/client/createSignetClient.js';
import { createSignetVerifier } from '../../src/client/tokens.js';

/**
 * The demo app's backend: it holds the app secret, calls Signet's server API with Tiniapp
 * signatures through Signet's own client, checks login tokens against Signet's JWKS, and serves
 * the page. node:http only, so that nothing here is about a framework.
 */
export interface DemoAppOptions {
  /** Signet's URL as the page and this backend reach it, e.g. `http://localhost:8080`. */
  signetUrl: string;
  appId: string;
  secret: string;
  /**
   * Pins the `iss` of Signet's tokens. Normally unset: the issuer is read from Signet's discovery
   * document, so it does not matter whether Signet is reached as `localhost` or `127.0.0.1`.
   */
  issuer?: string;
  port?: number;
  host?: string;
  /** Where the backend says what went wrong with its own set-up (default: stderr). */
  log?: (line: string) => void;
}

export interface DemoApp {
  server: Server;
  /** `http://localhost:<port>`: the page's origin (add it to the app's origins in Signet). */
  url: string;
  port: number;
  close(): Promise<void>;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PUBLIC = join(ROOT, 'examples/demo-app/public');
const MAX_BODY = 256 * 1024;

/**
 * Page scripts are TypeScript in this repository; they are transpiled on request (once) so the
 * demo runs from a checkout with no build step. The relative imports of app.ts resolve, in the
 * browser, to the same paths in the repository, so these two folders are served as such.
 */
const SCRIPT_ROUTES: Array<{ pattern: RegExp; dir: string }> = [
  { pattern: /^\/examples\/demo-app\/public\/([A-Za-z0-9]+)\.js$/, dir: PUBLIC },
  { pattern: /^\/src\/browser\/([A-Za-z0-9]+)\.js$/, dir: join(ROOT, 'src/browser') },
];

/** @noble/hashes (the browser library's one dependency), mapped by the page's import map. */
const VENDOR = /^\/vendor\/@noble\/hashes\/([A-Za-z0-9_-]+)\.js$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  type = 'application/json; charset=utf-8',
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(status === 204 ? undefined : text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'payload_too_large', 'The request body is too large.');
    chunks.push(chunk as Buffer);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_request', 'The body is not JSON.');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new HttpError(400, 'invalid_request', 'The body must be an object.');
  return json as Record<string, unknown>;
}

function text(body: Record<string, unknown>, field: string, max: number): string {
  const v = body[field];
  if (typeof v !== 'string' || v.length === 0 || v.length > max)
    throw new HttpError(400, 'invalid_request', `${field} must be 1-${max} characters`);
  return v;
}

/**
 * Starts the demo app.
 *
 * @example
 * const demo = await startDemoApp({ signetUrl: 'http://localhost:8080', appId, secret, port: 3000 });
 */
export async function startDemoApp(options: DemoAppOptions): Promise<DemoApp> {
  const signetUrl = options.signetUrl.replace(/\/+$/, '');
  const signet = createSignetClient({ baseUrl: signetUrl, appId: options.appId, secret: options.secret });
  // Issuer and keys from Signet's discovery document (signet-auth/tokens), never guessed from signetUrl.
  const tokens = createSignetVerifier({
    url: signetUrl,
    audience: options.appId,
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
  });
  const transpiled = new Map<string, Promise<string>>();
  const nobleDir = dirname(createRequire(import.meta.url).resolve('@noble/hashes/sha3.js'));

  function script(path: string): Promise<string> {
    let out = transpiled.get(path);
    if (!out) {
      out = readFile(path, 'utf8').then(
        (source) =>
          ts.transpileModule(source, {
            compilerOptions: {
              target: ts.ScriptTarget.ES2022,
              module: ts.ModuleKind.ESNext,
              verbatimModuleSyntax: true,
            },
            fileName: path,
          }).outputText,
      );
      transpiled.set(path, out);
    }
    return out;
  }

  /** Passes Signet's answer through (server-API answers carry the precise `reason` of a refusal). */
  const relay = (res: ServerResponse, answer: SignetResponse): void => {
    if (answer.status === 401) explainRefusal(answer.body);
    send(res, answer.status, answer.body ?? '');
  };
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const explained = new Set<string>();
  /** A refused server-API call is the backend's set-up, not the user's doing: say which variable to check, once. */
  function explainRefusal(body: unknown): void {
    const error =
      typeof body === 'object' && body !== null
        ? (body as { error?: { reason?: unknown } }).error
        : undefined;
    const reason = typeof error?.reason === 'string' ? error.reason : 'no_reason';
    if (explained.has(reason)) return;
    explained.add(reason);
    log(
      reason === 'signature_invalid'
        ? `demo-app: Signet refused this backend's signature (signature_invalid): is SIGNET_APP_SECRET the secret \`signet app create\` printed for ${options.appId}?`
        : `demo-app: Signet refused this backend's call (${reason}): is SIGNET_APP_ID (${options.appId}) an app of the database that Signet at ${signetUrl} uses?`,
    );
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';

    if (method === 'GET' && path === '/')
      return send(res, 200, await readFile(join(PUBLIC, 'index.html'), 'utf8'), 'text/html; charset=utf-8');
    // Browsers ask for it on every page; an empty answer keeps a 404 out of the console.
    if (method === 'GET' && path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (method === 'GET' && path === '/style.css')
      return send(res, 200, await readFile(join(PUBLIC, 'style.css'), 'utf8'), 'text/css; charset=utf-8');
    if (method === 'GET' && path === '/config.json')
      return send(res, 200, { signetUrl, appId: options.appId });
    if (method === 'GET') {
      for (const { pattern, dir } of SCRIPT_ROUTES) {
        const m = pattern.exec(path);
        if (m) return send(res, 200, await script(join(dir, `${m[1]}.ts`)), 'text/javascript; charset=utf-8');
      }
      const vendor = VENDOR.exec(path);
      if (vendor)
        return send(
          res,
          200,
          await readFile(join(nobleDir, `${vendor[1]}.js`), 'utf8'),
          'text/javascript; charset=utf-8',
        );
    }

    // A real app registers credentials only for the user signed in to its own session; this demo
    // lets the page say who it is, to show every flow without an account system.
    if (method === 'POST' && path === '/api/passkeys/options') {
      const body = await readJson(req);
      return relay(
        res,
        await signet.webauthnRegistrationOptions({
          userId: text(body, 'userId', 128),
          userName: text(body, 'userName', 256),
        }),
      );
    }
    if (method === 'POST' && path === '/api/passkeys/verify') {
      const body = await readJson(req);
      return relay(
        res,
        await signet.webauthnRegistrationVerify({
          challengeId: text(body, 'challengeId', 64),
          response: body['response'],
        }),
      );
    }
    if (method === 'POST' && path === '/api/devices') {
      const body = await readJson(req);
      return relay(
        res,
        await signet.registerCredential(text(body, 'userId', 128), {
          type: 'device',
          publicKey: text(body, 'publicKey', 16384),
          deviceId: text(body, 'deviceId', 128),
          label: text(body, 'label', 128),
        }),
      );
    }
    if (method === 'POST' && path === '/api/wallets') {
      const body = await readJson(req);
      const proof = body['proof'];
      if (typeof proof !== 'object' || proof === null)
        throw new HttpError(
          400,
          'invalid_request',
          'proof is required (signet/browser proveEthereumWallet).',
        );
      // The page proved the wallet (a SIWE message over a challenge issued for this user); Signet
      // checks that proof, answers 200 when the user already holds the address, 409 when another
      // user does.
      return relay(
        res,
        await signet.registerWallet(text(body, 'userId', 128), {
          type: 'eth',
          address: text(body, 'address', 64),
          proof: proof as { challengeId: string; signature: string; message?: string },
        }),
      );
    }
    const creds = /^\/api\/users\/([^/]+)\/credentials$/.exec(path);
    if (method === 'GET' && creds)
      return relay(res, await signet.listCredentials(decodeURIComponent(creds[1]!)));
    if (method === 'POST' && path === '/api/session') {
      // What the app does with a login: check Signet's token (signature, issuer, audience, expiry)
      // before trusting its subject, then open its own session.
      const body = await readJson(req);
      const result = await tokens.verify(text(body, 'token', 8192));
      if (result.ok) return send(res, 200, { claims: result.claims });
      if (result.reason === 'signet_unavailable')
        throw new HttpError(502, 'upstream_error', 'The demo backend could not reach Signet.');
      throw new HttpError(401, 'unauthenticated', 'The token does not verify.');
    }
    throw new HttpError(404, 'not_found', 'Not found.');
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      const error =
        e instanceof HttpError
          ? e
          : new HttpError(502, 'upstream_error', 'The demo backend could not reach Signet.');
      if (!res.headersSent) send(res, error.status, { error: { code: error.code, message: error.message } });
      else res.end();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => done());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 3000);
  return {
    server,
    port,
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
