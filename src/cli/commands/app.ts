import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkMetadataSource } from '../../core/passkeyPolicy.js';
import {
  createApp,
  describeApp,
  normalizeOrigin,
  rotateAppSecret,
  updateApp,
  type AppPatch,
} from '../../core/apps.js';
import { normalizeWebhookUrl, setAppWebhook, type WebhookChange } from '../../core/appWebhooks.js';
import type { AppSettings } from '../../store/types.js';
import { isSignetError, SignetError } from '../../errors/SignetError.js';
import { sqlitePath } from '../../store/openStore.js';
import { subcommandError, UsageError, type CliIo } from '../io.js';
import { openRuntime, storeOptions } from '../runtime.js';

export const appUsage = `signet app create --name NAME [--origin URL]... [--rp-id ID] [--client-challenges] [--require-uv]
                  [--no-require-wallet-proof] [--eth-rpc URL] [--json] [passkey flags of app set]
signet app list [--json]
signet app rotate-secret APPID [--json]
signet app set APPID [--name N] [--origin URL]... [--add-origin URL]... [--rp-id ID] [--chain-api URL|none]
               [--eth-rpc URL|none]
               [--client-challenges | --no-client-challenges] [--require-uv | --no-require-uv]
               [--require-wallet-proof | --no-require-wallet-proof] [--eth-chain-id N]... [--token-ttl SEC]
               [--refresh-ttl SEC] [--challenge-ttl MS] [--skew MS]
               [--lockout-max N] [--lockout-window MS] [--drop-old-secret]
               [--attestation none|indirect|direct|enterprise] [--attestation-root FILE.pem|none]...
               [--aaguid-allow UUID|none]... [--aaguid-deny UUID|none]... [--fido-mds FILE|URL|none]
               [--webhook-url URL|none] [--rotate-webhook-secret] [--drop-old-webhook-secret]
               [--http-signature-key PEM|FILE|none] [--json]
  All take --db and --redis (same as serve). create and rotate-secret print the secret once; so do
  --webhook-url (its first URL) and --rotate-webhook-secret, for the whsec_ webhook secret.
  --http-signature-key registers the Ed25519 public key (SPKI PEM, or a file holding it) that
  signs the app's server-API calls with RFC 9421 alg "ed25519"; none removes it.`;

const settingOptions = {
  name: { type: 'string' },
  origin: { type: 'string', multiple: true },
  'add-origin': { type: 'string', multiple: true },
  'rp-id': { type: 'string' },
  'chain-api': { type: 'string' },
  'eth-rpc': { type: 'string' },
  'client-challenges': { type: 'boolean' },
  'no-client-challenges': { type: 'boolean' },
  'require-uv': { type: 'boolean' },
  'no-require-uv': { type: 'boolean' },
  'require-wallet-proof': { type: 'boolean' },
  'no-require-wallet-proof': { type: 'boolean' },
  'eth-chain-id': { type: 'string', multiple: true },
  'token-ttl': { type: 'string' },
  'refresh-ttl': { type: 'string' },
  'challenge-ttl': { type: 'string' },
  skew: { type: 'string' },
  'lockout-max': { type: 'string' },
  'lockout-window': { type: 'string' },
  'drop-old-secret': { type: 'boolean' },
  attestation: { type: 'string' },
  'attestation-root': { type: 'string', multiple: true },
  'aaguid-allow': { type: 'string', multiple: true },
  'aaguid-deny': { type: 'string', multiple: true },
  'fido-mds': { type: 'string' },
  'webhook-url': { type: 'string' },
  'rotate-webhook-secret': { type: 'boolean' },
  'drop-old-webhook-secret': { type: 'boolean' },
  'http-signature-key': { type: 'string' },
} as const;

function integer(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text)) throw new UsageError(`--${flag} must be a whole number`);
  return Number(text);
}

