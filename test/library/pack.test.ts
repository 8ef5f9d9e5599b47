// The package as a consumer gets it: `npm pack` makes the tarball, a temp consumer project gets
// it unpacked into its node_modules, and importing `signet-auth/verify` there loads nothing of
// Fastify, pg, ioredis or better-sqlite3.
//
// Offline by design (CI has no registry): instead of `npm install <tarball>`, the tarball is
// unpacked as node_modules/signet-auth and each of its declared `dependencies` (and only those)
// is a symlink to the repository's installed copy. Node resolves a symlinked package to its real
// path, so the dependencies' own dependencies come from the repository's node_modules as they
// would from an install; a module the package needs but does not declare fails to resolve.
import { before, after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/harness.js';
import { ROOT, withBuiltDist } from '../support/build.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
};

/** Node modules whose loading means "the server, a database driver or Redis". */
const HEAVY = ['fastify', 'pg', 'ioredis', 'better-sqlite3'];

// Run inside the consumer: records every module URL the ESM loader resolves (a resolve hook on
// its own thread, posting back) and every CommonJS module in require.cache (the four packages
// above are CommonJS, loaded through the CJS loader even from `import`), then prints the package
// directories seen under node_modules.
const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  port.postMessage(result.url);
  return result;
}
`;
const PROBE = `
import { register, createRequire } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const urls = [];
port1.on('message', (url) => urls.push(url));
register('./hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });
const entry = process.argv[2];
const mod = await import(entry);
if (process.argv[3]) {
  // Use it, not only load it: a device signature verified through the entry.
  const { generateKeyPairSync, sign } = await import('node:crypto');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = mod.parseDevicePublicKey(publicKey.export({ format: 'pem', type: 'spki' }));
  const msg = new TextEncoder().encode('challenge');
  const ok = key.ok && mod.verifyDeviceSignature(key.value, msg, sign('sha256', msg, privateKey)).ok;
  if (!ok) throw new Error('the verifier did not verify');
}
await new Promise((r) => setTimeout(r, 50)); // let the hook thread's last messages arrive
const files = [...urls.filter((u) => u.startsWith('file:')).map((u) => new URL(u).pathname),
  ...Object.keys(createRequire(import.meta.url).cache)];
const packages = new Set();
for (const f of files) {
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f.slice(f.lastIndexOf('node_modules/')));
  if (m) packages.add(m[1]);
}
console.log(JSON.stringify({ exports: Object.keys(mod).length, packages: [...packages].sort() }));
port1.close();
`;

describe('the packed tarball in a consumer project', () => {
  let dir: ReturnType<typeof tempDir>;
  let consumer: string;
  let files: string[];

  before(async () => {
    dir = tempDir();
    const packed = await withBuiltDist(async () =>
      spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir.dir], {
        cwd: ROOT,
        encoding: 'utf8',
      }),
    );
    assert.equal(packed.status, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    files = info.files.map((f) => f.path);
    consumer = join(dir.dir, 'consumer');
    mkdirSync(join(consumer, 'node_modules'), { recursive: true });
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module' }));
    const untar = spawnSync('tar', ['-xzf', join(dir.dir, info.filename), '-C', dir.dir]);
    assert.equal(untar.status, 0, String(untar.stderr));
    renameSync(join(dir.dir, 'package'), join(consumer, 'node_modules', pkg.name));
    for (const dep of Object.keys(pkg.dependencies)) {
      const target = join(consumer, 'node_modules', dep);
      mkdirSync(join(target, '..'), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', dep), target, 'dir');
    }
    writeFileSync(join(consumer, 'hooks.mjs'), HOOKS);
    writeFileSync(join(consumer, 'probe.mjs'), PROBE);
  });
  after(() => dir?.remove());

  function probe(entry: string, use = false): { exports: number; packages: string[] } {
    const r = spawnSync(process.execPath, ['probe.mjs', entry, ...(use ? ['use'] : [])], {
      cwd: consumer,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  }

  test('ships the build, LICENSE, SECURITY.md, CHANGELOG.md; no source maps, no sources, no tests', () => {
    for (const f of [
      'dist/verify.js',
      'dist/client/index.js',
      'dist/server/index.js',
      'dist/browser/index.js',
    ]) {
      assert.ok(files.includes(f), f);
    }
    for (const f of [
      'LICENSE',
      'SECURITY.md',
      'CHANGELOG.md',
      'README.md',
      'package.json',
      pkg.bin['signet']!,
    ]) {
      assert.ok(files.includes(f), f);
    }
    assert.deepEqual(
      files.filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/')),
      [],
    );
  });

  test('signet-auth/verify verifies a signature without loading Fastify, pg, ioredis or better-sqlite3', () => {
    const seen = probe(`${pkg.name}/verify`, true);
    assert.ok(seen.exports > 20, 'the verify entry exports the schemes');
    assert.ok(seen.packages.includes(pkg.name), 'the probe sees the package itself');
    assert.ok(seen.packages.includes('@noble/curves'), 'the probe sees the verifiers’ dependencies');
    assert.deepEqual(
      seen.packages.filter((p) => HEAVY.includes(p)),
      [],
    );
  });

  test('the root entry and signet-auth/client are as light as documented', () => {
    for (const entry of [pkg.name, `${pkg.name}/client`]) {
      assert.deepEqual(
        probe(entry).packages.filter((p) => HEAVY.includes(p)),
        [],
        entry,
      );
    }
  });

  test('the probe can fail: signet-auth/server is seen loading all four', () => {
    const seen = probe(`${pkg.name}/server`);
    assert.deepEqual(seen.packages.filter((p) => HEAVY.includes(p)).sort(), [...HEAVY].sort());
  });

  test('the installed bin runs: signet --version prints the package version', () => {
    const r = spawnSync(
      process.execPath,
      [join(consumer, 'node_modules', pkg.name, pkg.bin['signet']!), '--version'],
      {
        cwd: consumer,
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  });
});
