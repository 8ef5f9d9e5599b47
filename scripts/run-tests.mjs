#!/usr/bin/env node
// Runs every test file under test/ with Node's own test runner and tsx as the TypeScript loader.
// Node 20's `--test` takes no globs, so the files are listed here. Pass files or folders to run a subset.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...findTests(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const args = process.argv.slice(2);
const files = (args.length > 0 ? args : ['test'])
  .flatMap((a) => (statSync(a).isDirectory() ? findTests(a) : [a]))
  .map((f) => relative(process.cwd(), f))
  .sort();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
