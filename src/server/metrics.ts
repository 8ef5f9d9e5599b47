/**
 * A small Prometheus registry: counters and one latency histogram, rendered in the text
 * exposition format (version 0.0.4). Labels are from fixed sets (route, method, status,
 * scheme, outcome), never user input, so the series count stays bounded.
 */
export interface Metrics {
  countRequest(route: string, method: string, status: number, seconds: number): void;
  countAttempt(scheme: string, outcome: 'success' | 'failure', reason: string | null): void;
  render(): string;
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

function labels(l: Record<string, string | number>): string {
  return Object.entries(l)
    .map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, '_')}"`)
    .join(',');
}

export function createMetrics(): Metrics {
  const requests = new Map<string, number>();
  const attempts = new Map<string, number>();
  const hist = new Map<string, { buckets: number[]; sum: number; count: number }>();
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  // Label strings are built once per route, method and status (not per request).
  const requestLabels = new Map<string, string>();
  const routeLabels = new Map<string, string>();
  return {
    countRequest(route, method, status, seconds) {
      const id = `${route}\u0000${method}\u0000${status}`;
      let l = requestLabels.get(id);
      if (l === undefined) requestLabels.set(id, (l = labels({ route, method, status })));
      inc(requests, l);
      let key = routeLabels.get(route);
      if (key === undefined) routeLabels.set(route, (key = labels({ route })));
      let h = hist.get(key);
      if (!h) hist.set(key, (h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
      for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.buckets[i]! += 1;
      h.sum += seconds;
      h.count += 1;
    },
    countAttempt(scheme, outcome, reason) {
      inc(attempts, labels({ scheme, outcome, reason: reason ?? 'none' }));
    },
    render() {
      const out: string[] = [
        '# HELP signet_http_requests_total HTTP requests by route, method and status.',
        '# TYPE signet_http_requests_total counter',
        ...[...requests].map(([l, v]) => `signet_http_requests_total{${l}} ${v}`),
        '# HELP signet_verifications_total Verification attempts by scheme, outcome and reason.',
        '# TYPE signet_verifications_total counter',
        ...[...attempts].map(([l, v]) => `signet_verifications_total{${l}} ${v}`),
        '# HELP signet_http_request_duration_seconds Request latency by route.',
        '# TYPE signet_http_request_duration_seconds histogram',
      ];
      for (const [l, h] of hist) {
        BUCKETS.forEach((b, i) =>
          out.push(`signet_http_request_duration_seconds_bucket{${l},le="${b}"} ${h.buckets[i]}`),
        );
        out.push(`signet_http_request_duration_seconds_bucket{${l},le="+Inf"} ${h.count}`);
        out.push(`signet_http_request_duration_seconds_sum{${l}} ${h.sum}`);
        out.push(`signet_http_request_duration_seconds_count{${l}} ${h.count}`);
      }
      return out.join('\n') + '\n';
    },
  };
}
