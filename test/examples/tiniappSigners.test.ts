// examples/tiniapp-signers: the Python and Go signers reproduce the contract's two vectors byte
// for byte, agree with Signet's verifier on bodies and paths chosen to be awkward (non-ASCII,
// spaces, percent-escapes), and sign requests that a real listening Signet accepts (and refuses
// with a wrong secret). The Go half skips, saying so, only when `go` is not installed; the Python
// half never skips.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/core/apps.js';
import { verifyTiniappRequest } from '../../src/schemes/tiniapp/index.js';
import { createTestDeps, startLiveServer, type LiveServer } from '../support/liveServer.js';

const DIR = new URL('../../examples/tiniapp-signers/', import.meta.url).pathname;
const CLIENT = 'RLCKb7Ae9kx4DXtXsCWjnDXtggFnM43W';
const SECRET = 'EhjGcsUUuRSJTHiYPbW5fxzyaKEx0JuAZIKRQ4HnIfNFidB2kMg6locQbTIEz3Vf';
const TS = 1620621619569;
const VECTORS = [
  {
    args: ['--body', '{"id":123}'],
    payload: `${TS}.${CLIENT}.{"id":123}`,
    encoded: 'MTYyMDYyMTYxOTU2OS5STENLYjdBZTlreDREWHRYc0NXam5EWHRnZ0ZuTTQzVy57ImlkIjoxMjN9',
    signature: '8ebd092b9df2cf90e8ccbcab2ba87ee14f2abb25eb8f18b4d7286d42adcd45c2',
  },
  {
    args: ['--path', '/order?location=H%C3%A0%20N%E1%BB%99i&order_id=88062110977884170'],
    payload: `${TS}.${CLIENT}./order?location=H%C3%A0%20N%E1%BB%99i&order_id=88062110977884170`,
    encoded:
      'MTYyMDYyMTYxOTU2OS5STENLYjdBZTlreDREWHRYc0NXam5EWHRnZ0ZuTTQzVy4vb3JkZXI_bG9jYXRpb249SCVDMyVBMCUyME4lRTElQkIlOTlpJm9yZGVyX2lkPTg4MDYyMTEwOTc3ODg0MTcw',
    signature: 'e1e0d63f7f8296dd31b2c082e611351a6c41a3bc0309a9299832f70b693722c8',
  },
];
/** Bodies and paths to cross-check against Signet's verifier. */
const AWKWARD = [
  ['--body', '{"note":"Hà Nội — 東京 🚀","n":[1,2.5,null]}'],
  ['--body', '{"id":123}  \n'],
  ['--path', '/v1/users/b%C3%A0%20o/credentials'],
  ['--path', '/v1/audit?userId=a%26b&limit=5'],
];

type Signed = { payload: string; encodedPayload: string; signature: string; headers: Record<string, string> };

interface Signer {
  name: string;
  available(): string | null;
  /** The command line of the signer with `args`. */
  command(args: string[]): [string, string[]];
}

/** Synchronous, for offline signing. */
function runSync(signer: Signer, args: string[]) {
  const [file, argv] = signer.command(args);
  return spawnSync(file, argv, { encoding: 'utf8' });
}

