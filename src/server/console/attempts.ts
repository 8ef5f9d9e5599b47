import type { AuditRecord, AuditStore } from '../../store/types.js';

/**
 * What an audit action counts as in the console: every way of logging in (`login`, the MYKEY
 * callback and SDK check), registrations (`register`, wallets with their proofs included) apart
 * from them, session events (`refresh`, `logout`, `revoke`: docs/tokens.md), server-API
 * authentication (`server_api`, Tiniapp and RFC 9421 `http-signature`), and anything unknown as
 * `other`.
 */
export type AttemptKind = 'login' | 'registration' | 'session' | 'server_api' | 'other';

/** The audit actions of each kind but `other` (`mykey_*` actions are logins too). */
export const ACTION_KINDS: Readonly<Record<string, Exclude<AttemptKind, 'other'>>> = {
  login: 'login',
  mykey_callback: 'login',
  mykey_verify: 'login',
  register: 'registration',
  refresh: 'session',
  logout: 'session',
  revoke: 'session',
  server_api: 'server_api',
};

/** The chart group of an audit action. */
export function attemptKind(action: string): AttemptKind {
  if (Object.hasOwn(ACTION_KINDS, action)) return ACTION_KINDS[action]!;
  if (action.startsWith('mykey_')) return 'login';
  return 'other';
}

const KIND_ORDER: Record<AttemptKind, number> = {
  login: 0,
  registration: 1,
  session: 2,
  server_api: 3,
  other: 4,
};

/** One bar segment of the chart: a kind, a scheme and an outcome, counted per time bucket. */
export interface AttemptSeries {
  kind: AttemptKind;
  scheme: string;
  outcome: 'success' | 'failure';
  /** Attempts per bucket, oldest first. */
  counts: number[];
  total: number;
}

/** Attempts and failures of one kind over the window. */
export interface KindSummary {
  kind: AttemptKind;
  attempts: number;
  failures: number;
  /** failures / attempts, 0 when there were none (rounded to 4 decimals). */
  failureRate: number;
}

/** A failure reason and how often it was recorded in the window. */
export interface ReasonCount {
  reason: string;
  count: number;
}

/** The attempts chart's data: `buckets` equal spans from `from` (inclusive) to `to` (exclusive). */
export interface AttemptChart {
  from: number;
  to: number;
  bucketMs: number;
  series: AttemptSeries[];
  /** One entry per kind seen, in the order login, registration, session, server_api, other. */
  summary: KindSummary[];
  /** The most frequent failure reasons, most frequent first (at most {@link TOP_REASONS}). */
  reasons: ReasonCount[];
  /** True when the window held more records than were read (the counts are then a lower bound). */
  truncated: boolean;
}

/** Audit records read at most per chart (20 pages of the store's 1000). */
export const MAX_CHART_RECORDS = 20_000;
/** Failure reasons listed at most. */
export const TOP_REASONS = 8;
const PAGE = 1000;

/**
 * The window of a chart ending now: `buckets` spans of `spanMs / buckets`, the last one holding
 * `now`, aligned to the bucket size so that a refresh keeps the bars where they were.
 *
 * @example
 * chartWindow(Date.now(), 24 * 3600_000, 24) // hourly buckets over the last day
 */
export function chartWindow(
  now: number,
  spanMs: number,
  buckets: number,
): { from: number; to: number; bucketMs: number } {
  if (!Number.isSafeInteger(buckets) || buckets < 1)
    throw new RangeError('buckets must be a positive integer');
  const bucketMs = Math.max(1, Math.floor(spanMs / buckets));
  const to = (Math.floor(now / bucketMs) + 1) * bucketMs;
  return { from: to - buckets * bucketMs, to, bucketMs };
}

const rate = (failures: number, attempts: number): number =>
  attempts === 0 ? 0 : Math.round((failures / attempts) * 10_000) / 10_000;

/**
 * Counts records per (kind, scheme, outcome) and time bucket, sums failures per kind and counts
 * failure reasons. Series are ordered by kind, scheme, success before failure; records outside
 * the window are ignored.
 *
 * @example
 * bucketAttempts(records, chartWindow(now, 3600_000, 12)).summary // [{ kind: 'login', attempts: 40, failures: 3, failureRate: 0.075 }]
 */
export function bucketAttempts(
  records: Iterable<Pick<AuditRecord, 'at' | 'scheme' | 'action' | 'outcome' | 'reason'>>,
  window: { from: number; to: number; bucketMs: number },
  truncated = false,
): AttemptChart {
  const buckets = Math.round((window.to - window.from) / window.bucketMs);
  const byKey = new Map<string, AttemptSeries>();
  const byKind = new Map<AttemptKind, KindSummary>();
  const reasons = new Map<string, number>();
  for (const r of records) {
    if (r.at < window.from || r.at >= window.to) continue;
    const kind = attemptKind(r.action);
    const key = `${kind}\u0000${r.scheme}\u0000${r.outcome}`;
    let series = byKey.get(key);
    if (!series) {
      series = {
        kind,
        scheme: r.scheme,
        outcome: r.outcome,
        counts: new Array<number>(buckets).fill(0),
        total: 0,
      };
      byKey.set(key, series);
    }
    series.counts[Math.floor((r.at - window.from) / window.bucketMs)]! += 1;
    series.total += 1;
    let summary = byKind.get(kind);
    if (!summary) byKind.set(kind, (summary = { kind, attempts: 0, failures: 0, failureRate: 0 }));
    summary.attempts += 1;
    if (r.outcome === 'failure') {
      summary.failures += 1;
      const reason = r.reason ?? 'unknown';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  }
  const series = [...byKey.values()].sort(
    (a, b) =>
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      a.scheme.localeCompare(b.scheme) ||
      (a.outcome === b.outcome ? 0 : a.outcome === 'success' ? -1 : 1),
  );
  const summary = [...byKind.values()]
    .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind])
    .map((s) => ({ ...s, failureRate: rate(s.failures, s.attempts) }));
  const top = [...reasons.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, TOP_REASONS)
    .map(([reason, count]) => ({ reason, count }));
  return { ...window, series, summary, reasons: top, truncated };
}

/**
 * Reads the app's audit records of a window, newest first, page by page through the store's
 * keyset cursor (so records sharing a millisecond across a page edge are read once), and buckets
 * them. Stops at `maxRecords` ({@link MAX_CHART_RECORDS}), then says `truncated`.
 */
export async function collectAttempts(
  audit: AuditStore,
  appId: string,
  window: { from: number; to: number; bucketMs: number },
  maxRecords = MAX_CHART_RECORDS,
): Promise<AttemptChart> {
  const kept: AuditRecord[] = [];
  let after: { at: number; id: string } | undefined;
  let truncated = false;
  for (;;) {
    const page = await audit.list(appId, { limit: PAGE, before: window.to, ...(after ? { after } : {}) });
    const inWindow = page.filter((r) => r.at >= window.from);
    kept.push(...inWindow);
    if (page.length < PAGE || inWindow.length < page.length) break;
    if (kept.length >= maxRecords) {
      truncated = true;
      break;
    }
    const last = page[page.length - 1]!;
    after = { at: last.at, id: last.id };
  }
  return bucketAttempts(kept.slice(0, maxRecords), window, truncated);
}
