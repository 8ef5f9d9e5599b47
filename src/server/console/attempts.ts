import type { AuditRecord, AuditStore } from '../../store/types.js';

/** One line of the attempts chart: a scheme and an outcome, counted per time bucket. */
export interface AttemptSeries {
  scheme: string;
  outcome: 'success' | 'failure';
  /** Attempts per bucket, oldest first. */
  counts: number[];
  total: number;
}

/** The attempts chart's data: `buckets` equal spans from `from` (inclusive) to `to` (exclusive). */
export interface AttemptChart {
  from: number;
  to: number;
  bucketMs: number;
  series: AttemptSeries[];
  /** True when the window held more records than were read (the counts are then a lower bound). */
  truncated: boolean;
}

/** Audit records read at most per chart (20 pages of the store's 1000). */
export const MAX_CHART_RECORDS = 20_000;
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

/**
 * Counts records per (scheme, outcome) and time bucket. Series are ordered by scheme, success
 * before failure; records outside the window are ignored.
 *
 * @example
 * bucketAttempts(records, chartWindow(now, 3600_000, 12)).series[0] // { scheme: 'device', outcome: 'success', counts: [...] }
 */
export function bucketAttempts(
  records: Iterable<Pick<AuditRecord, 'at' | 'scheme' | 'outcome'>>,
  window: { from: number; to: number; bucketMs: number },
  truncated = false,
): AttemptChart {
  const buckets = Math.round((window.to - window.from) / window.bucketMs);
  const byKey = new Map<string, AttemptSeries>();
  for (const r of records) {
    if (r.at < window.from || r.at >= window.to) continue;
    const key = `${r.scheme}\u0000${r.outcome}`;
    let series = byKey.get(key);
    if (!series)
      byKey.set(
        key,
        (series = {
          scheme: r.scheme,
          outcome: r.outcome,
          counts: new Array<number>(buckets).fill(0),
          total: 0,
        }),
      );
    series.counts[Math.floor((r.at - window.from) / window.bucketMs)]! += 1;
    series.total += 1;
  }
  const series = [...byKey.values()].sort(
    (a, b) =>
      a.scheme.localeCompare(b.scheme) || (a.outcome === b.outcome ? 0 : a.outcome === 'success' ? -1 : 1),
  );
  return { ...window, series, truncated };
}

/**
 * Reads the app's audit records of a window, newest first, page by page through the store's
 * `before` cursor (exclusive): a full page is cut before its oldest millisecond, which the next
 * page reads whole, so records sharing a millisecond across pages are neither lost nor counted
 * twice. Stops at {@link MAX_CHART_RECORDS}.
 */
export async function collectAttempts(
  audit: AuditStore,
  appId: string,
  window: { from: number; to: number; bucketMs: number },
  maxRecords = MAX_CHART_RECORDS,
): Promise<AttemptChart> {
  const kept: AuditRecord[] = [];
  let before = window.to;
  let truncated = false;
  for (;;) {
    const page = await audit.list(appId, { limit: PAGE, before });
    const inWindow = page.filter((r) => r.at >= window.from);
    if (page.length < PAGE || inWindow.length < page.length) {
      kept.push(...inWindow);
      break;
    }
    const oldest = page[page.length - 1]!.at;
    const newer = page.filter((r) => r.at > oldest);
    // A page whose records all share one millisecond cannot be cut: take it and move past it.
    const take = newer.length > 0 ? newer : page;
    kept.push(...take);
    before = newer.length > 0 ? oldest + 1 : oldest;
    if (newer.length === 0) truncated = true;
    if (kept.length >= maxRecords) {
      truncated = true;
      break;
    }
  }
  return bucketAttempts(kept, window, truncated);
}
