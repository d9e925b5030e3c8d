import { createHash } from 'node:crypto';
import { FLEET_MARKUP, FLEET_SCRIPT, FLEET_STYLE } from './dashboard-fleet.part';
import { HISTORY_MARKUP, HISTORY_SCRIPT, HISTORY_STYLE } from './dashboard-history.part';

/**
 * The dashboard's script. It opens the stream beside the page: the page's path without its
 * trailing slashes and with its last segment (`dashboard`) replaced by `stream`, so
 * `/health/dashboard`, `/health/dashboard/`, `/api/health/dashboard?x=1` and a path given by
 * `RouterModule` all find `<same prefix>/stream` (a URL relative to the page would miss it under
 * a trailing slash); it finds `<same prefix>/history` the same way. It renders with
 * `textContent` only (messages are never parsed as HTML). Events only change the page's model
 * and mark what they changed; one `requestAnimationFrame` callback renders the marked cards, the
 * header and the transitions, writing the DOM without reading layout, so a hundred indicators
 * and a burst of events cost one render per frame. Without history it keeps the last 60
 * latencies per indicator for its chart. The history view's part (`dashboard-history.part.ts`)
 * and the fleet view's part (`dashboard-fleet.part.ts`) run inside the same function.
 */
const SCRIPT = String.raw`
(() => {
  'use strict';
  const LIVE_POINTS = 60;
  const $ = (id) => document.getElementById(id);
  const SEVERITY = { up: 0, degraded: 1, down: 2 };
  const BUILT_IN_GROUPS = ['liveness', 'readiness', 'startup'];
  const cards = new Map();
  const models = new Map();
  let groupsState = {};
  let overall = 'unknown';
  const dirty = new Set();
  let headerDirty = false;
  let frame = 0;

  function node(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined && text !== null) element.textContent = String(text);
    return element;
  }

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

  // Marks an indicator (or, with null, the header) to render in the next frame.
  function schedule(name) {
    if (name === null) headerDirty = true;
    else dirty.add(name);
    if (!frame) frame = requestAnimationFrame(flush);
  }

  function flush() {
    frame = 0;
    if (headerDirty) {
      headerDirty = false;
      renderHeader();
    }
    const names = [...dirty].sort();
    dirty.clear();
    for (const name of names) renderCheck(name);
    $('empty').hidden = cards.size > 0;
    afterRender();
  }

  function createCard(name) {
    const root = node('li', 'check');
    root.dataset.check = name;
    const head = node('div', 'check-head');
    const badge = node('span', 'badge');
    const groups = node('span', 'groups');
    const since = node('span', 'since');
    head.append(node('h3', 'name', name), badge, groups, since);
    const history = historyParts();
    const message = node('p', 'message');
    root.append(head, history.uptime, history.beats, history.axis, history.chart, history.latency, message);
    const card = { root, badge, groups, since, message, history };
    const next = [...cards.keys()].filter((other) => other > name).sort()[0];
    $('checks').insertBefore(root, next === undefined ? null : cards.get(next).root);
    cards.set(name, card);
    return card;
  }

  function renderCheck(name) {
    const model = models.get(name);
    const card = cards.get(name) || (model ? createCard(name) : null);
    if (!card) return;
    if (!model) {
      card.root.remove();
      cards.delete(name);
      return;
    }
    const check = model.check;
    card.root.dataset.status = check.status;
    card.badge.textContent = check.status;
    card.badge.dataset.status = check.status;
    card.groups.textContent = (check.groups || []).join(', ') || '—';
    card.since.dataset.since = model.since || '';
    card.since.textContent = relative(model.since);
    card.message.textContent = check.message || '';
    renderHistory(card, model, name);
  }

  function groupOrder(a, b) {
    const ia = BUILT_IN_GROUPS.indexOf(a);
    const ib = BUILT_IN_GROUPS.indexOf(b);
    if (ia !== ib) return (ia === -1 ? 99 : ia) - (ib === -1 ? 99 : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function renderHeader() {
    const el = $('overall');
    el.textContent = overall;
    el.dataset.status = overall;
    document.title = overall + ' · health';
    $('groups').replaceChildren(...Object.keys(groupsState).sort(groupOrder).map((name) => {
      const status = groupsState[name].status;
      const li = node('li', 'group');
      li.dataset.group = name;
      li.dataset.status = status;
      const badge = node('span', 'badge', status);
      badge.dataset.status = status;
      li.append(node('span', 'group-name', name), badge);
      const uptime = hist.groups[name] && hist.groups[name].uptime;
      if (uptime) li.title = name + ': ' + percent(uptime['1h'].up) + ' up over 1 h, ' + percent(uptime['24h'].up) + ' over 24 h';
      return li;
    }));
  }

  function setCheck(name, check, since) {
    let model = models.get(name);
    if (!model) {
      model = { check: {}, since: null, live: { at: null, values: [] } };
      // The transitions of the history are shown for the indicators the stream has.
      hist.transitionsDirty = true;
    }
    model.check = check;
    if (since) model.since = since;
    else if (!model.since && hist.subjects[name]) model.since = hist.subjects[name].streak.since;
    if (typeof check.durationMs === 'number' && check.lastCheckedAt && model.live.at !== check.lastCheckedAt) {
      model.live.at = check.lastCheckedAt;
      model.live.values.push(check.durationMs);
      if (model.live.values.length > LIVE_POINTS) model.live.values.shift();
      markBar(name, check.status, Date.parse(check.lastCheckedAt));
    }
    models.set(name, model);
    schedule(name);
  }

  function snapshot(data) {
    const checks = data.checks || {};
    for (const name of models.keys()) {
      if (!(name in checks)) {
        models.delete(name);
        hist.transitionsDirty = true;
        schedule(name);
      }
    }
    for (const name of Object.keys(checks)) setCheck(name, checks[name], checks[name].since);
    groupsState = Object.assign({}, data.groups || {});
    overall = data.status;
    schedule(null);
    $('updated').textContent = new Date(data.timestamp).toLocaleTimeString();
  }

  function change(data) {
    if (data.kind === 'indicator') {
      const before = models.get(data.name);
      const previousSince = before ? before.since : null;
      setCheck(data.name, data.check, data.since);
      if (data.previous !== data.current) {
        announce(data.name + ' is ' + data.current + (data.message ? ': ' + data.message : ''));
        liveTransition(data.name, data, previousSince);
      }
    } else if (data.kind === 'group') {
      groupsState[data.name] = { status: data.current, since: data.since };
      announce('group ' + data.name + ' is ' + data.current);
      let worst = 'up';
      for (const group of Object.values(groupsState)) {
        if ((SEVERITY[group.status] ?? 2) > SEVERITY[worst]) worst = group.status;
      }
      overall = worst;
      schedule(null);
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
${HISTORY_SCRIPT}
  setInterval(() => {
    for (const el of document.querySelectorAll('#checks .since')) el.textContent = relative(el.dataset.since);
  }, 1000);
  connect();
  loadHistory();
${FLEET_SCRIPT}
})();
`;

