import Database from 'better-sqlite3';

/**
 * Per-statement SQLite timings for any Signet process: preload it and every better-sqlite3
 * statement's `run` / `get` / `all` is timed; the slowest statements are printed at exit.
 *
 *   node --import tsx --import ./bench/probes/sqlStats.ts bench/probes/verifyProfile.ts
 */
interface Stat {
  calls: number;
  us: number;
}

const stats = new Map<string, Stat>();
type Statement = Record<'run' | 'get' | 'all', (...args: unknown[]) => unknown>;
const proto = Database.prototype as unknown as { prepare: (sql: string) => Statement };
const prepare = proto.prepare;

proto.prepare = function timedPrepare(this: unknown, sql: string): Statement {
  const statement = prepare.call(this, sql);
  const key = sql.replace(/\s+/g, ' ').slice(0, 100);
  for (const method of ['run', 'get', 'all'] as const) {
    const original = statement[method].bind(statement);
    statement[method] = (...args: unknown[]) => {
      const start = performance.now();
      try {
        return original(...args);
      } finally {
        const s = stats.get(`${method} ${key}`) ?? { calls: 0, us: 0 };
        s.calls++;
        s.us += (performance.now() - start) * 1000;
        stats.set(`${method} ${key}`, s);
      }
    };
  }
  return statement;
};

process.on('exit', () => {
  process.stdout.write('\nSQLite statements (calls, mean µs, statement):\n');
  for (const [key, s] of [...stats].sort((a, b) => b[1].us - a[1].us).slice(0, 15)) {
    process.stdout.write(
      `${String(s.calls).padStart(7)} ${(s.us / s.calls).toFixed(1).padStart(8)} µs  ${key}\n`,
    );
  }
});
