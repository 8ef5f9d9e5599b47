// docs/screenshots is written by `npm run screenshots` only: no test writes there (so `npm test`
// leaves `git status` clean), every picture the script takes is referenced from the docs and
// exists, and no picture lies there that the script no longer takes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const REPO = new URL('../..', import.meta.url).pathname;

function files(dir: string, ext: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full, ext) : full.endsWith(ext) ? [full] : [];
  });
}

test('no test writes into docs/screenshots or takes a screenshot', () => {
  for (const file of files(join(REPO, 'test'), '.ts')) {
    if (file.endsWith('screenshots.test.ts')) continue;
    const source = readFileSync(file, 'utf8');
    assert.doesNotMatch(source, /docs\/screenshots|\.screenshot\(/, relative(REPO, file));
  }
});

test('the screenshots script takes exactly the pictures in docs/screenshots, each referenced from the docs', () => {
  const script = readFileSync(join(REPO, 'scripts/screenshots.ts'), 'utf8');
  const taken = [...script.matchAll(/join\(OUT, '([^']+\.png)'\)/g)].map((m) => m[1]!).sort();
  const present = readdirSync(join(REPO, 'docs/screenshots'))
    .filter((f) => f.endsWith('.png'))
    .sort();
  assert.deepEqual(present, taken);
  const docs = [
    ...files(join(REPO, 'docs'), '.md'),
    ...files(join(REPO, 'examples'), '.md'),
    join(REPO, 'README.md'),
  ]
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  for (const name of taken) {
    assert.ok(docs.includes(`screenshots/${name}`), `${name} is referenced from the docs`);
    assert.ok(existsSync(join(REPO, 'docs/screenshots', name)));
  }
});