/** An http(s) URL flag, checked before the store is opened. */
function httpUrl(flag: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--${flag} '${text.slice(0, 100)}' is not a URL (e.g. https://eos.greymass.com)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`--${flag} must be an http:// or https:// URL`);
  return text;
}

type Values = {
  [K in keyof typeof settingOptions]?: (typeof settingOptions)[K] extends { multiple: true }
    ? string[]
    : (typeof settingOptions)[K]['type'] extends 'boolean'
      ? boolean
      : string;
};

/** A PEM given inline (it starts with `-----BEGIN`) or as the path of a file holding it. */
function readPemArgument(value: string): string {
  if (value.trimStart().startsWith('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8').slice(0, 4096);
  } catch {
    throw new UsageError(
      `--http-signature-key: '${value.slice(0, 200)}' is neither a PEM nor a readable file`,
    );
  }
}

function settingsFrom(v: Values): Partial<AppSettings> {
  const s: Partial<AppSettings> = {};
  const set = <K extends keyof AppSettings>(k: K, value: AppSettings[K] | undefined) => {
    if (value !== undefined) s[k] = value;
  };
  if (v['client-challenges']) s.clientChallenges = true;
  if (v['no-client-challenges']) s.clientChallenges = false;
  if (v['require-uv']) s.requireUserVerification = true;
  if (v['no-require-uv']) s.requireUserVerification = false;
  if (v['require-wallet-proof'] && v['no-require-wallet-proof'])
    throw new UsageError('give one of --require-wallet-proof and --no-require-wallet-proof');
  if (v['require-wallet-proof']) s.requireWalletProof = true;
  if (v['no-require-wallet-proof']) s.requireWalletProof = false;
  if (v['chain-api'] !== undefined)
    s.chainApi = v['chain-api'] === 'none' ? null : httpUrl('chain-api', v['chain-api']);
  if (v['eth-rpc'] !== undefined)
    s.ethRpc = v['eth-rpc'] === 'none' ? null : httpUrl('eth-rpc', v['eth-rpc']);
  if (v['eth-chain-id']) s.ethChainIds = v['eth-chain-id'].map((x) => integer('eth-chain-id', x) as number);
  set('tokenTtlSec', integer('token-ttl', v['token-ttl']));
  set('refreshTtlSec', integer('refresh-ttl', v['refresh-ttl']));
  set('challengeTtlMs', integer('challenge-ttl', v['challenge-ttl']));
  set('skewMs', integer('skew', v.skew));
  set('lockoutMaxFailures', integer('lockout-max', v['lockout-max']));
  set('lockoutWindowMs', integer('lockout-window', v['lockout-window']));
  Object.assign(s, passkeySettingsFrom(v));
  const key = v['http-signature-key'];
  if (key !== undefined) s.httpSignatureKey = key === 'none' ? null : readPemArgument(key);
  return s;
}

/** Enterprise passkeys (docs/passkeys.md); `none` empties a list. Roots are read from PEM files. */
function passkeySettingsFrom(v: Values): Partial<AppSettings> {
  const s: Partial<AppSettings> = {};
  const list = (xs: string[] | undefined) => (xs === undefined ? undefined : xs.filter((x) => x !== 'none'));
  if (v.attestation !== undefined) s.attestation = v.attestation as NonNullable<AppSettings['attestation']>;
  const roots = list(v['attestation-root']);
  if (roots) s.attestationRoots = roots.map((file) => readPemFile(file));
  const allow = list(v['aaguid-allow']);
  if (allow) s.aaguidAllow = allow.map((a) => a.toLowerCase());
  const deny = list(v['aaguid-deny']);
  if (deny) s.aaguidDeny = deny.map((a) => a.toLowerCase());
  if (v['fido-mds'] !== undefined)
    s.fidoMds =
      v['fido-mds'] === 'none'
        ? null
        : /^https?:/i.test(v['fido-mds'])
          ? v['fido-mds']
          : resolve(v['fido-mds']);
  return s;
}

function readPemFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`--attestation-root: cannot read ${file}`);
  }
}

/** The webhook flags of `app set`, or null when none was given. */
function webhookChange(v: Values): WebhookChange | null {
  const change: WebhookChange = {};
  // Checked before any write, so a bad URL leaves the app as it was.
  if (v['webhook-url'] !== undefined)
    change.url = v['webhook-url'] === 'none' ? null : normalizeWebhookUrl(v['webhook-url']);
  if (v['rotate-webhook-secret']) change.rotate = true;
  if (v['drop-old-webhook-secret']) change.dropOld = true;
  if (change.rotate && change.dropOld)
    throw new UsageError('give one of --rotate-webhook-secret and --drop-old-webhook-secret');
  return Object.keys(change).length === 0 ? null : change;
}

/** `signet app ...`: apps are created and changed by operators on the store directly. */
const APP_COMMANDS = ['create', 'list', 'rotate-secret', 'set'] as const;

