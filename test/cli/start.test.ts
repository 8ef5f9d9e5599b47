// `npm start` as a newcomer runs it: the server it starts must stop when npm is stopped (SIGTERM
// from a process manager, SIGINT from Ctrl-C), not linger as an orphan holding the port.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../support/harness.js';
import { ROOT, withBuiltDist } from '../support/build.js';
import { findFreePort } from '../support/network.js';

/** Whether the port can be bound again (nobody holds it). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  describe(`npm start, then ${signal} to npm`, () => {
    test('the server stops and the port is released', { timeout: 120_000 }, async () => {
      const dir = tempDir();
      const port = await findFreePort();
      let group: number | undefined;
      try {
        const npm = await withBuiltDist(async () => {
          const child = spawn(
            'npm',
            ['start', '--silent', '--', '--port', String(port), '--db', `sqlite:${join(dir.dir, 's.db')}`],
            {
              cwd: ROOT,
              // Its own process group, so that the finally below can stop whatever is left of it
              // (an orphaned server stays in the group) even when the test fails.
              detached: true,
              env: {
                ...process.env,
                SIGNET_MASTER_KEY: 'test-master-key-0123456789abcdef',
                SIGNET_LOG_LEVEL: 'warn',
              },
            },
          );
          await new Promise<void>((resolve, reject) => {
            let err = '';
            child.stderr.on('data', (d) => {
              err += d;
              if (/listening on http/.test(err)) resolve();
            });
            child.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${err}`)));
          });
          return child;
        });
        group = npm.pid;
        assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
        assert.equal(await portIsFree(port), false, 'the server holds the port while it runs');

        const exited = new Promise<boolean>((resolve) => {
          npm.once('exit', () => resolve(true));
          setTimeout(() => resolve(false), 30_000).unref();
        });
        npm.kill(signal);
        assert.equal(await exited, true, `npm did not exit on ${signal}`);
        // The server closes its socket as it shuts down; poll (bounded) rather than time it.
        let free = false;
        for (let i = 0; i < 100 && !free; i++) {
          free = await portIsFree(port);
          if (!free) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(free, true, `port ${port} is still held after npm stopped: an orphaned server`);
        await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
      } finally {
        if (group !== undefined) {
          try {
            process.kill(-group, 'SIGKILL');
          } catch {
            // the group is gone: nothing was left behind
          }
        }
        dir.remove();
      }
    });
  });
}
