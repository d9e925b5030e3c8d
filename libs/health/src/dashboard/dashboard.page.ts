import { createHash } from 'node:crypto';
import { FLEET_MARKUP, FLEET_SCRIPT, FLEET_STYLE } from './dashboard-fleet.part';

/**
 * The dashboard's script. It opens the stream beside the page: the page's path without its
 * trailing slashes and with its last segment (`dashboard`) replaced by `stream`, so
 * `/health/dashboard`, `/health/dashboard/`, `/api/health/dashboard?x=1` and a path given by
 * `RouterModule` all find `<same prefix>/stream` (a URL relative to the page would miss it under
 * a trailing slash). It renders with `textContent` only (messages are never parsed as HTML), and
 * keeps the last 60 latency points per indicator for its sparkline. The fleet view's part
 * (`dashboard-fleet.part.ts`) runs inside the same function.
 */
const SCRIPT = String.raw`
(() => {
  'use strict';
  const HISTORY = 60;
  const $ = (id) => document.getElementById(id);
  const rows = new Map();
  const history = new Map();
  const lastStatus = new Map();
  let checks = {};
  let groups = {};
  let overall = 'unknown';
  const SEVERITY = { up: 0, degraded: 1, down: 2 };

  // Each announcement is a new line in the live region (aria-relevant="additions"), so that two
  // changes in a row (an indicator, then its group) are both read; the last five are kept.
  function announce(text) {
    const live = $('announcer');
    const line = document.createElement('p');
    line.textContent = text;
    live.appendChild(line);
    while (live.childElementCount > 5) live.firstElementChild.remove();
  }

  function relative(iso) {
    if (!iso) return '—';
    const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 60) return seconds + ' s ago';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min ago';
    if (seconds < 86400) return Math.floor(seconds / 3600) + ' h ago';
    return Math.floor(seconds / 86400) + ' d ago';
  }

  function sparkline(svg, points) {
    const line = svg.querySelector('polyline');
    if (points.length < 2) { line.setAttribute('points', ''); return; }
    const max = Math.max(...points, 1);
    const step = 120 / (HISTORY - 1);
    const offset = 120 - step * (points.length - 1);
    line.setAttribute('points', points.map((v, i) =>
      (offset + i * step).toFixed(1) + ',' + (28 - (v / max) * 26).toFixed(1)).join(' '));
    svg.setAttribute('aria-label', 'latency history, last ' + points.length + ' checks, max ' + max.toFixed(1) + ' ms');
  }

  function row(name) {
    let tr = rows.get(name);
    if (tr) return tr;
    tr = document.createElement('tr');
    tr.dataset.check = name;
    for (const cls of ['name', 'groups', 'status', 'latency', 'trend', 'since', 'message']) {
      const td = document.createElement('td');
      td.className = cls;
      tr.appendChild(td);
    }
    const badge = document.createElement('span');
    badge.className = 'badge';
    tr.querySelector('.status').appendChild(badge);
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 120 30');
    svg.setAttribute('role', 'img');
    svg.appendChild(document.createElementNS('http://www.w3.org/2000/svg', 'polyline'));
    tr.querySelector('.trend').appendChild(svg);
    rows.set(name, tr);
    $('checks').appendChild(tr);
    return tr;
  }

  function renderCheck(name, check) {
    const tr = row(name);
    tr.querySelector('.name').textContent = name;
    tr.querySelector('.groups').textContent = (check.groups || []).join(', ') || '—';
    const badge = tr.querySelector('.badge');
    badge.textContent = check.status;
    badge.dataset.status = check.status;
    tr.dataset.status = check.status;
    tr.querySelector('.latency').textContent =
      typeof check.durationMs === 'number' ? check.durationMs.toFixed(1) + ' ms' : '—';
    tr.querySelector('.since').textContent = relative(check.since);
    tr.querySelector('.since').dataset.since = check.since || '';
    tr.querySelector('.message').textContent = check.message || '';
    if (typeof check.durationMs === 'number' && check.lastCheckedAt) {
      const points = history.get(name) || { at: null, values: [] };
      if (points.at !== check.lastCheckedAt) {
        points.at = check.lastCheckedAt;
        points.values.push(check.durationMs);
        if (points.values.length > HISTORY) points.values.shift();
      }
      history.set(name, points);
      sparkline(tr.querySelector('svg'), points.values);
    }
    const before = lastStatus.get(name);
    if (before !== undefined && before !== check.status) {
      announce(name + ' is ' + check.status + (check.message ? ': ' + check.message : ''));
    }
    lastStatus.set(name, check.status);
  }

  function renderOverall(status) {
    overall = status;
    const el = $('overall');
    el.textContent = status;
    el.dataset.status = status;
    document.title = status + ' · health';
  }

  function snapshot(data) {
    checks = data.checks || {};
    groups = data.groups || {};
    for (const [name, tr] of rows) {
      if (!(name in checks)) { tr.remove(); rows.delete(name); history.delete(name); lastStatus.delete(name); }
    }
    for (const name of Object.keys(checks).sort()) renderCheck(name, checks[name]);
    renderOverall(data.status);
    $('empty').hidden = rows.size > 0;
    $('updated').textContent = new Date(data.timestamp).toLocaleTimeString();
  }

  function change(data) {
    if (data.kind === 'indicator') {
      checks[data.name] = data.check;
      renderCheck(data.name, data.check);
      $('empty').hidden = rows.size > 0;
    } else if (data.kind === 'group') {
      groups[data.name] = { status: data.current, since: data.since };
      announce('group ' + data.name + ' is ' + data.current);
      let worst = 'up';
      for (const group of Object.values(groups)) {
        if ((SEVERITY[group.status] ?? 2) > SEVERITY[worst]) worst = group.status;
      }
      if (worst !== overall) renderOverall(worst);
    }
  }

  function connection(state, text) {
    const el = $('connection');
    el.dataset.state = state;
    el.textContent = text;
  }

  // The stream is the page's sibling, whatever the URL's form (see the comment above SCRIPT).
  const STREAM = location.pathname.replace(/\/+$/, '').replace(/[^/]*$/, 'stream') + '?interval=2';

  function connect() {
    const source = new EventSource(STREAM);
    source.addEventListener('open', () => connection('live', 'live'));
    source.addEventListener('error', () => {
      connection(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting', source.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…');
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
    });
    source.addEventListener('snapshot', (event) => { connection('live', 'live'); snapshot(JSON.parse(event.data)); });
    source.addEventListener('change', (event) => change(JSON.parse(event.data)));
  }

  setInterval(() => {
    for (const el of document.querySelectorAll('td.since')) el.textContent = relative(el.dataset.since);
  }, 1000);
  connect();
${FLEET_SCRIPT}
})();
`;

