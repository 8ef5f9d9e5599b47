/**
 * The admin console's page script (served as `<mount>/console.js`; runs in the browser, so no
 * Node modules here). Everything shown is written with `textContent` or SVG attributes, never
 * parsed as HTML: audit records carry user ids and IPs that an attacker chooses.
 */

interface AppSettingsView {
  challengeTtlMs: number;
  skewMs: number;
  tokenTtlSec: number;
  lockoutMaxFailures: number;
  lockoutWindowMs: number;
  clientChallenges: boolean;
  requireUserVerification: boolean;
  requireWalletProof?: boolean;
  refreshTtlSec?: number;
  ethChainIds?: number[];
  attestation?: string;
  httpSignatureKey?: string | null;
  /** Scheme, host and port only (the console's API cuts the rest off). */
  ethRpc?: string | null;
  webhookUrl?: string | null;
  [other: string]: unknown;
}

interface AppView {
  appId: string;
  name: string;
  rpId: string | null;
  origins: string[];
  settings: AppSettingsView;
  activeSecrets: number;
  activeWebhookSecrets?: number;
  createdAt: string;
}

interface SessionView {
  id: string;
  userId: string;
  credentialId: string | null;
  amr: string;
  createdAt: string;
  expiresAt: string;
  refreshedAt: string | null;
}

interface DeadLetterView {
  id: string;
  type: string;
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  deadAt: string | null;
  lastError: string | null;
  payload: string;
}

interface CredentialView {
  id: string;
  type: string;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
}

interface AuditView {
  id: string;
  at: string;
  scheme: string;
  action: string;
  outcome: string;
  reason: string | null;
  userId: string | null;
  credentialId: string | null;
  ip: string | null;
}

type Kind = 'login' | 'registration' | 'session' | 'server_api' | 'other';

interface SeriesView {
  kind: Kind;
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
  summary: Array<{ kind: Kind; attempts: number; failures: number; failureRate: number }>;
  reasons: Array<{ reason: string; count: number }>;
  truncated: boolean;
}

interface Vocabulary {
  schemes: string[];
  actions: string[];
  reasons: string[];
}

// The script is served at `<mount>/console.js`, so `api/` resolves to `<mount>/api/`.
const API = new URL('api/', import.meta.url);
const SVG_NS = 'http://www.w3.org/2000/svg';
const AUDIT_PAGE = 50;

/** Scheme colours; a scheme not listed here takes the grey. */
const SCHEME_COLORS: Record<string, string> = {
  webauthn: '#1c7ed6',
  device: '#0ca678',
  eth: '#ae3ec9',
  eos: '#e8590c',
  mykey: '#c2255c',
  tiniapp: '#5c940d',
  'http-signature': '#1098ad',
};
const KIND_TITLES: Record<Kind, string> = {
  login: 'Logins',
  registration: 'Registrations',
  session: 'Sessions (refresh, sign-out, revoke)',
  server_api: 'Server API',
  other: 'Other',
};
const colorOf = (scheme: string): string => SCHEME_COLORS[scheme] ?? '#868e96';
const hatchId = (kind: string, scheme: string): string =>
  `hatch-${kind}-${scheme.replace(/[^A-Za-z0-9_-]/g, '_')}`;

let apps: AppView[] = [];
let selectedApp: string | null = null;
let auditCursor: string | null = null;
let lastChart: ChartView | null = null;

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
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: reported by status below
  }
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? 'error', error?.message ?? `HTTP ${response.status}`);
  }
  return json as T;
}

