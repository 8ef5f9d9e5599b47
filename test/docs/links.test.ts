// Every relative link in README.md and docs/ resolves inside the repository (CONTRACT.md
// "Packaging"): the file exists, it does not climb out of the checkout, and a #fragment names a
// heading of the target page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function markdownFiles(): string[] {
  const docs = join(ROOT, 'docs');
  const inDocs = readdirSync(docs, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(docs, f));
  const top = ['README.md', 'SECURITY.md', 'CHANGELOG.md', 'examples/demo-app/README.md']
    .map((f) => join(ROOT, f))
    .filter((f) => existsSync(f));
  return [...top, ...inDocs];
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6}\s+(.+)$/gm)) {
    out.add(
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    );
  }
  return out;
}

/** Inline links and images `[text](target)`, outside fenced code blocks and inline code. */
function links(markdown: string): string[] {
  const text = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!);
}

test('every relative link in README.md and docs/ resolves inside the repository', () => {
  const files = markdownFiles();
  assert.ok(files.length >= 8, `found ${files.length} markdown files`);
  const broken: string[] = [];
  let checked = 0;
  for (const file of files) {
    const from = relative(ROOT, file);
    for (const target of links(readFileSync(file, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
      checked++;
      const [path, fragment] = target.split('#') as [string, string | undefined];
      const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
      if (relative(ROOT, resolved).startsWith('..')) {
        broken.push(`${from}: ${target} leaves the repository`);
        continue;
      }
      if (!existsSync(resolved)) {
        broken.push(`${from}: ${target} does not exist`);
        continue;
      }
      if (fragment && statSync(resolved).isFile() && resolved.endsWith('.md')) {
        if (!anchors(readFileSync(resolved, 'utf8')).has(fragment))
          broken.push(`${from}: ${target} names no heading`);
      }
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked >= 10, `only ${checked} relative links checked`);
});

test('the link checker catches a link out of the repository and a missing file', () => {
  // The same rules on a page written to fail them.
  const page = '[a](../shared/CONTRACT.md) [b](docs/nope.md) `[c](ignored.md)`';
  const found = links(page);
  assert.deepEqual(found, ['../shared/CONTRACT.md', 'docs/nope.md']);
  assert.ok(relative(ROOT, resolve(ROOT, found[0]!)).startsWith('..'));
  assert.equal(existsSync(resolve(ROOT, found[1]!)), false);
});
