/**
 * The admin console's page script (served as `<mount>/console.js`; runs in the browser, so no
 * Node modules here). Everything shown is written with `textContent` or SVG attributes, never
 * parsed as HTML: audit records carry user ids and IPs that an attacker chooses.
 */

interface AppView {
  appId: string;
  name: string;
  rpId: string | null;
  origins: string[];
  activeSecrets: number;
  createdAt: string;
}

interface CredentialView {
  id: string;
  type: string;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

interface AuditView {
  at: string;
  scheme: string;
  action: string;
  outcome: string;
  reason: string | null;
  userId: string | null;
  credentialId: string | null;
  ip: string | null;
}

interface SeriesView {
  scheme: string;
  outcome: 'success' | 'failure';
  counts: number[];
  total: number;
}

interface ChartView {
  from: number;
  to: number;
  bucketMs: number;
  series: SeriesView[];
  truncated: boolean;
}

// The script is served at `<mount>/console.js`, so `api/` resolves to `<mount>/api/`.
const API = new URL('api/', import.meta.url);
const SVG_NS = 'http://www.w3.org/2000/svg';

/** Scheme colours; a scheme not listed here takes the grey. */
const SCHEME_COLORS: Record<string, string> = {
  webauthn: '#1c7ed6',
  device: '#0ca678',
  eth: '#ae3ec9',
  eos: '#e8590c',
  mykey: '#c2255c',
  tiniapp: '#5c940d',
};
const colorOf = (scheme: string): string => SCHEME_COLORS[scheme] ?? '#868e96';
const hatchId = (scheme: string): string => `hatch-${scheme.replace(/[^A-Za-z0-9_-]/g, '_')}`;

let selectedApp: string | null = null;

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el as T;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(new URL(path, API), {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const json: unknown = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? 'error', error?.message ?? `HTTP ${response.status}`);
  }
  return json as T;
}

const when = (iso: string | null): string => (iso === null ? '—' : new Date(iso).toLocaleString());
const seg = (s: string): string => encodeURIComponent(s);

function row(cells: Array<string | Node>): HTMLTableRowElement {
  const tr = el('tr');
  for (const c of cells) {
    const td = el('td');
    if (typeof c === 'string') td.textContent = c;
    else td.append(c);
    tr.append(td);
  }
  return tr;
}

function mono(text: string): HTMLElement {
  return el('code', text);
}

function showLogin(message = ''): void {
  byId('login').hidden = false;
  byId('dashboard').hidden = true;
  byId('logout').hidden = true;
  byId('login-error').textContent = message;
  byId<HTMLInputElement>('token').focus();
}

async function showDashboard(): Promise<void> {
  byId('login').hidden = true;
  byId('dashboard').hidden = false;
  byId('logout').hidden = false;
  const { apps } = await api<{ apps: AppView[] }>('GET', 'apps');
  const body = byId<HTMLTableElement>('apps').tBodies[0]!;
  body.replaceChildren();
  for (const app of apps) {
    const tr = row([
      app.name,
      mono(app.appId),
      app.rpId ?? '—',
      app.origins.join(' ') || '—',
      String(app.activeSecrets),
      when(app.createdAt),
    ]);
    tr.className = 'clickable';
    tr.dataset['appId'] = app.appId;
    tr.addEventListener('click', () => void selectApp(app.appId, app.name));
    body.append(tr);
  }
  if (apps.length === 0) body.append(row(['No apps yet: create one with `signet app create`.']));
  const first = apps.find((a) => a.appId === selectedApp) ?? apps[0];
  if (first) await selectApp(first.appId, first.name);
}

async function selectApp(appId: string, name: string): Promise<void> {
  selectedApp = appId;
  for (const tr of Array.from(byId<HTMLTableElement>('apps').tBodies[0]!.rows)) {
    tr.classList.toggle('selected', tr.dataset['appId'] === appId);
  }
  byId('chart-app').textContent = `· ${name}`;
  byId('credentials').hidden = true;
  byId('user-message').textContent = '';
  await Promise.all([loadChart(), loadAudit()]);
}

async function loadChart(): Promise<void> {
  if (selectedApp === null) return;
  const hours = Number(byId<HTMLSelectElement>('period').value);
  const buckets = hours === 1 ? 12 : hours === 24 ? 24 : 28;
  const chart = await api<ChartView>(
    'GET',
    `apps/${seg(selectedApp)}/attempts?hours=${hours}&buckets=${buckets}`,
  );
  drawChart(chart);
}