const when = (iso: string | null): string => (iso === null ? '—' : new Date(iso).toLocaleString());
const seg = (s: string): string => encodeURIComponent(s);
const percent = (rate: number): string => `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;

/** A table row; `labels` name the cells for the stacked (phone) layout. */
function row(cells: Array<string | Node>, labels: string[] = []): HTMLTableRowElement {
  const tr = el('tr');
  cells.forEach((c, i) => {
    const td = el('td');
    if (labels[i]) td.dataset['label'] = labels[i];
    if (typeof c === 'string') td.textContent = c;
    else td.append(c);
    tr.append(td);
  });
  return tr;
}

function emptyRow(text: string, span: number): HTMLTableRowElement {
  const tr = el('tr');
  const td = el('td', text, 'empty muted');
  td.colSpan = span;
  tr.append(td);
  return tr;
}

const headers = (table: HTMLTableElement): string[] =>
  Array.from(table.tHead?.rows[0]?.cells ?? []).map((c) => c.textContent ?? '');

function mono(text: string): HTMLElement {
  return el('code', text);
}

function showLogin(message = ''): void {
  byId('login').hidden = false;
  byId('dashboard').hidden = true;
  byId('logout').hidden = true;
  byId('app-pick').hidden = true;
  byId('login-error').textContent = message;
  byId<HTMLInputElement>('token').focus();
}

function fillSelect(select: HTMLSelectElement, values: string[]): void {
  const keep = select.value;
  select.replaceChildren(el('option', 'any'));
  select.options[0]!.value = '';
  for (const v of values) {
    const option = el('option', v);
    option.value = v;
    select.append(option);
  }
  select.value = values.includes(keep) ? keep : '';
}

async function showDashboard(): Promise<void> {
  byId('login').hidden = true;
  byId('dashboard').hidden = false;
  byId('logout').hidden = false;
  const vocabulary = await api<Vocabulary>('GET', 'vocabulary');
  fillSelect(byId('audit-scheme'), vocabulary.schemes);
  fillSelect(byId('audit-action'), vocabulary.actions);
  fillSelect(byId('audit-reason'), vocabulary.reasons);
  await loadApps();
}

async function loadApps(select?: string): Promise<void> {
  ({ apps } = await api<{ apps: AppView[] }>('GET', 'apps'));
  const table = byId<HTMLTableElement>('apps');
  const labels = headers(table);
  const body = table.tBodies[0]!;
  body.replaceChildren();
  const picker = byId<HTMLSelectElement>('app-select');
  picker.replaceChildren();
  for (const app of apps) {
    const tr = row(
      [
        app.name,
        mono(app.appId),
        app.rpId ?? '—',
        app.origins.join(' ') || '—',
        String(app.activeSecrets),
        when(app.createdAt),
      ],
      labels,
    );
    tr.className = 'clickable';
    tr.dataset['appId'] = app.appId;
    tr.addEventListener('click', () => void selectApp(app.appId).catch(report));
    body.append(tr);
    const option = el('option', app.name);
    option.value = app.appId;
    picker.append(option);
  }
  byId('app-pick').hidden = apps.length === 0;
  if (apps.length === 0) body.append(emptyRow('No apps yet: create one with “New app”.', 6));
  const first = apps.find((a) => a.appId === (select ?? selectedApp)) ?? apps[0];
  if (first) await selectApp(first.appId);
}

async function selectApp(appId: string): Promise<void> {
  const app = apps.find((a) => a.appId === appId);
  if (!app) return;
  selectedApp = appId;
  for (const tr of Array.from(byId<HTMLTableElement>('apps').tBodies[0]!.rows)) {
    tr.classList.toggle('selected', tr.dataset['appId'] === appId);
  }
  byId<HTMLSelectElement>('app-select').value = appId;
  byId('chart-app').textContent = `· ${app.name}`;
  byId('settings-app').textContent = `· ${app.name}`;
  byId('webhooks-app').textContent = `· ${app.name}`;
  byId('credentials').hidden = true;
  byId('sessions-box').hidden = true;
  byId('user-message').textContent = '';
  byId('settings-message').textContent = '';
  fillSettings(app);
  await Promise.all([loadChart(), loadAudit(), loadDeadLetters()]);
}

// --- Settings --------------------------------------------------------------------------------

const NUMBER_SETTINGS = [
  'tokenTtlSec',
  'refreshTtlSec',
  'challengeTtlMs',
  'skewMs',
  'lockoutMaxFailures',
  'lockoutWindowMs',
] as const;
/** The refresh-token lifetime of an app that sets none (src/core/sessions.ts, docs/tokens.md). */
const DEFAULT_REFRESH_TTL_SEC = 30 * 86_400;
const FLAG_SETTINGS = ['clientChallenges', 'requireUserVerification', 'requireWalletProof'] as const;

/** Chain ids as typed: numbers separated by commas or spaces. A word that is no number is sent
 * as it is, and the server refuses it (`invalid_request`) as `signet app set` would. */
function chainIds(text: string): unknown[] {
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((w) => (/^[0-9]{1,16}$/.test(w) ? Number(w) : w));
}

function field<T extends HTMLInputElement | HTMLTextAreaElement>(form: HTMLFormElement, name: string): T {
  const found = form.elements.namedItem(name);
  if (!found) throw new Error(`field ${name} missing`);
  return found as T;
}

const originLines = (text: string): string[] =>
  text
    .split(/\s+/)
    .map((s) => s.trim())
    .filter(Boolean);

function fillSettings(app: AppView): void {
  const form = byId<HTMLFormElement>('settings-form');
  field(form, 'name').value = app.name;
  field(form, 'rpId').value = app.rpId ?? '';
  field(form, 'origins').value = app.origins.join('\n');
  // An app stored before refresh tokens has no refreshTtlSec: sessions then last the default.
  for (const k of NUMBER_SETTINGS)
    field(form, k).value = String(app.settings[k] ?? (k === 'refreshTtlSec' ? DEFAULT_REFRESH_TTL_SEC : ''));
  for (const k of FLAG_SETTINGS) field<HTMLInputElement>(form, k).checked = app.settings[k] === true;
  field(form, 'ethChainIds').value = (app.settings.ethChainIds ?? []).join(', ');
  byId('end-rotation').hidden = app.activeSecrets < 2;
  // Read-only: set with `signet app set`; key material and secrets are never shown.
  const s = app.settings;
  byId('ro-attestation').textContent = s.attestation ?? 'none';
  byId('ro-httpsig').textContent =
    typeof s.httpSignatureKey === 'string' && s.httpSignatureKey !== '' ? 'registered' : 'none';
  byId('ro-eth-rpc').replaceChildren(s.ethRpc ? mono(s.ethRpc) : document.createTextNode('none'));
  byId('ro-webhook-url').replaceChildren(
    s.webhookUrl ? mono(s.webhookUrl) : document.createTextNode('none (webhooks off)'),
  );
  const n = app.activeWebhookSecrets ?? 0;
  byId('ro-webhook-secrets').textContent =
    n === 0 ? 'none' : `${n} active${n > 1 ? ' (a rotation is under way)' : ''}; never shown here`;
}

async function saveSettings(): Promise<void> {
  if (selectedApp === null) return;
  const form = byId<HTMLFormElement>('settings-form');
  const settings: Record<string, unknown> = {};
  for (const k of NUMBER_SETTINGS) settings[k] = Number(field(form, k).value);
  for (const k of FLAG_SETTINGS) settings[k] = field<HTMLInputElement>(form, k).checked;
  settings['ethChainIds'] = chainIds(field(form, 'ethChainIds').value);
  const rpId = field(form, 'rpId').value.trim();
  const { app } = await api<{ app: AppView }>('PATCH', `apps/${seg(selectedApp)}`, {
    name: field(form, 'name').value.trim(),
    origins: originLines(field(form, 'origins').value),
    rpId: rpId === '' ? null : rpId,
    settings,
  });
  await loadApps(app.appId);
  byId('settings-message').textContent = `Saved at ${new Date().toLocaleTimeString()}.`;
}

function showSecret(appId: string, secret: string): void {
  byId('secret-app-id').textContent = appId;
  byId('secret-value').textContent = secret;
  byId('secret-box').hidden = false;
  byId('secret-box').scrollIntoView({ block: 'nearest' });
}

function hideSecret(): void {
  byId('secret-value').textContent = '';
  byId('secret-app-id').textContent = '';
  byId('secret-box').hidden = true;
}

async function createApp(): Promise<void> {
  const form = byId<HTMLFormElement>('app-create-form');
  const rpId = field(form, 'rpId').value.trim();
  const settings: Record<string, unknown> = {
    requireWalletProof: field<HTMLInputElement>(form, 'requireWalletProof').checked,
    ethChainIds: chainIds(field(form, 'ethChainIds').value),
  };
  const refreshTtl = field(form, 'refreshTtlSec').value.trim();
  if (refreshTtl !== '') settings['refreshTtlSec'] = Number(refreshTtl);
  const { app, secret } = await api<{ app: AppView; secret: string }>('POST', 'apps', {
    name: field(form, 'name').value.trim(),
    origins: originLines(field(form, 'origins').value),
    ...(rpId ? { rpId } : {}),
    settings,
  });
  form.reset();
  form.hidden = true;
  await loadApps(app.appId);
  showSecret(app.appId, secret);
}

async function rotateSecret(): Promise<void> {
  if (selectedApp === null) return;
  const app = apps.find((a) => a.appId === selectedApp);
  if (
    !confirm(
      `Rotate the secret of ${app?.name ?? selectedApp}? The old one keeps working until you retire it.`,
    )
  )
    return;
  const { app: rotated, secret } = await api<{ app: AppView; secret: string }>(
    'POST',
    `apps/${seg(selectedApp)}/secrets`,
  );
  await loadApps(rotated.appId);
  showSecret(rotated.appId, secret);
}

async function endRotation(): Promise<void> {
  if (selectedApp === null) return;
  if (!confirm('Retire the old secret? Requests signed with it will be refused.')) return;
  const { app } = await api<{ app: AppView }>('PATCH', `apps/${seg(selectedApp)}`, { dropOldSecret: true });
  await loadApps(app.appId);
  byId('settings-message').textContent = 'The old secret is retired.';
}

// --- Chart -----------------------------------------------------------------------------------

async function loadChart(): Promise<void> {
  if (selectedApp === null) return;
  const hours = Number(byId<HTMLSelectElement>('period').value);
  const buckets = hours === 1 ? 12 : hours === 24 ? 24 : 28;
  lastChart = await api<ChartView>(
    'GET',
    `apps/${seg(selectedApp)}/attempts?hours=${hours}&buckets=${buckets}`,
  );
  drawOverview(lastChart);
}

/** Time label of a bucket start: a clock time within a day, a date beyond. */
function tickLabel(t: number, spanMs: number): string {
  const d = new Date(t);
  if (spanMs <= 24 * 3600_000) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toLocaleDateString([], { month: 'short', day: 'numeric' });
}

function drawOverview(chart: ChartView): void {
  const tiles = byId('summary');
  tiles.replaceChildren();
  const kinds: Kind[] = ['login', 'registration'];
  for (const s of chart.summary) if (!kinds.includes(s.kind)) kinds.push(s.kind);
  for (const kind of kinds) {
    const s = chart.summary.find((x) => x.kind === kind) ?? { attempts: 0, failures: 0, failureRate: 0 };
    const tile = el('div', undefined, 'tile');
    tile.dataset['kind'] = kind;
    tile.dataset['attempts'] = String(s.attempts);
    tile.dataset['failures'] = String(s.failures);
    tile.append(el('div', KIND_TITLES[kind], 'label'), el('div', String(s.attempts), 'value'));
    const rate = el('div', `${percent(s.failureRate)} failed (${s.failures})`, 'rate');
    if (s.failureRate >= 0.2) rate.classList.add('high');
    tile.append(rate);
    tiles.append(tile);
  }

  const charts = byId('chart');
  charts.replaceChildren();
  for (const kind of kinds) {
    // Logins and registrations always have a panel; the other kinds only when they happened.
    if (kind !== 'login' && kind !== 'registration' && !chart.series.some((s) => s.kind === kind)) continue;
    charts.append(
      drawPanel(
        chart,
        kind,
        chart.series.filter((s) => s.kind === kind),
      ),
    );
  }

  const reasons = byId('reasons');
  reasons.replaceChildren();
  const top = chart.reasons[0]?.count ?? 0;
  for (const r of chart.reasons) {
    const item = el('li');
    item.dataset['reason'] = r.reason;
    const pick = el('button', r.reason);
    pick.type = 'button';
    pick.title = `Show the ${r.reason} failures in the audit log`;
    pick.addEventListener('click', () => {
      resetAuditFilters();
      byId<HTMLSelectElement>('audit-outcome').value = 'failure';
      const reason = byId<HTMLSelectElement>('audit-reason');
      if (!Array.from(reason.options).some((o) => o.value === r.reason)) {
        const option = el('option', r.reason);
        option.value = r.reason;
        reason.append(option);
      }
      reason.value = r.reason;
      void loadAudit().catch(report);
      byId('audit').scrollIntoView({ behavior: 'smooth', block: 'start' });
    });
    const meter = el('div', undefined, 'meter');
    const fill = el('span');
    fill.style.width = `${top === 0 ? 0 : Math.round((r.count / top) * 100)}%`;
    meter.append(fill);
    item.append(pick, meter, el('span', String(r.count), 'count'));
    reasons.append(item);
  }
  if (chart.reasons.length === 0) reasons.append(el('li', 'No failures in this period.', 'muted'));
  const truncated = byId('truncated');
  truncated.hidden = !chart.truncated;
  truncated.textContent = chart.truncated ? 'Counting the newest 20 000 attempts of this period.' : '';
}

/** One kind's chart: a stacked bar per time bucket, one segment per scheme and outcome; failures hatched. */
function drawPanel(chart: ChartView, kind: Kind, series: SeriesView[]): HTMLElement {
  const figure = el('figure', undefined, 'chart-panel');
  figure.dataset['kind'] = kind;
  figure.append(el('figcaption', KIND_TITLES[kind]));
  // Drawn at the panel's own width, so labels stay readable on a phone.
  const width = Math.max(
    300,
    Math.min(720, Math.round(byId('chart').clientWidth / (innerWidth > 720 ? 2 : 1))),
  );
  const height = width < 420 ? 190 : 220;
  const pad = { left: 34, right: 8, top: 10, bottom: 26 };
  const buckets = Math.round((chart.to - chart.from) / chart.bucketMs);
  const totals = new Array<number>(buckets).fill(0);
  for (const s of series) s.counts.forEach((c, i) => (totals[i]! += c));
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
    'aria-label': `${KIND_TITLES[kind]} over time by scheme and outcome`,
  });
  const defs = svg('defs', {});
  for (const scheme of new Set(series.map((s) => s.scheme))) {
    const pattern = svg('pattern', {
      id: hatchId(kind, scheme),
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
        { class: 'axis', x: pad.left - 5, y: y(v) + 4, 'text-anchor': 'end' },
        String(Math.round(v * 10) / 10),
      ),
    );
  }
  const every = Math.ceil(buckets / Math.max(2, Math.floor(plotW / 70)));
  for (let i = 0; i < buckets; i += every) {
    const t = chart.from + i * chart.bucketMs;
    root.append(
      svg(
        'text',
        { class: 'axis', x: pad.left + i * slot + slot / 2, y: height - 8, 'text-anchor': 'middle' },
        tickLabel(t, chart.to - chart.from),
      ),
    );
  }

  const bars = svg('g', { class: 'bars' });
  for (let i = 0; i < buckets; i++) {
    let base = 0;
    const x = pad.left + i * slot + (slot - barW) / 2;
    for (const s of series) {
      const count = s.counts[i] ?? 0;
      if (count === 0) continue;
      const fill = s.outcome === 'success' ? colorOf(s.scheme) : `url(#${hatchId(kind, s.scheme)})`;
      const rect = svg('rect', {
        x: x.toFixed(1),
        y: y(base + count).toFixed(1),
        width: barW.toFixed(1),
        height: (y(base) - y(base + count)).toFixed(1),
        fill,
        stroke: colorOf(s.scheme),
        'stroke-width': s.outcome === 'success' ? 0 : 1,
        'data-kind': kind,
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
  if (series.length === 0) {
    root.append(
      svg(
        'text',
        { class: 'axis', x: width / 2, y: height / 2, 'text-anchor': 'middle' },
        'None in this period',
      ),
    );
  }
  figure.append(root);

  const legend = el('ul', undefined, 'legend');
  for (const s of series) {
    const item = el('li');
    item.dataset['scheme'] = s.scheme;
    item.dataset['outcome'] = s.outcome;
    const swatch = svg('svg', { viewBox: '0 0 14 14' });
    swatch.append(
      svg('rect', {
        width: 14,
        height: 14,
        rx: 3,
        fill: s.outcome === 'success' ? colorOf(s.scheme) : `url(#${hatchId(kind, s.scheme)})`,
        stroke: colorOf(s.scheme),
      }),
    );
    item.append(swatch, document.createTextNode(`${s.scheme} ${s.outcome} (${s.total})`));
    legend.append(item);
  }
  figure.append(legend);
  return figure;
}

// --- Audit -----------------------------------------------------------------------------------

function auditFilters(): URLSearchParams {
  const query = new URLSearchParams({ limit: String(AUDIT_PAGE) });
  const prefix = byId<HTMLInputElement>('audit-user').value.trim();
  if (prefix) query.set('userPrefix', prefix);
  for (const [id, name] of [
    ['audit-scheme', 'scheme'],
    ['audit-action', 'action'],
    ['audit-outcome', 'outcome'],
    ['audit-reason', 'reason'],
  ] as const) {
    const value = byId<HTMLSelectElement>(id).value;
    if (value) query.set(name, value);
  }
  return query;
}

function resetAuditFilters(): void {
  byId<HTMLInputElement>('audit-user').value = '';
  for (const id of ['audit-scheme', 'audit-action', 'audit-outcome', 'audit-reason'])
    byId<HTMLSelectElement>(id).value = '';
}

/** The first page of the filtered audit log, or (`more`) the next one after the last shown. */
async function loadAudit(more = false): Promise<void> {
  if (selectedApp === null) return;
  const query = auditFilters();
  if (more && auditCursor) query.set('cursor', auditCursor);
  const { records, nextCursor } = await api<{ records: AuditView[]; nextCursor: string | null }>(
    'GET',
    `apps/${seg(selectedApp)}/audit?${query}`,
  );
  const table = byId<HTMLTableElement>('audit');
  const labels = headers(table);
  const body = table.tBodies[0]!;
  if (!more) body.replaceChildren();
  for (const r of records) {
    const tr = row(
      [
        when(r.at),
        r.scheme,
        r.action,
        r.outcome,
        r.reason ?? '',
        r.userId ?? '',
        r.credentialId ? mono(r.credentialId) : '',
        r.ip ?? '',
      ],
      labels,
    );
    tr.dataset['id'] = r.id;
    tr.cells[3]!.className = `outcome-${r.outcome}`;
    body.append(tr);
  }
  if (!more && records.length === 0) body.append(emptyRow('No attempts match.', 8));
  auditCursor = nextCursor;
  byId('audit-more').hidden = nextCursor === null;
  const shown = body.querySelectorAll('tr[data-id]').length;
  byId('audit-count').textContent =
    `${shown} record${shown === 1 ? '' : 's'}${nextCursor ? ' (more below)' : ''}`;
}

// --- Credentials -----------------------------------------------------------------------------

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
  const labels = headers(table);
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
    body.append(
      row([c.type, mono(c.id), c.label ?? '', when(c.createdAt), when(c.lastUsedAt), revoke], labels),
    );
  }
  await loadSessions(appId, userId);
}