export async function runApp(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (!(APP_COMMANDS as readonly (string | undefined)[]).includes(sub))
    throw subcommandError('app', sub, APP_COMMANDS);
  const { values, positionals } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: { ...storeOptions, ...settingOptions },
  });
  // Flags are checked before the store is opened: a mistake leaves no database or key file.
  const settings = settingsFrom(values);
  for (const origin of [...(values.origin ?? []), ...(values['add-origin'] ?? [])]) normalizeOrigin(origin);
  if (sub === 'create' && !values.name) throw new UsageError('--name is required');
  if ((sub === 'rotate-secret' || sub === 'set') && !positionals[0])
    throw new UsageError('APPID is required');
  // `--name My app` unquoted, `$APP` holding JSON: a word nobody asked for is a mistake, not ignored.
  const extra = positionals.slice(sub === 'rotate-secret' || sub === 'set' ? 1 : 0);
  if (extra.length > 0)
    throw new UsageError(
      `unexpected argument '${extra[0]!.slice(0, 100)}'${sub === 'create' ? ' (quote a name with spaces: --name "My app")' : ''}`,
    );
  const runtime = await openRuntime(values, io);
  try {
    const print = (data: Record<string, unknown>, human: string) =>
      io.out(values.json ? JSON.stringify(data) : human);
    switch (sub) {
      case 'create': {
        if (!values.name) throw new UsageError('--name is required');
        const settings = settingsFrom(values);
        if (settings.fidoMds) await checkMetadataSource(runtime.deps, settings.fidoMds);
        const { app, secret } = await createApp(runtime.deps, {
          name: values.name,
          origins: values.origin ?? [],
          rpId: values['rp-id'] ?? null,
          settings,
        });
        print(
          { ...describeApp(app), secret },
          `appId:  ${app.id}\nsecret: ${secret}\n(the secret is shown once; Signet keeps it sealed)`,
        );
        return 0;
      }
      case 'list': {
        const apps = (await runtime.deps.store.apps.list()).map(describeApp);
        print(
          { apps },
          apps.length === 0
            ? '(no apps)'
            : apps.map((a) => `${a.appId}  ${a.name}  ${(a.origins as string[]).join(' ')}`).join('\n'),
        );
        return 0;
      }
      case 'rotate-secret': {
        const appId = positionals[0];
        if (!appId) throw new UsageError('APPID is required');
        const { app, secret } = await rotateAppSecret(runtime.deps, appId);
        print(
          { ...describeApp(app), secret },
          `appId:  ${app.id}\nsecret: ${secret}\n(the previous secret stays valid until the next rotation or 'app set --drop-old-secret')`,
        );
        return 0;
      }
      case 'set': {
        const appId = positionals[0];
        if (!appId) throw new UsageError('APPID is required');
        const hook = webhookChange(values);
        const patch: AppPatch = { settings };
        if (patch.settings?.fidoMds) await checkMetadataSource(runtime.deps, patch.settings.fidoMds);
        if (values.name) patch.name = values.name;
        if (values.origin) patch.origins = values.origin;
        if (values['add-origin']) patch.addOrigins = values['add-origin'];
        if (values['rp-id'] !== undefined) patch.rpId = values['rp-id'] === 'none' ? null : values['rp-id'];
        if (values['drop-old-secret']) patch.dropOldSecret = true;
        let app = await updateApp(runtime.deps, appId, patch);
        const { webhookSecret } = hook
          ? await setAppWebhook(runtime.deps, appId, hook)
          : { webhookSecret: null };
        if (hook) app = (await runtime.deps.store.apps.get(appId)) ?? app;
        const shown = { ...describeApp(app), ...(webhookSecret === null ? {} : { webhookSecret }) };
        print(
          shown,
          JSON.stringify(describeApp(app), null, 2) +
            (webhookSecret === null
              ? ''
              : `\nwebhookSecret: ${webhookSecret}\n(the webhook secret is shown once; Signet keeps it sealed${hook?.rotate ? '; the previous one keeps signing until --drop-old-webhook-secret' : ''})`),
        );
        return 0;
      }
      default:
        throw subcommandError('app', sub, APP_COMMANDS);
    }
  } catch (e) {
    // A mistyped APPID, or a --db (or working directory) other than the server's.
    if (isSignetError(e, 'not_found') && positionals[0] !== undefined)
      throw new SignetError(
        'not_found',
        `no app '${positionals[0].slice(0, 100)}' in ${describeDatabase(runtime.config.databaseUrl)}; \`npx signet app list\` (with the same --db) shows the apps there`,
      );
    throw e;
  } finally {
    await runtime.close();
  }
}

/** The database a verb used, for a message: the SQLite file's full path, or Postgres' host and database. */
function describeDatabase(databaseUrl: string): string {
  const path = sqlitePath(databaseUrl);
  if (path !== null) return path === ':memory:' ? 'the in-memory database' : resolve(path);
  try {
    const url = new URL(databaseUrl);
    return `the Postgres database ${url.pathname.replace(/^\//, '') || 'postgres'} at ${url.hostname}:${url.port || 5432}`;
  } catch {
    return 'the database';
  }
}