/** Time label of a bucket start: a clock time within a day, a date beyond. */
function tickLabel(t: number, spanMs: number): string {
  const d = new Date(t);
  if (spanMs <= 24 * 3600_000) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toLocaleDateString([], { month: 'short', day: 'numeric', hour: '2-digit' });
}

/** A stacked bar per time bucket, one segment per (scheme, outcome); failures hatched. */
function drawChart(chart: ChartView): void {
  const width = 1080;
  const height = 260;
  const pad = { left: 44, right: 12, top: 12, bottom: 34 };
  const buckets = Math.round((chart.to - chart.from) / chart.bucketMs);
  const totals = new Array<number>(buckets).fill(0);
  for (const s of chart.series) s.counts.forEach((c, i) => (totals[i]! += c));
  const max = Math.max(1, ...totals);
  // A round top for the axis: 1, 2 or 5 times a power of ten.
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const top = [1, 2, 5, 10].map((m) => m * magnitude).find((v) => v >= max)!;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const slot = plotW / buckets;
  const barW = Math.max(2, slot * 0.72);
  const y = (v: number): number => pad.top + plotH - (v / top) * plotH;

  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'Verification attempts over time by scheme and outcome',
  });
  const defs = svg('defs', {});
  for (const scheme of new Set(chart.series.map((s) => s.scheme))) {
    const pattern = svg('pattern', {
      id: hatchId(scheme),
      patternUnits: 'userSpaceOnUse',
      width: 6,
      height: 6,
      patternTransform: 'rotate(45)',
    });
    pattern.append(svg('rect', { width: 6, height: 6, fill: colorOf(scheme), 'fill-opacity': 0.25 }));
    pattern.append(svg('line', { x1: 0, y1: 0, x2: 0, y2: 6, stroke: colorOf(scheme), 'stroke-width': 3 }));
    defs.append(pattern);
  }
  root.append(defs);

  for (const v of [0, top / 2, top]) {
    root.append(svg('line', { class: 'grid', x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v) }));
    root.append(
      svg(
        'text',
        { class: 'axis', x: pad.left - 6, y: y(v) + 4, 'text-anchor': 'end' },
        String(Math.round(v * 10) / 10),
      ),
    );
  }
  const every = Math.ceil(buckets / 8);
  for (let i = 0; i < buckets; i += every) {
    const t = chart.from + i * chart.bucketMs;
    root.append(
      svg(
        'text',
        { class: 'axis', x: pad.left + i * slot + slot / 2, y: height - 12, 'text-anchor': 'middle' },
        tickLabel(t, chart.to - chart.from),
      ),
    );
  }

  const bars = svg('g', { class: 'bars' });
  for (let i = 0; i < buckets; i++) {
    let base = 0;
    const x = pad.left + i * slot + (slot - barW) / 2;
    for (const s of chart.series) {
      const count = s.counts[i] ?? 0;
      if (count === 0) continue;
      const rect = svg('rect', {
        x: x.toFixed(1),
        y: y(base + count).toFixed(1),
        width: barW.toFixed(1),
        height: (y(base) - y(base + count)).toFixed(1),
        fill: s.outcome === 'success' ? colorOf(s.scheme) : `url(#${hatchId(s.scheme)})`,
        stroke: colorOf(s.scheme),
        'stroke-width': s.outcome === 'success' ? 0 : 1,
        'data-scheme': s.scheme,
        'data-outcome': s.outcome,
        'data-count': count,
        'data-bucket': i,
      });
      const from = new Date(chart.from + i * chart.bucketMs).toLocaleString();
      rect.append(svg('title', {}, `${s.scheme} ${s.outcome}: ${count} (from ${from})`));
      bars.append(rect);
      base += count;
    }
  }
  root.append(bars);
  root.append(svg('line', { class: 'grid', x1: pad.left, x2: pad.left, y1: pad.top, y2: pad.top + plotH }));
  if (chart.series.length === 0) {
    root.append(
      svg(
        'text',
        { class: 'axis', x: width / 2, y: height / 2, 'text-anchor': 'middle' },
        'No attempts in this period',
      ),
    );
  }
  byId('chart').replaceChildren(root);

  const legend = byId('legend');
  legend.replaceChildren();
  for (const s of chart.series) {
    const item = el('li');
    item.dataset['scheme'] = s.scheme;
    item.dataset['outcome'] = s.outcome;
    const swatch = svg('svg', { viewBox: '0 0 14 14' });
    swatch.append(
      svg('rect', {
        width: 14,
        height: 14,
        rx: 3,
        fill: s.outcome === 'success' ? colorOf(s.scheme) : `url(#${hatchId(s.scheme)})`,
        stroke: colorOf(s.scheme),
      }),
    );
    item.append(swatch, document.createTextNode(`${s.scheme} ${s.outcome} (${s.total})`));
    legend.append(item);
  }
  if (chart.truncated) legend.append(el('li', 'showing the newest 20 000 attempts of this period', 'muted'));
}