/** Asynchronous: the Signet it talks to runs in this process and must keep answering. */
function runAsync(
  signer: Signer,
  args: string[],
): Promise<{ status: number; stdout: string; stderr: string }> {
  const [file, argv] = signer.command(args);
  return new Promise((resolve) => {
    execFile(file, argv, { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? Number((error as { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr }),
    );
  });
}

const goCache = mkdtempSync(join(tmpdir(), 'signet-go-'));
const goEnv = {
  ...process.env,
  GOCACHE: join(goCache, 'cache'),
  GOPATH: join(goCache, 'path'),
  GOFLAGS: '-mod=mod',
};
let goBinary: string | null = null;

const signers: Signer[] = [
  {
    name: 'python',
    // Python 3 is part of the machine (.ci/run): a missing python3 fails, it never skips.
    available: () => null,
    command: (args) => ['python3', [join(DIR, 'python/tiniapp_signer.py'), ...args]],
  },
  {
    name: 'go',
    available: () =>
      spawnSync('go', ['version']).status === 0 ? null : '`go` is not installed (apt-get install golang-go)',
    command: (args) => {
      if (goBinary === null) {
        goBinary = join(goCache, 'tiniapp-signer');
        const built = spawnSync('go', ['build', '-o', goBinary, '.'], {
          cwd: join(DIR, 'go'),
          env: goEnv,
          encoding: 'utf8',
        });
        assert.equal(built.status, 0, built.stderr);
      }
      // The Go flag package takes -name; the Python CLI --name. Same words.
      return [goBinary, args.map((a) => (a.startsWith('--') ? a.slice(1) : a))];
    },
  },
];

let signet: LiveServer;
let url: string;
let appId: string;
let secret: string;

before(async () => {
  const deps = createTestDeps();
  ({
    app: { id: appId },
    secret,
  } = await createApp(deps, { name: 'signers' }));
  signet = await startLiveServer({ deps });
  url = signet.url;
});

after(async () => {
  await signet?.close();
  rmSync(goCache, { recursive: true, force: true });
});

for (const signer of signers) {
  const missing = signer.available();
  describe(`the ${signer.name} Tiniapp signer`, { skip: missing ?? false }, () => {
    const sign = (args: string[]): Signed => {
      const r = runSync(signer, [
        '--client-id',
        CLIENT,
        '--secret',
        SECRET,
        '--timestamp',
        String(TS),
        ...args,
      ]);
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as Signed;
    };

    test("reproduces the contract's two vectors byte for byte", () => {
      for (const v of VECTORS) {
        const s = sign(v.args);
        assert.equal(s.payload, v.payload);
        assert.equal(s.encodedPayload, v.encoded);
        assert.equal(s.signature, v.signature);
        assert.deepEqual(s.headers, {
          'X-Tiniapp-Timestamp': String(TS),
          'X-Tiniapp-Client-Id': CLIENT,
          'X-Tiniapp-Signature': v.signature,
        });
      }
    });

    test("agrees with Signet's verifier on awkward bodies and paths", async () => {
      for (const args of AWKWARD) {
        const s = sign(args);
        const [kind, value] = args as [string, string];
        const verdict = await verifyTiniappRequest({
          headers: Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k.toLowerCase(), v])),
          ...(kind === '--body' ? { body: new TextEncoder().encode(value) } : { path: value }),
          secrets: [SECRET],
          now: TS,
          skewMs: 300_000,
        });
        assert.deepEqual(verdict, { ok: true, clientId: CLIENT, timestamp: TS }, value);
        // And a signature over one byte more does not verify.
        const tampered = await verifyTiniappRequest({
          headers: Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k.toLowerCase(), v])),
          ...(kind === '--body' ? { body: new TextEncoder().encode(`${value} `) } : { path: `${value}x` }),
          secrets: [SECRET],
          now: TS,
          skewMs: 300_000,
        });
        assert.equal(tampered.ok, false);
      }
    });

    test('signs requests that a real Signet accepts, and a wrong secret is refused', async () => {
      const send = async (args: string[], key = secret) => {
        const r = await runAsync(signer, ['--client-id', appId, '--secret', key, ...args]);
        assert.equal(r.status, 0, r.stderr);
        return JSON.parse(r.stdout) as { status: number; body: any };
      };
      const userId = `${signer.name}-user`;
      const publicKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .publicKey.export({ format: 'der', type: 'spki' })
        .toString('base64');
      const created = await send([
        '--url',
        `${url}/v1/users/${userId}/credentials`,
        '--body',
        JSON.stringify({ type: 'device', publicKey, label: `from ${signer.name} ✓` }),
      ]);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.label, `from ${signer.name} ✓`);
      const listed = await send(['--url', `${url}/v1/users/${userId}/credentials?x=a%20b`]);
      assert.equal(listed.status, 200, JSON.stringify(listed.body));
      assert.equal(listed.body.credentials.length, 1);
      const removed = await send([
        '--url',
        `${url}/v1/users/${userId}/credentials/${created.body.id}`,
        '--method',
        'DELETE',
      ]);
      assert.equal(removed.status, 204);
      const wrong = await send(['--url', `${url}/v1/users/${userId}/credentials`], 'x'.repeat(64));
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'unauthenticated');
    });
  });
}
