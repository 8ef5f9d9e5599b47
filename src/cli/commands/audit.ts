import { parseArgs } from 'node:util';
import { subcommandError, UsageError, type CliIo } from '../io.js';
import { openRuntime, storeOptions } from '../runtime.js';

export const auditUsage = `signet audit prune --older-than-days N [--db URL] [--json]
  Retention: deletes the audit records of every app older than N days (N >= 1). \`serve\` can do
  this hourly by itself with --audit-retention-days N (or SIGNET_AUDIT_RETENTION_DAYS).`;

const DAY_MS = 86_400_000;

/** Parses a retention in whole days (1-36500); `undefined` stays undefined. */
export function parseRetentionDays(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 36_500) {
    throw new UsageError(`${flag} must be a whole number of days, 1-36500`);
  }
  return Number(text);
}

/** The cut-off for a retention of `days` days at `now`. */
export function retentionCutoff(now: number, days: number): number {
  return now - days * DAY_MS;
}

/** `signet audit prune`: audit retention run by an operator (or cron). */
export async function runAudit(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'prune') throw subcommandError('audit', sub, ['prune']);
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: { ...storeOptions, 'older-than-days': { type: 'string' } },
  });
  const days = parseRetentionDays(values['older-than-days'], '--older-than-days');
  if (days === undefined) throw new UsageError('--older-than-days is required');
  const runtime = await openRuntime(values, io);
  try {
    const before = retentionCutoff(runtime.deps.clock(), days);
    const deleted = await runtime.deps.store.audit.prune(before);
    const data = { deleted, before: new Date(before).toISOString() };
    io.out(
      values.json ? JSON.stringify(data) : `deleted ${deleted} audit record(s) from before ${data.before}`,
    );
    return 0;
  } finally {
    await runtime.close();
  }
}
