// docs/api.md is the contract in our words and /openapi.json its machine-readable form: both
// must list the same routes. Each route of the page is a heading `#### \`METHOD /path\``.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startHarness } from '../support/harness.js';

const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

/** Routes the page documents that the OpenAPI document leaves out on purpose. */
const NOT_IN_OPENAPI = new Set(['GET /metrics', 'GET /openapi.json', 'GET /docs']);

/**
 * Second-round routes of the contract that other branches add this round (tokens and discovery).
 * The page documents them already; the integrator empties this list as they land, and the test
 * below fails for any route that is here and served at the same time, so the list cannot go stale.
 */
const PENDING = new Set<string>([]);

function documentedRoutes(): string[] {
  return [...doc.matchAll(/^#### `(GET|POST|PUT|PATCH|DELETE) ([^`?\s]+)[^`]*`$/gm)].map(
    (m) => `${m[1]} ${m[2]}`,
  );
}

async function openapiRoutes(): Promise<{ routes: string[]; description: string }> {
  const h = await startHarness();
  try {
    const r = await h.call('GET', '/openapi.json');
    assert.equal(r.statusCode, 200);
    const spec = JSON.parse(r.body) as {
      info: { description: string };
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    return { routes, description: spec.info.description };
  } finally {
    await h.close();
  }
}

test('docs/api.md documents every route of /openapi.json, and nothing it does not serve', async () => {
  const documented = documentedRoutes();
  assert.ok(documented.length >= 20, `only ${documented.length} route headings found`);
  assert.equal(new Set(documented).size, documented.length, 'a route is documented twice');
  const { routes } = await openapiRoutes();
  const served = new Set(routes);
  const undocumented = routes.filter((r) => !documented.includes(r));
  assert.deepEqual(undocumented, [], 'routes in /openapi.json missing from docs/api.md');
  const unserved = documented.filter((r) => !served.has(r) && !NOT_IN_OPENAPI.has(r) && !PENDING.has(r));
  assert.deepEqual(unserved, [], 'routes in docs/api.md missing from /openapi.json');
  const landed = [...PENDING].filter((r) => served.has(r));
  assert.deepEqual(landed, [], 'these routes are served now: take them off PENDING');
  for (const r of NOT_IN_OPENAPI) assert.ok(documented.includes(r), r);
  for (const r of PENDING) assert.ok(documented.includes(r), r);
});

test('the OpenAPI description points at docs/api.md, not at a file outside the repository', async () => {
  const { description } = await openapiRoutes();
  assert.match(description, /docs\/api\.md/);
  assert.doesNotMatch(description, /CONTRACT/);
});

test('docs/api.md lists every error code of the table', async () => {
  const { ERROR_CODES } = await import('../../src/errors/codes.js');
  const section = doc.slice(doc.indexOf('## Errors'), doc.indexOf('## CLI'));
  for (const [code, { status }] of Object.entries(ERROR_CODES)) {
    if (code === 'internal_error') continue; // never expected; errors.md says so
    const row = section.split('\n').find((l) => l.startsWith(`| ${status} |`));
    assert.ok(row?.includes(`\`${code}\``), `${status} ${code}`);
  }
});

test('every operation in /openapi.json has a success response schema and the error shape', async () => {
  const h = await startHarness();
  try {
    const spec = JSON.parse((await h.call('GET', '/openapi.json')).body) as {
      paths: Record<string, Record<string, { responses?: Record<string, { content?: unknown }> }>>;
    };
    const missing: string[] = [];
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const responses = op.responses ?? {};
        const success = Object.entries(responses).find(([code]) => /^2/.test(code));
        const name = `${method.toUpperCase()} ${path}`;
        if (!success) missing.push(`${name}: no 2xx`);
        else if (success[0] !== '204' && !success[1].content)
          missing.push(`${name}: ${success[0]} without schema`);
        if (path !== '/healthz') {
          const error = JSON.stringify(responses['4XX'] ?? responses['4xx'] ?? null);
          if (!error.includes('"error"')) missing.push(`${name}: no 4xx error shape`);
        }
      }
    }
    assert.deepEqual(missing, []);
  } finally {
    await h.close();
  }
});
