// Runs `signet verify --batch -` on the real process streams, then prints the process's peak
// resident set (bytes) on stderr as `maxRss=N`: the memory test in verifyBatch.test.ts reads it.
import { runCli } from '../../src/cli/runCli.js';
import { processIo } from '../../src/cli/io.js';

const code = await runCli(['verify', '--batch', '-', ...process.argv.slice(2)], processIo());
process.stderr.write(`maxRss=${process.resourceUsage().maxRSS * 1024}\n`);
process.exitCode = code;
