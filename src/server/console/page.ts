/**
 * The console's HTML shell and stylesheet. The shell holds no data: the script fills it from
 * the JSON routes, with `textContent` only, under a Content-Security-Policy that allows no inline
 * script or style.
 */

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The Content-Security-Policy of every console response. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** The page at `<base>/console`; `mount` is that path. */
export function consolePage(mount: string): string {
  const m = escapeHtml(mount);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Signet console</title>
<link rel="stylesheet" href="${m}/console.css">
<script type="module" src="${m}/console.js"></script>
</head>
<body>
<header class="bar">
  <h1>Signet <span>console</span></h1>
  <label class="app-pick" id="app-pick" hidden><span class="sr-only">App</span><select id="app-select" aria-label="App"></select></label>
  <button id="logout" type="button" hidden>Sign out</button>
</header>
<main id="main">
  <section id="login" class="card narrow" hidden>
    <h2>Admin sign-in</h2>
    <p class="muted">Enter the admin token (<code>SIGNET_ADMIN_TOKEN</code>). The console keeps an HttpOnly session cookie for 8 hours.</p>
    <form id="login-form">
      <label>Admin token <input id="token" name="token" type="password" autocomplete="current-password" required minlength="1" maxlength="1024"></label>
      <button type="submit">Sign in</button>
      <p id="login-error" class="error" role="alert"></p>
    </form>
  </section>
  <div id="dashboard" hidden>
    <section class="card" id="overview">
      <div class="row">
        <h2>Attempts <span id="chart-app" class="muted"></span></h2>
        <label class="inline">Period
          <select id="period">
            <option value="1">last hour</option>
            <option value="24" selected>last 24 hours</option>
            <option value="168">last 7 days</option>
          </select>
        </label>
      </div>
      <div class="tiles" id="summary" aria-live="polite"></div>
      <div id="chart" class="charts"></div>
      <div class="reasons-box">
        <h3>Top failure reasons</h3>
        <ol id="reasons" class="reasons"></ol>
        <p id="truncated" class="muted" hidden></p>
      </div>
    </section>
    <section class="card">
      <div class="row">
        <h2>Audit log</h2>
        <span id="audit-count" class="muted" role="status"></span>
      </div>
      <form id="audit-form" class="filters">
        <label>User id starts with <input id="audit-user" name="userPrefix" maxlength="128" placeholder="any user" autocomplete="off"></label>
        <label>Scheme <select id="audit-scheme" name="scheme"><option value="">any</option></select></label>
        <label>Action <select id="audit-action" name="action"><option value="">any</option></select></label>
        <label>Outcome <select id="audit-outcome" name="outcome"><option value="">any</option><option value="success">success</option><option value="failure">failure</option></select></label>
        <label>Reason <select id="audit-reason" name="reason"><option value="">any</option></select></label>
        <div class="filter-buttons"><button type="submit">Filter</button><button type="button" id="audit-reset" class="secondary">Reset</button></div>
      </form>
      <div class="scroll">
        <table id="audit" class="stack"><thead><tr><th>Time</th><th>Scheme</th><th>Action</th><th>Outcome</th><th>Reason</th><th>User</th><th>Credential</th><th>IP</th></tr></thead><tbody></tbody></table>
      </div>
      <button type="button" id="audit-more" class="secondary wide" hidden>Load older records</button>
    </section>
    <section class="card" id="user-card">
      <h2>A user's credentials and sessions</h2>
      <form id="user-form" class="row left">
        <label class="inline">User id <input id="user-id" name="userId" required maxlength="128" autocomplete="off"></label>
        <button type="submit">Show</button>
      </form>
      <p id="user-message" class="muted" role="status"></p>
      <div class="user-view">
        <div class="user-part">
          <h3>Credentials</h3>
          <div class="scroll">
            <table id="credentials" class="stack" hidden><thead><tr><th>Type</th><th>Id</th><th>Label</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody></tbody></table>
          </div>
        </div>
        <div class="user-part" id="sessions-box" hidden>
          <div class="row"><h3>Sessions</h3><button type="button" id="sign-out-everywhere" class="danger">Sign out everywhere</button></div>
          <p id="sessions-message" class="muted" role="status"></p>
          <div class="scroll">
            <table id="sessions" class="stack"><thead><tr><th>Session</th><th>Signed in with</th><th>Credential</th><th>Started</th><th>Last refreshed</th><th>Expires</th></tr></thead><tbody></tbody></table>
          </div>
        </div>
      </div>
    </section>
    <section class="card" id="settings-card">
      <div class="row">
        <h2>App settings <span id="settings-app" class="muted"></span></h2>
        <div class="buttons">
          <button type="button" id="rotate-secret" class="secondary">Rotate secret</button>
          <button type="button" id="end-rotation" class="secondary" hidden>Retire the old secret</button>
        </div>
      </div>
      <form id="settings-form" class="settings">
        <label>Name <input name="name" required maxlength="100"></label>
        <label>WebAuthn rpId <input name="rpId" maxlength="253" placeholder="none" autocomplete="off"></label>
        <label class="span2">Origins, one a line <textarea name="origins" rows="3" spellcheck="false"></textarea></label>
        <label>Token lifetime (s) <input name="tokenTtlSec" type="number" min="1" max="2592000" required></label>
        <label>Challenge lifetime (ms) <input name="challengeTtlMs" type="number" min="1" max="86400000" required></label>
        <label>Clock skew (ms) <input name="skewMs" type="number" min="1" max="3600000" required></label>
        <label>Lockout: failures <input name="lockoutMaxFailures" type="number" min="1" max="1000000" required></label>
        <label>Lockout: window (ms) <input name="lockoutWindowMs" type="number" min="1" max="86400000" required></label>
        <label>Session lifetime, refresh tokens (s) <input name="refreshTtlSec" type="number" min="1" max="31536000" required></label>
        <label>Ethereum chain ids <input name="ethChainIds" inputmode="numeric" maxlength="600" placeholder="any chain" autocomplete="off" title="Chain ids separated by commas or spaces; empty: any"></label>
        <label class="check"><input name="clientChallenges" type="checkbox"> Client-built device challenges</label>
        <label class="check"><input name="requireUserVerification" type="checkbox"> Require WebAuthn user verification</label>
        <label class="check"><input name="requireWalletProof" type="checkbox"> Wallet registrations must prove possession</label>
        <div class="span2 buttons"><button type="submit">Save settings</button></div>
      </form>
      <p id="settings-message" class="muted" role="status"></p>
      <h3>Set with the CLI (<code>signet app set</code>)</h3>
      <dl id="app-readonly" class="readonly">
        <dt>Passkey attestation</dt><dd id="ro-attestation"></dd>
        <dt>HTTP signature key</dt><dd id="ro-httpsig"></dd>
        <dt>Ethereum RPC</dt><dd id="ro-eth-rpc"></dd>
        <dt>Webhook URL</dt><dd id="ro-webhook-url"></dd>
        <dt>Webhook secrets</dt><dd id="ro-webhook-secrets"></dd>
      </dl>
    </section>
    <section class="card" id="webhooks-card">
      <div class="row">
        <h2>Webhook dead letters <span id="webhooks-app" class="muted"></span></h2>
        <button type="button" id="dead-refresh" class="secondary">Refresh</button>
      </div>
      <p id="webhook-message" class="muted" role="status"></p>
      <div class="scroll">
        <table id="dead" class="stack"><thead><tr><th>Dead since</th><th>Event</th><th>Attempts</th><th>Last error</th><th>Message</th><th></th></tr></thead><tbody></tbody></table>
      </div>
    </section>
    <section class="card">
      <div class="row">
        <h2>Apps</h2>
        <button type="button" id="app-new" class="secondary">New app</button>
      </div>
      <form id="app-create-form" class="settings" hidden>
        <label>Name <input name="name" required maxlength="100"></label>
        <label>WebAuthn rpId <input name="rpId" maxlength="253" placeholder="from the first origin" autocomplete="off"></label>
        <label class="span2">Origins, one a line <textarea name="origins" rows="2" spellcheck="false" placeholder="https://app.example"></textarea></label>
        <label>Session lifetime, refresh tokens (s) <input name="refreshTtlSec" type="number" min="1" max="31536000" placeholder="2592000 (30 days)"></label>
        <label>Ethereum chain ids <input name="ethChainIds" inputmode="numeric" maxlength="600" placeholder="any chain" autocomplete="off"></label>
        <label class="check span2"><input name="requireWalletProof" type="checkbox" checked> Wallet registrations must prove possession</label>
        <div class="span2 buttons"><button type="submit">Create app</button><button type="button" id="app-create-cancel" class="secondary">Cancel</button></div>
      </form>
      <p id="app-message" class="error" role="alert"></p>
      <div id="secret-box" class="secret" hidden role="alert">
        <p><strong>Copy this secret now: it is shown once.</strong> Signet keeps it sealed and cannot show it again.</p>
        <dl><dt>App id</dt><dd><code id="secret-app-id"></code></dd><dt>Secret</dt><dd><code id="secret-value"></code></dd></dl>
        <div class="buttons"><button type="button" id="secret-copy">Copy secret</button><button type="button" id="secret-done" class="secondary">I have stored it</button></div>
      </div>
      <div class="scroll">
        <table id="apps" class="stack"><thead><tr><th>Name</th><th>App id</th><th>rpId</th><th>Origins</th><th>Secrets</th><th>Created</th></tr></thead><tbody></tbody></table>
      </div>
    </section>
  </div>
</main>
</body>
</html>
`;
}

/** The console's stylesheet: one column below 720 px, tables stacked as cards below 640 px. */
export const CONSOLE_CSS = `
:root { --fg: #1d2433; --muted: #667085; --line: #e4e7ec; --bg: #f6f7f9; --accent: #3b5bdb; --bad: #c92a2a; --good: #2b8a3e; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.bar { display: flex; align-items: center; gap: 12px; padding: 10px 24px; background: #1d2433; color: #fff; position: sticky; top: 0; z-index: 2; }
.bar h1 { margin: 0; font-size: 18px; font-weight: 600; white-space: nowrap; margin-right: auto; }
.bar h1 span { font-weight: 400; opacity: .7; }
.bar select { max-width: 46vw; background: #2c3447; color: #fff; border-color: #ffffff40; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 40px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 20px; margin-bottom: 18px; min-width: 0; }
.card.narrow { max-width: 460px; margin: 60px auto; }
h2 { font-size: 15px; margin: 0 0 12px; }
h3 { font-size: 13px; margin: 0 0 8px; color: var(--muted); font-weight: 600; }
.row { display: flex; align-items: center; justify-content: space-between; gap: 8px 12px; flex-wrap: wrap; margin-bottom: 10px; }
.row.left { justify-content: flex-start; }
.row h2 { margin: 0; }
.buttons { display: flex; gap: 8px; flex-wrap: wrap; }
.muted { color: var(--muted); font-weight: 400; }
.error { color: var(--bad); min-height: 1.2em; margin: 4px 0; }
.error:empty { min-height: 0; margin: 0; }
label { display: block; margin: 0; }
label.inline { display: inline-flex; align-items: center; gap: 6px; white-space: nowrap; }
input, select, textarea { font: inherit; padding: 6px 8px; border: 1px solid #cfd4dc; border-radius: 6px; max-width: 100%; }
label > input, label > select, label > textarea { display: block; width: 100%; margin-top: 4px; }
label.inline > input { display: inline-block; width: 220px; margin: 0; }
label.check { display: flex; align-items: center; gap: 8px; }
label.check > input { width: 20px; height: 20px; margin: 0; flex: none; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; min-height: 34px; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: #fff; color: var(--bad); border-color: var(--bad); padding: 3px 10px; }
button.wide { width: 100%; margin-top: 10px; }
.bar button { background: transparent; border-color: #fff6; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 10px; margin-bottom: 12px; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.tile .label { color: var(--muted); font-size: 12px; }
.tile .value { font-size: 22px; font-weight: 600; }
.tile .rate { font-size: 13px; }
.tile .rate.high { color: var(--bad); font-weight: 600; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.chart-panel { margin: 0; min-width: 0; }
.chart-panel figcaption { font-weight: 600; font-size: 13px; margin-bottom: 4px; }
.chart-panel svg { display: block; width: 100%; height: auto; }
.chart-panel .axis { font-size: 11px; fill: var(--muted); }
.chart-panel .grid { stroke: var(--line); }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 14px; padding: 0; margin: 6px 0 0; font-size: 12px; }
.legend li { display: inline-flex; align-items: center; gap: 6px; }
.legend svg { width: 12px; height: 12px; }
.reasons-box { margin-top: 14px; }
.reasons { list-style: none; padding: 0; margin: 0; display: grid; gap: 4px; }
.reasons li { display: grid; grid-template-columns: minmax(120px, 220px) 1fr auto; align-items: center; gap: 10px; }
.reasons button { background: none; border: none; color: var(--accent); padding: 2px 0; text-align: left; min-height: 0; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; overflow-wrap: anywhere; }
.reasons .meter { height: 8px; border-radius: 4px; background: #fde2e1; overflow: hidden; }
.reasons .meter span { display: block; height: 100%; background: var(--bad); }
.reasons .count { font-variant-numeric: tabular-nums; color: var(--muted); }
.filters { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)) auto; gap: 8px 10px; align-items: end; margin-bottom: 10px; }
.filter-buttons { display: flex; gap: 6px; }
.settings { display: grid; grid-template-columns: 1fr 1fr; gap: 10px 16px; margin-bottom: 8px; }
.settings .span2 { grid-column: 1 / -1; }
.secret { border: 1px solid #f0c36d; background: #fff8e6; border-radius: 8px; padding: 10px 14px; margin: 10px 0; }
.secret dl { display: grid; grid-template-columns: auto 1fr; gap: 4px 12px; margin: 8px 0; }
.secret dt { color: var(--muted); }
.secret dd { margin: 0; min-width: 0; }
.secret code { word-break: break-all; font-size: 13px; }
.user-view { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.user-part { min-width: 0; }
.user-part .row { margin-bottom: 4px; }
.user-part h3 { margin: 0 0 6px; }
.readonly { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0; font-size: 13px; }
.readonly dt { color: var(--muted); }
.readonly dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.readonly code { font-size: 12px; }
details.payload summary { cursor: pointer; color: var(--accent); }
details.payload pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12px; margin: 4px 0 0; max-width: 100%; }
.scroll { width: 100%; overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 500; }
td code, td.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-all; }
tr.selected td { background: #eef2ff; }
tbody tr.clickable { cursor: pointer; }
.outcome-success { color: var(--good); }
.outcome-failure { color: var(--bad); }
@media (max-width: 720px) {
  .charts { grid-template-columns: 1fr; }
  .filters { grid-template-columns: 1fr 1fr; }
  .filters label:first-child, .filter-buttons { grid-column: 1 / -1; }
  .settings { grid-template-columns: 1fr; }
  .user-view { grid-template-columns: 1fr; }
}
@media (max-width: 640px) {
  .bar { padding: 8px 12px; gap: 8px; }
  .bar h1 { font-size: 16px; }
  .bar h1 span { display: none; }
  main { padding: 12px 10px 28px; }
  .card { padding: 12px; border-radius: 8px; margin-bottom: 12px; }
  label.inline > input { width: 100%; }
  .row.left label.inline { flex: 1; }
  .tiles { grid-template-columns: 1fr 1fr; }
  .reasons li { grid-template-columns: 1fr auto; }
  .reasons .meter { grid-column: 1 / -1; grid-row: 2; }
  table.stack thead { display: none; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; }
  table.stack tr { border: 1px solid var(--line); border-radius: 8px; padding: 6px 10px; margin-bottom: 8px; }
  table.stack td { border: none; padding: 2px 0; display: grid; grid-template-columns: 88px 1fr; gap: 8px; overflow-wrap: anywhere; }
  table.stack td::before { content: attr(data-label); color: var(--muted); font-size: 12px; }
  table.stack td.empty { display: block; }
  table.stack td.empty::before { content: none; }
  .readonly { grid-template-columns: 1fr; gap: 0; }
  .readonly dd { margin-bottom: 6px; }
}
`;