async function loadAudit(): Promise<void> {
  if (selectedApp === null) return;
  const userId = byId<HTMLInputElement>('audit-user').value.trim();
  const query = new URLSearchParams({ limit: '50', ...(userId ? { userId } : {}) });
  const { records } = await api<{ records: AuditView[] }>('GET', `apps/${seg(selectedApp)}/audit?${query}`);
  const body = byId<HTMLTableElement>('audit').tBodies[0]!;
  body.replaceChildren();
  for (const r of records) {
    const tr = row([
      when(r.at),
      r.scheme,
      r.action,
      r.outcome,
      r.reason ?? '',
      r.userId ?? '',
      r.credentialId ? mono(r.credentialId) : '',
      r.ip ?? '',
    ]);
    tr.cells[3]!.className = `outcome-${r.outcome}`;
    body.append(tr);
  }
  if (records.length === 0) body.append(row(['No attempts recorded.']));
}

async function loadCredentials(): Promise<void> {
  if (selectedApp === null) return;
  const userId = byId<HTMLInputElement>('user-id').value.trim();
  if (!userId) return;
  const appId = selectedApp;
  const { credentials } = await api<{ credentials: CredentialView[] }>(
    'GET',
    `apps/${seg(appId)}/users/${seg(userId)}/credentials`,
  );
  const table = byId<HTMLTableElement>('credentials');
  const body = table.tBodies[0]!;
  body.replaceChildren();
  byId('user-message').textContent =
    credentials.length === 0
      ? `${userId} has no credentials.`
      : `${credentials.length} credential(s) of ${userId}.`;
  table.hidden = credentials.length === 0;
  for (const c of credentials) {
    const revoke = el('button', 'Revoke', 'danger');
    revoke.type = 'button';
    revoke.dataset['credentialId'] = c.id;
    revoke.addEventListener('click', () => {
      if (!confirm(`Revoke ${c.type} credential ${c.id} of ${userId}?`)) return;
      void api('DELETE', `apps/${seg(appId)}/users/${seg(userId)}/credentials/${seg(c.id)}`)
        .then(() => Promise.all([loadCredentials(), loadAudit()]))
        .catch(report);
    });
    body.append(row([c.type, mono(c.id), c.label ?? '', when(c.createdAt), when(c.lastUsedAt), revoke]));
  }
}

function report(error: unknown): void {
  if (error instanceof ApiError && error.status === 401) {
    showLogin('Your session ended; sign in again.');
    return;
  }
  byId('user-message').textContent = error instanceof Error ? error.message : 'Something went wrong.';
}

async function start(): Promise<void> {
  byId('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('token');
    api('POST', 'session', { token: input.value })
      .then(() => {
        input.value = '';
        return showDashboard();
      })
      .catch((e: unknown) => {
        byId('login-error').textContent =
          e instanceof ApiError && e.code === 'rate_limited'
            ? 'Too many failed sign-ins; try again later.'
            : 'That is not the admin token.';
      });
  });
  byId('logout').addEventListener('click', () => {
    void api('DELETE', 'session').finally(() => showLogin());
  });
  byId('period').addEventListener('change', () => void loadChart().catch(report));
  byId('user-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void loadCredentials().catch(report);
  });
  byId('audit-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void loadAudit().catch(report);
  });
  try {
    await api('GET', 'session');
  } catch {
    showLogin();
    return;
  }
  await showDashboard().catch(report);
}

void start();

export {};
