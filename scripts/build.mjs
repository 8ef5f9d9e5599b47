#!/usr/bin/env node
// `npm run build`: dist/ from an empty folder (no stale files of deleted sources get packed), tsc
// over src with tsconfig.build.json (no source maps: the package does not ship src/), and the CLI
// entry made executable, so that `npx signet` in a checkout runs it as npm's bin links would.
import { chmodSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

rmSync('dist', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
chmodSync('dist/cli/main.js', 0o755);
