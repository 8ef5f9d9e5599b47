import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRuntime, type Runtime } from '../../src/cli/runtime.js';
import type { CliIo } from '../../src/cli/io.js';

/**
 * The probes' Signet: the very runtime `signet serve` builds (store, sealer, pooled random
 * source, clock), on a SQLite file in a fresh temp directory, so a probe measures what the
 * server runs. `remove()` closes the store and deletes the directory.
 */
export async function openProbeRuntime(): Promise<Runtime & { dir: string; remove(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-probe-'));
  const io: CliIo = {
    out: () => {},
    err: () => {},
    readStdin: async () => '',
    env: { SIGNET_ISSUER: 'http://127.0.0.1:8080' },
  };
  const runtime = await openRuntime({ db: `sqlite:${join(dir, 'signet.db')}` }, io);
  return {
    ...runtime,
    dir,
    remove: async () => {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