// --- Sessions (refresh-token families, docs/tokens.md) ----------------------------------------

async function loadSessions(appId: string, userId: string): Promise<void> {
  const { sessions } = await api<{ sessions: SessionView[] }>(
    'GET',
    `apps/${seg(appId)}/users/${seg(userId)}/sessions`,
  );
  if (selectedApp !== appId || byId<HTMLInputElement>('user-id').value.trim() !== userId) return;
  const table = byId<HTMLTableElement>('sessions');
  const labels = headers(table);
  const body = table.tBodies[0]!;
  body.replaceChildren();
  for (const s of sessions) {
    const tr = row(
      [
        mono(s.id),
        s.amr,
        s.credentialId ? mono(s.credentialId) : '—',
        when(s.createdAt),
        when(s.refreshedAt),
        when(s.expiresAt),
      ],
      labels,
    );
    tr.dataset['sessionId'] = s.id;
    body.append(tr);
  }
  if (sessions.length === 0) body.append(emptyRow(`${userId} has no active sessions.`, 6));
  const button = byId<HTMLButtonElement>('sign-out-everywhere');
  button.hidden = sessions.length === 0;
  button.dataset['userId'] = userId;
  byId('sessions-message').textContent =
    sessions.length === 0 ? '' : `${sessions.length} active session${sessions.length === 1 ? '' : 's'}.`;
  byId('sessions-box').hidden = false;
}

