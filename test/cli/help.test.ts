// `signet VERB --help` is what a newcomer reads before guessing: it must name every flag the verb
// takes and, for serve, every SIGNET_* variable it reads (each also in README's Configuration).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/runCli.js';
import { captureIo } from '../support/harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERBS = ['serve', 'app', 'keys', 'audit', 'request', 'device', 'sign', 'verify'];

async function help(verb: string): Promise<string> {
  const io = captureIo();
  assert.equal(await runCli([verb, '--help'], io), 0, verb);
  assert.equal(io.stdout(), '', `${verb} --help prints on stderr`);
  return io.stderr();
}

/** The option names a verb's parseArgs table declares (`'name': { type: ... }`). */
function declaredOptions(verb: string): string[] {
  const source = readFileSync(join(ROOT, 'src/cli/commands', `${verb}.ts`), 'utf8');
  return [...source.matchAll(/^\s+'?([a-z][a-z0-9-]*)'?: \{ type: '(?:string|boolean)'/gm)].map((m) => m[1]!);
}

test('every verb’s --help names each flag it declares', async () => {
  const missing: string[] = [];
  let checked = 0;
  for (const verb of VERBS) {
    const usage = await help(verb);
    for (const option of declaredOptions(verb)) {
      checked++;
      // --json is a no-op on verify (its output is always JSON lines).
      if (verb === 'verify' && option === 'json') continue;
      if (!usage.includes(`--${option}`)) missing.push(`signet ${verb} --${option}`);
    }
    // Verbs on the store also take --db (storeOptions), and say so.
    if (['app', 'keys', 'audit'].includes(verb) && !usage.includes('--db'))
      missing.push(`signet ${verb} --db`);
  }
  assert.deepEqual(missing, []);
  assert.ok(checked >= 40, `only ${checked} options found: is the table parser still right?`);
});

test('serve --help and README name every SIGNET_* variable serve reads', async () => {
  const usage = await help('serve');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const sources = ['commands/serve.ts', 'config.ts', 'serveOptions.ts', 'runtime.ts'].map((f) =>
    readFileSync(join(ROOT, 'src/cli', f), 'utf8'),
  );
  const read = new Set(
    sources.flatMap((s) => [...s.matchAll(/env\['(SIGNET_[A-Z_]+)'\]/g)].map((m) => m[1]!)),
  );
  assert.ok(read.size >= 12, [...read].join(' '));
  assert.deepEqual(
    [...read].filter((v) => !usage.includes(v)),
    [],
    'missing from serve --help',
  );
  assert.deepEqual(
    [...read].filter((v) => !readme.includes(`\`${v}\``)),
    [],
    'missing from README',
  );
});

test('verify --help lists every scheme that verifies offline', async () => {
  const usage = await help('verify');
  const { findScheme } = await import('../../src/schemes/registry.js');
  for (const name of ['device', 'eos', 'eth', 'tiniapp', 'http-signature', 'webauthn']) {
    const offline = findScheme(name)?.verifyOffline != null;
    assert.equal(usage.includes(`"${name}"`), offline, `${name}: offline ${offline}`);
  }
});
