// Shell blocks a newcomer copies into a terminal run from a checkout, where `signet` is not on the
// PATH (npm links bins of dependencies, not of the package itself): every command line runs the
// CLI as `npx signet` (which also works where the package is installed), never bare `signet`.
// And each verb a block runs exists, with the flags it gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/runCli.js';
import { captureIo } from '../support/harness.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function markdownFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(ROOT, 'docs', f));
  const examples = readdirSync(join(ROOT, 'examples'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('README.md') && !f.includes('node_modules'))
    .map((f) => join(ROOT, 'examples', f));
  return [join(ROOT, 'README.md'), ...docs, ...examples];
}

/** The lines of ```sh blocks, with their line numbers; `\` continuations joined. */
function shellLines(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let inShell = false;
  let pending: { line: number; text: string } | null = null;
  markdown.split('\n').forEach((raw, i) => {
    if (raw.startsWith('```')) {
      inShell = !inShell && /^```(sh|bash|shell)\b/.test(raw);
      return;
    }
    if (!inShell) return;
    const text = pending ? `${pending.text} ${raw.trim()}` : raw;
    const entry = { line: pending?.line ?? i + 1, text };
    if (text.endsWith('\\')) pending = { ...entry, text: text.slice(0, -1) };
    else {
      pending = null;
      out.push(entry);
    }
  });
  return out;
}

/** `signet` run as a command: at the start of a line, after `$(`, `;`, `&&`, `|`, or env assignments. */
const BARE = /(?:^|\$\(|[;&|]\s*)\s*(?:[A-Z_]+=\S*\s+)*signet\s/;

test('shell blocks run the CLI as npx signet, never bare signet', () => {
  const bare: string[] = [];
  for (const file of markdownFiles()) {
    for (const { line, text } of shellLines(readFileSync(file, 'utf8'))) {
      if (text.trimStart().startsWith('#')) continue;
      if (BARE.test(text.replace(/npx signet/g, 'npx SIGNET')))
        bare.push(`${relative(ROOT, file)}:${line}: ${text.trim()}`);
    }
  }
  assert.deepEqual(bare, []);
});

test('every `npx signet VERB [COMMAND] --flag` in a shell block names a verb, command and flags the CLI has', async () => {
  const unknown: string[] = [];
  let checked = 0;
  for (const file of markdownFiles()) {
    for (const { line, text } of shellLines(readFileSync(file, 'utf8'))) {
      for (const m of text.matchAll(/npx signet ([a-z-]+)(?: ([a-z-]+))?([^|;)#]*)/g)) {
        const [verb, sub] = [m[1]!, m[2]];
        checked++;
        // `--help` of the verb lists its commands and flags: what the docs may use.
        const io = captureIo();
        assert.equal(
          await runCli([verb, '--help'], io),
          0,
          `${relative(ROOT, file)}:${line}: no verb '${verb}'`,
        );
        const usage = io.stderr();
        if (
          sub !== undefined &&
          !new RegExp(`signet ${verb} ${sub}\\b`).test(usage) &&
          !['serve', 'request', 'sign', 'verify'].includes(verb)
        )
          unknown.push(`${relative(ROOT, file)}:${line}: signet ${verb} ${sub}`);
        for (const flag of (m[3] ?? '').match(/(?<=\s)--[a-z][a-z0-9-]*/g) ?? [])
          if (!usage.includes(flag) && !(flag === '--db' || flag === '--redis' || flag === '--json'))
            unknown.push(`${relative(ROOT, file)}:${line}: signet ${verb} ${flag}`);
      }
    }
  }
  assert.deepEqual(unknown, []);
  assert.ok(checked >= 20, `only ${checked} commands found: is the block parser still right?`);
});
