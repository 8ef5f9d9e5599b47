import { parseArgs } from 'node:util';
import { createApp, describeApp, rotateAppSecret, updateApp, type AppPatch } from '../../core/apps.js';
import type { AppSettings } from '../../store/types.js';
import { UsageError, type CliIo } from '../io.js';
import { openRuntime, storeOptions } from '../runtime.js';

export const appUsage = `signet app create --name NAME [--origin URL]... [--rp-id ID] [--client-challenges] [--require-uv]
                  [--no-require-wallet-proof] [--eth-rpc URL] [--json]
signet app list [--json]
signet app rotate-secret APPID [--json]
signet app set APPID [--name N] [--origin URL]... [--add-origin URL]... [--rp-id ID] [--chain-api URL|none]
               [--eth-rpc URL|none]
               [--client-challenges | --no-client-challenges] [--require-uv | --no-require-uv]
               [--require-wallet-proof | --no-require-wallet-proof] [--eth-chain-id N]... [--token-ttl SEC]
               [--refresh-ttl SEC] [--challenge-ttl MS] [--skew MS]
               [--lockout-max N] [--lockout-window MS] [--drop-old-secret] [--json]
  All take --db (same as serve). create and rotate-secret print the secret once.`;

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
} as const;

function integer(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text)) throw new UsageError(`--${flag} must be a whole number`);
  return Number(text);
}

type Values = {
  [K in keyof typeof settingOptions]?: (typeof settingOptions)[K] extends { multiple: true }
    ? string[]
    : (typeof settingOptions)[K]['type'] extends 'boolean'
      ? boolean
      : string;
};

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
  if (v['chain-api'] !== undefined) s.chainApi = v['chain-api'] === 'none' ? null : v['chain-api'];
  if (v['eth-rpc'] !== undefined) s.ethRpc = v['eth-rpc'] === 'none' ? null : v['eth-rpc'];
  if (v['eth-chain-id']) s.ethChainIds = v['eth-chain-id'].map((x) => integer('eth-chain-id', x) as number);
  set('tokenTtlSec', integer('token-ttl', v['token-ttl']));
  set('refreshTtlSec', integer('refresh-ttl', v['refresh-ttl']));
  set('challengeTtlMs', integer('challenge-ttl', v['challenge-ttl']));
  set('skewMs', integer('skew', v.skew));
  set('lockoutMaxFailures', integer('lockout-max', v['lockout-max']));
  set('lockoutWindowMs', integer('lockout-window', v['lockout-window']));
  return s;
}

/** `signet app ...`: apps are created and changed by operators on the store directly. */
export async function runApp(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    strict: true,
    allowPositionals: true,
    options: { ...storeOptions, ...settingOptions },
  });
  const runtime = await openRuntime(values, io);
  try {
    const print = (data: Record<string, unknown>, human: string) =>
      io.out(values.json ? JSON.stringify(data) : human);
    switch (sub) {
      case 'create': {
        if (!values.name) throw new UsageError('--name is required');
        const { app, secret } = await createApp(runtime.deps, {
          name: values.name,
          origins: values.origin ?? [],
          rpId: values['rp-id'] ?? null,
          settings: settingsFrom(values),
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
        const patch: AppPatch = { settings: settingsFrom(values) };
        if (values.name) patch.name = values.name;
        if (values.origin) patch.origins = values.origin;
        if (values['add-origin']) patch.addOrigins = values['add-origin'];
        if (values['rp-id'] !== undefined) patch.rpId = values['rp-id'] === 'none' ? null : values['rp-id'];
        if (values['drop-old-secret']) patch.dropOldSecret = true;
        const app = await updateApp(runtime.deps, appId, patch);
        print(describeApp(app), JSON.stringify(describeApp(app), null, 2));
        return 0;
      }
      default:
        throw new UsageError(`unknown app command '${sub ?? ''}'`);
    }
  } finally {
    await runtime.close();
  }
}