const STYLE = `
:root { color-scheme: light dark; --up: #1a7f37; --degraded: #9a6700; --down: #cf222e; --unknown: #6e7781;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; }
header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
h1 { font-size: 20px; margin: 0; }
#overall, .badge { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff;
  font-weight: 600; text-transform: uppercase; font-size: 13px; background: var(--unknown); }
#overall[data-status="up"], .badge[data-status="up"] { background: var(--up); }
#overall[data-status="degraded"], .badge[data-status="degraded"] { background: var(--degraded); }
#overall[data-status="down"], .badge[data-status="down"] { background: var(--down); }
tr[data-status] td:first-child { border-left: 4px solid var(--unknown); }
tr[data-status="up"] td:first-child { border-left-color: var(--up); }
tr[data-status="degraded"] td:first-child { border-left-color: var(--degraded); }
tr[data-status="down"] td:first-child { border-left-color: var(--down); }
#connection { font-size: 13px; color: var(--unknown); }
#connection[data-state="live"]::before { content: "● "; color: var(--up); }
#connection[data-state="reconnecting"]::before, #connection[data-state="closed"]::before { content: "● "; color: var(--down); }
table { width: 100%; border-collapse: collapse; margin-top: 16px; }
th, td { text-align: left; padding: 8px; border-bottom: 1px solid color-mix(in srgb, currentColor 15%, transparent); vertical-align: middle; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; opacity: .7; }
td.name { font-weight: 600; font-family: ui-monospace, monospace; }
td.latency, td.since { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.message { opacity: .85; word-break: break-word; }
svg { width: 120px; height: 30px; }
polyline { fill: none; stroke: currentColor; stroke-width: 1.5; opacity: .8; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
footer { margin-top: 12px; font-size: 12px; opacity: .7; }
.scroll { overflow-x: auto; }
@media (max-width: 480px) { body { padding: 12px; } }
${FLEET_STYLE}`;

/** The `sha256-…` source of the script, for the page's Content-Security-Policy. */
const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');

/** The `sha256-…` source of the style, for the page's Content-Security-Policy. */
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/**
 * The Content-Security-Policy of the dashboard: nothing loads from anywhere but this page's own
 * inline style and script (both pinned by hash) and the streams and fleet view of the same
 * origin.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${SCRIPT_HASH}'`,
  `style-src 'sha256-${STYLE_HASH}'`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The dashboard page: one self-contained HTML document (no CDN, no build step at run time).
 *
 * @internal
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>health</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Health</h1>
  <span id="overall" data-status="unknown" role="status" aria-label="overall status">unknown</span>
  <span id="connection" data-state="connecting">connecting…</span>
</header>
<div id="announcer" class="sr-only" role="log" aria-live="polite" aria-atomic="false" aria-relevant="additions"></div>
<div class="scroll">
<table>
  <thead><tr><th scope="col">Check</th><th scope="col">Groups</th><th scope="col">Status</th><th scope="col">Latency</th><th scope="col">History</th><th scope="col">Since</th><th scope="col">Message</th></tr></thead>
  <tbody id="checks"></tbody>
</table>
</div>
<p id="empty" hidden>No health indicators are registered.</p>
<footer>Last snapshot: <span id="updated">—</span></footer>
${FLEET_MARKUP}
<script>${SCRIPT}</script>
</body>
</html>
`;
