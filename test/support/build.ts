import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const LOCK = `${ROOT}dist.build-lock`;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Builds `dist/` (`npm run build`: tsc over src) for the tests that run what a user runs (`npm
 * start`, the packed tarball), then runs `use` while still holding the build lock. Test files run
 * two at a time, so build and use happen under a lock directory (mkdir is atomic): no test reads
 * `dist/` while another rewrites it, and each sees a `dist/` of the current sources.
 */
export async function withBuiltDist<T>(use: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock left by a killed run is older than any build takes.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 300_000) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      await sleep(200);
    }
  }
  try {
    const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run build failed: ${r.stdout}${r.stderr}`);
    return await use();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
