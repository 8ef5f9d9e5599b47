import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

/**
 * An independent load generator (issue 13): autocannon, run as its own process, so the HTTP
 * figures do not rest on the project's own client alone. Usage:
 *
 *   node bench/http/autocannonRun.ts CONFIG.json
 *
 * CONFIG: `{ url, path, connections, bodies: string[] | bodiesFile, durationMs? }`. Each request
 * takes the next body in turn: with `durationMs` they cycle for that long (the ceiling, whose
 * route keeps no replay record); without it every body is sent exactly once (`/v1/verify`, whose
 * proofs are single-use). Prints one JSON line: requests, 2xx, non-2xx, errors, seconds, rate
 * (2xx per second over the whole run) and latency percentiles in ms.
 */
interface Config {
  url: string;
  path: string;
  connections: number;
  bodies?: string[];
  bodiesFile?: string;
  durationMs?: number;
}

const config = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as Config;
const bodies: string[] =
  config.bodies ?? (JSON.parse(readFileSync(config.bodiesFile as string, 'utf8')) as string[]);
let next = 0;
const result = await autocannon({
  url: config.url,
  connections: config.connections,
  ...(config.durationMs === undefined ? { amount: bodies.length } : { duration: config.durationMs / 1000 }),
  requests: [
    {
      method: 'POST',
      path: config.path,
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] as string }),
    },
  ],
});
const ok = result['2xx'];
process.stdout.write(
  `${JSON.stringify({
    requests: ok + result.non2xx,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    seconds: result.duration,
    rate: ok / result.duration,
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
  })}\n`,
);