const STYLE = `
:root { color-scheme: light dark; --up: #1a7f37; --degraded: #9a6700; --down: #cf222e; --unknown: #6e7781;
  --p50: #0969da; --p95: #8250df;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; }
header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
h1 { font-size: 20px; margin: 0; }
#overall, .badge { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff;
  font-weight: 600; text-transform: uppercase; font-size: 13px; background: var(--unknown); }
#overall[data-status="up"], .badge[data-status="up"] { background: var(--up); }
#overall[data-status="degraded"], .badge[data-status="degraded"] { background: var(--degraded); }
#overall[data-status="down"], .badge[data-status="down"] { background: var(--down); }
#connection { font-size: 13px; color: var(--unknown); }
#connection[data-state="live"]::before { content: "● "; color: var(--up); }
#connection[data-state="reconnecting"]::before, #connection[data-state="closed"]::before { content: "● "; color: var(--down); }
table { width: 100%; border-collapse: collapse; margin-top: 16px; }
th, td { text-align: left; padding: 8px; border-bottom: 1px solid color-mix(in srgb, currentColor 15%, transparent); vertical-align: middle; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; opacity: .7; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
footer { margin-top: 12px; font-size: 12px; opacity: .7; }
@media (max-width: 480px) { body { padding: 12px; } }
${HISTORY_STYLE}${FLEET_STYLE}`;

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
  <ul id="groups" aria-label="group statuses"></ul>
  <span id="connection" data-state="connecting">connecting…</span>
</header>
<div id="announcer" class="sr-only" role="log" aria-live="polite" aria-atomic="false" aria-relevant="additions"></div>
<p id="withheld" hidden>Details are withheld from this caller: statuses only (no uptime, latency or messages).</p>
<h2 class="sr-only">Indicators</h2>
<ul id="checks" aria-label="indicators"></ul>
<p id="empty" hidden>No health indicators are registered.</p>
${HISTORY_MARKUP}
<footer>Last snapshot: <span id="updated">—</span></footer>
${FLEET_MARKUP}
<script>${SCRIPT}</script>
</body>
</html>
`;
