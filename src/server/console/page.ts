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
    <section class="card">
      <h2>Apps</h2>
      <table id="apps"><thead><tr><th>Name</th><th>App id</th><th>rpId</th><th>Origins</th><th>Secrets</th><th>Created</th></tr></thead><tbody></tbody></table>
    </section>
    <section class="card">
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
      <div id="chart" class="chart" aria-live="polite"></div>
      <ul id="legend" class="legend"></ul>
    </section>
    <section class="card">
      <h2>A user's credentials</h2>
      <form id="user-form" class="row">
        <label class="inline">User id <input id="user-id" name="userId" required maxlength="128"></label>
        <button type="submit">Show</button>
      </form>
      <p id="user-message" class="muted" role="status"></p>
      <table id="credentials" hidden><thead><tr><th>Type</th><th>Id</th><th>Label</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody></tbody></table>
    </section>
    <section class="card">
      <div class="row">
        <h2>Audit log</h2>
        <form id="audit-form" class="row">
          <label class="inline">User id <input id="audit-user" name="userId" maxlength="128" placeholder="all users"></label>
          <button type="submit">Filter</button>
        </form>
      </div>
      <table id="audit"><thead><tr><th>Time</th><th>Scheme</th><th>Action</th><th>Outcome</th><th>Reason</th><th>User</th><th>Credential</th><th>IP</th></tr></thead><tbody></tbody></table>
    </section>
  </div>
</main>
</body>
</html>
`;
}

/** The console's stylesheet. */
export const CONSOLE_CSS = `
:root { --fg: #1d2433; --muted: #667085; --line: #e4e7ec; --bg: #f6f7f9; --accent: #3b5bdb; --bad: #c92a2a; --good: #2b8a3e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
.bar { display: flex; align-items: center; justify-content: space-between; padding: 12px 24px; background: #1d2433; color: #fff; }
.bar h1 { margin: 0; font-size: 18px; font-weight: 600; }
.bar h1 span { font-weight: 400; opacity: .7; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 40px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px 20px; margin-bottom: 18px; }
.card.narrow { max-width: 460px; margin: 60px auto; }
h2 { font-size: 15px; margin: 0 0 12px; }
.row { display: flex; align-items: center; justify-content: space-between; gap: 12px; flex-wrap: wrap; }
.row h2 { margin: 0; }
.muted { color: var(--muted); font-weight: 400; }
.error { color: var(--bad); min-height: 1.2em; }
label { display: block; margin: 8px 0; }
label.inline { display: inline-flex; align-items: center; gap: 6px; margin: 0; }
input, select { font: inherit; padding: 6px 8px; border: 1px solid #cfd4dc; border-radius: 6px; }
label > input { display: block; width: 100%; margin-top: 4px; }
label.inline > input { display: inline-block; width: 220px; margin: 0; }
button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.danger { background: #fff; color: var(--bad); border-color: var(--bad); padding: 3px 10px; }
.bar button { background: transparent; border-color: #fff6; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 500; }
td code, td.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; word-break: break-all; }
tr.selected td { background: #eef2ff; }
tbody tr.clickable { cursor: pointer; }
.outcome-success { color: var(--good); }
.outcome-failure { color: var(--bad); }
.chart { width: 100%; overflow-x: auto; }
.chart svg { display: block; width: 100%; height: auto; }
.chart .axis { font-size: 11px; fill: var(--muted); }
.chart .grid { stroke: var(--line); }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 6px 18px; padding: 0; margin: 10px 0 0; font-size: 13px; }
.legend li { display: inline-flex; align-items: center; gap: 6px; }
.legend svg { width: 14px; height: 14px; }
`;
