#!/usr/bin/env node
import { checkNodeVersion } from './nodeVersion.js';

// Checked before the CLI loads (hence the dynamic imports): on an older Node.js one of its
// imports could fail first, with a message that names neither Node.js nor the fix.
const tooOld = checkNodeVersion(process.versions.node);
if (tooOld !== null) {
  if (process.argv.includes('--json'))
    process.stdout.write(`${JSON.stringify({ error: { code: 'unsupported_node', message: tooOld } })}\n`);
  process.stderr.write(`signet: unsupported_node: ${tooOld}\n`);
  process.exitCode = 1;
} else {
  const { runCli } = await import('./runCli.js');
  const { processIo } = await import('./io.js');
  process.exitCode = await runCli(process.argv.slice(2), processIo());
}