async function signOutEverywhere(): Promise<void> {
  if (selectedApp === null) return;
  const appId = selectedApp;
  const userId = byId('sign-out-everywhere').dataset['userId'];
  if (!userId) return;
  if (
    !confirm(
      `Sign ${userId} out everywhere? Every session of the user ends: its refresh tokens stop working at once, and its access tokens when they expire or at introspection.`,
    )
  )
    return;
  const { revoked } = await api<{ revoked: number }>(
    'DELETE',
    `apps/${seg(appId)}/users/${seg(userId)}/sessions`,
  );
  await loadSessions(appId, userId);
  byId('sessions-message').textContent = `Signed out of ${revoked} session${revoked === 1 ? '' : 's'}.`;
}

// --- Webhook dead letters --------------------------------------------------------------------

/** The event's `data` of a dead letter, pretty-printed; the body as sent when it is not JSON. */
function prettyPayload(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

async function loadDeadLetters(): Promise<void> {
  if (selectedApp === null) return;
  const appId = selectedApp;
  const { messages } = await api<{ messages: DeadLetterView[] }>(
    'GET',
    `apps/${seg(appId)}/webhooks/dead?limit=100`,
  );
  if (selectedApp !== appId) return;
  const table = byId<HTMLTableElement>('dead');
  const labels = headers(table);
  const body = table.tBodies[0]!;
  body.replaceChildren();
  for (const m of messages) {
    const redeliver = el('button', 'Redeliver', 'secondary');
    redeliver.type = 'button';
    redeliver.dataset['messageId'] = m.id;
    redeliver.addEventListener('click', () => {
      redeliver.disabled = true;
      void api('POST', `apps/${seg(appId)}/webhooks/${seg(m.id)}/redeliver`)
        .then(async () => {
          await loadDeadLetters();
          byId('webhook-message').textContent = `${m.id} is queued for delivery again.`;
        })
        .catch((e: unknown) => {
          redeliver.disabled = false;
          report(e, 'webhook-message');
        });
    });
    const details = el('details', undefined, 'payload');
    details.append(el('summary', m.id), el('pre', prettyPayload(m.payload)));
    const tr = row(
      [when(m.deadAt), m.type, String(m.attempts), m.lastError ?? '—', details, redeliver],
      labels,
    );
    tr.dataset['messageId'] = m.id;
    body.append(tr);
  }
  if (messages.length === 0)
    body.append(emptyRow('No dead letters: every event was delivered or is still being tried.', 6));
  byId('webhook-message').textContent = messages.length === 100 ? 'The newest 100 dead letters.' : '';
}

function report(error: unknown, where = 'user-message'): void {
  if (error instanceof ApiError && error.status === 401) {
    showLogin('Your session ended; sign in again.');
    return;
  }
  const text =
    error instanceof ApiError
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? error.message
        : 'Something went wrong.';
  byId(where).textContent = text;
}

function onSubmit(id: string, work: () => Promise<void>, where?: string): void {
  byId(id).addEventListener('submit', (event) => {
    event.preventDefault();
    void work().catch((e: unknown) => report(e, where));
  });
}

function onClick(id: string, work: () => Promise<void> | void, where?: string): void {
  byId(id).addEventListener('click', () => {
    void Promise.resolve()
      .then(work)
      .catch((e: unknown) => report(e, where));
  });
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
    hideSecret();
    void api('DELETE', 'session').finally(() => showLogin());
  });
  byId('app-select').addEventListener('change', (event) => {
    void selectApp((event.target as HTMLSelectElement).value).catch(report);
  });
  byId('period').addEventListener('change', () => void loadChart().catch(report));
  onSubmit('user-form', loadCredentials);
  onSubmit('audit-form', () => loadAudit());
  onClick('audit-reset', () => {
    resetAuditFilters();
    return loadAudit();
  });
  onClick('audit-more', () => loadAudit(true));
  onSubmit('settings-form', saveSettings, 'settings-message');
  onClick('sign-out-everywhere', signOutEverywhere, 'sessions-message');
  onClick('dead-refresh', loadDeadLetters, 'webhook-message');
  onClick('rotate-secret', rotateSecret, 'settings-message');
  onClick('end-rotation', endRotation, 'settings-message');
  onClick('app-new', () => {
    byId('app-create-form').hidden = false;
    byId('app-message').textContent = '';
    byId<HTMLInputElement>('app-create-form').querySelector('input')?.focus();
  });
  onClick('app-create-cancel', () => {
    byId<HTMLFormElement>('app-create-form').reset();
    byId('app-create-form').hidden = true;
  });
  onSubmit('app-create-form', createApp, 'app-message');
  onClick('secret-copy', async () => {
    await navigator.clipboard.writeText(byId('secret-value').textContent ?? '');
    byId('secret-copy').textContent = 'Copied';
  });
  onClick('secret-done', hideSecret);
  let resizing: number | undefined;
  addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = window.setTimeout(() => lastChart && drawOverview(lastChart), 150);
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
