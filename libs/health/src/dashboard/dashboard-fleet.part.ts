/**
 * The dashboard's fleet view: the part of the page's script, style and markup that shows the
 * fleet (`GET <path>/fleet`, `GET <path>/fleet/stream`). `dashboard.page.ts` puts them into the
 * one page; the script runs inside the page script's function and uses its `$` and `announce`.
 *
 * On load it reads the fleet URL, the page's path with its last segment (`dashboard`) replaced by
 * `fleet` (as the page finds its stream). A 404 (the module has no `fleet` option) or 403 (the
 * caller is not admitted to details) removes the fleet section: the page is the local one only.
 * Each cell shows, beside the indicator's status, its uptime on that replica over 1 h and 24 h
 * when the replica publishes them (history on): the view's `uptime1hPercent` and
 * `uptime24hPercent`, kept across the stream's transitions (which carry none) until the next
 * view or snapshot.
 * A 200 or a 503 with the last known view shows the section and subscribes to the fleet stream:
 * `snapshot` replaces everything, `transition` updates a cell, a replica's status or its
 * lifecycle (and is added to the feed), `instance` replaces or removes a row. Another answer, or
 * no answer, is tried again after 5 seconds. It renders with `textContent` only.
 *
 * Replica ages are taken from the view's `ageMs` figures against the browser's clock, never from
 * the server's clock, so that a skew between the two does not show as an age. The stream tells
 * when a replica turns stale but not each of its heartbeats, so the page reads the view again
 * every 10 seconds while it is visible, for the replicas' last seen only.
 */
export const FLEET_SCRIPT = String.raw`
  const FLEET = location.pathname.replace(/\/+$/, '').replace(/[^/]*$/, 'fleet');
  const FEED_SIZE = 50;
  const AGES_MS = 10000;
  const RANK = { up: 0, degraded: 1, down: 2 };
  const fleet = {
    service: '', policy: 'default', status: null, available: true, readAt: null,
    replicas: new Map(), rows: new Map(), columns: [], feedIds: new Set(),
  };

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function ago(atMs) {
    const seconds = Math.max(0, Math.round((Date.now() - atMs) / 1000));
    if (seconds < 60) return seconds + ' s ago';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min ago';
    if (seconds < 86400) return Math.floor(seconds / 3600) + ' h ago';
    return Math.floor(seconds / 86400) + ' d ago';
  }

  function badge(status) {
    const span = el('span', status, 'badge');
    span.dataset.status = status;
    return span;
  }

  function uptimeFigure(value) {
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  }

  function uptimeText(value) {
    if (value === null || value === undefined) return '—';
    return (value === 100 ? '100' : value.toFixed(1)) + ' %';
  }

  function isView(data) {
    return data !== null && typeof data === 'object' && Array.isArray(data.instances);
  }

  function replicaFrom(view, readAt) {
    const snap = view.snapshot && typeof view.snapshot === 'object' ? view.snapshot : null;
    const checks = {};
    if (snap && snap.checks) {
      for (const [name, check] of Object.entries(snap.checks)) {
        checks[name] = {
          status: check.status, since: check.since, message: check.message,
          uptime1h: uptimeFigure(check.uptime1hPercent), uptime24h: uptimeFigure(check.uptime24hPercent),
        };
      }
    }
    return {
      instance: String(view.instance),
      status: view.status,
      ready: view.ready === true,
      seenAt: readAt - (Number(view.ageMs) || 0),
      stale: view.stale === true,
      terminating: view.terminating === true,
      serving: snap ? snap.serving !== false : false,
      version: snap && snap.version ? snap.version : null,
      groups: snap && snap.groups ? Object.assign({}, snap.groups) : {},
      checks,
    };
  }

  // The fleet's status under its policy, as the server makes it (fleet-view.ts), for the changes
  // between two snapshots.
  function policyStatus(list) {
    if (list.length === 0) return 'down';
    const ready = list.filter((r) => r.ready).length;
    const allUp = list.every((r) => r.status === 'up' && !r.terminating);
    const policy = String(fleet.policy);
    if (policy === 'all') {
      if (list.some((r) => r.status === 'down' || r.stale)) return 'down';
      return allUp ? 'up' : 'degraded';
    }
    if (policy === 'any') {
      if (list.some((r) => r.status === 'up' && r.ready)) return 'up';
      return ready > 0 ? 'degraded' : 'down';
    }
    if (policy.startsWith('quorum:')) {
      if (ready < Number(policy.slice(7)) * list.length) return 'down';
      return allUp ? 'up' : 'degraded';
    }
    if (ready === 0) return 'down';
    return allUp ? 'up' : 'degraded';
  }

  function summarize(list) {
    const summary = { instances: list.length, ready: 0, byStatus: { up: 0, degraded: 0, down: 0, unknown: 0 }, stale: 0, terminating: 0 };
    for (const r of list) {
      if (r.status in summary.byStatus) summary.byStatus[r.status] += 1;
      if (r.ready) summary.ready += 1;
      if (r.stale) summary.stale += 1;
      if (r.terminating) summary.terminating += 1;
    }
    return summary;
  }

  function renderStatus(status) {
    const node = $('fleet-status');
    node.textContent = status;
    node.dataset.status = status;
    node.dataset.fleetStatus = status;
    if (fleet.status !== null && fleet.status !== status) announce('fleet is ' + status);
    fleet.status = status;
  }

  function renderSummary(summary) {
    const list = $('fleet-summary');
    const items = [
      ['instances', summary.instances, summary.instances === 1 ? 'instance' : 'instances'],
      ['ready', summary.ready, 'ready'],
    ];
    for (const status of ['up', 'degraded', 'down', 'unknown']) {
      items.push([status, (summary.byStatus || {})[status] || 0, status]);
    }
    items.push(['stale', summary.stale, 'stale'], ['terminating', summary.terminating, 'terminating']);
    list.replaceChildren(...items.map(([key, count, label]) => {
      const li = el('li');
      li.dataset.count = key;
      li.append(el('strong', count), ' ' + label);
      return li;
    }));
  }

  function renderNotice() {
    const notice = $('fleet-unavailable');
    notice.hidden = fleet.available;
    if (fleet.available) return;
    notice.textContent = fleet.readAt === null
      ? 'fleet data unavailable'
      : 'fleet data unavailable — showing the view from ' + Math.max(0, Math.round((Date.now() - fleet.readAt) / 1000)) + ' s ago';
  }

  function columnsOf() {
    const names = new Set();
    for (const r of fleet.replicas.values()) for (const name of Object.keys(r.checks)) names.add(name);
    return [...names].sort();
  }

  function marker(kind) {
    const span = el('span', kind, 'marker');
    span.dataset.marker = kind;
    return span;
  }

  function buildRow(r) {
    const tr = el('tr');
    tr.dataset.instance = r.instance;
    tr.dataset.status = r.status;
    if (r.stale) tr.dataset.stale = '';
    if (r.terminating) tr.dataset.terminating = '';
    const name = el('th', null, 'replica');
    name.scope = 'row';
    name.append(el('span', r.instance, 'replica-name'));
    if (r.stale) name.append(' ', marker('stale'));
    if (r.terminating) name.append(' ', marker('terminating'));
    tr.append(name);
    const status = el('td', null, 'replica-status');
    status.append(badge(r.status));
    tr.append(status, el('td', r.ready ? 'yes' : 'no', 'replica-ready'));
    const seen = el('td', ago(r.seenAt), 'replica-seen');
    seen.dataset.seenAt = String(r.seenAt);
    tr.append(seen, el('td', r.version || '—', 'replica-version'));
    for (const column of fleet.columns) {
      const td = el('td', null, 'cell');
      td.dataset.check = column;
      const check = r.checks[column];
      if (check) {
        td.dataset.status = check.status;
        td.append(badge(check.status));
        if (check.uptime1h !== null || check.uptime24h !== null) {
          const uptime = el('span', null, 'cell-uptime');
          uptime.dataset.uptime1h = check.uptime1h === null ? '' : String(check.uptime1h);
          uptime.dataset.uptime24h = check.uptime24h === null ? '' : String(check.uptime24h);
          uptime.append(el('span', uptimeText(check.uptime1h), 'uptime-1h'), ' · ', el('span', uptimeText(check.uptime24h), 'uptime-24h'));
          uptime.setAttribute('aria-label', 'up ' + uptimeText(check.uptime1h) + ' over 1 h, ' + uptimeText(check.uptime24h) + ' over 24 h');
          td.append(' ', uptime);
        }
        const title = [];
        if (check.message) title.push(check.message);
        if (check.uptime1h !== null) title.push('up ' + uptimeText(check.uptime1h) + ' over 1 h, ' + uptimeText(check.uptime24h) + ' over 24 h on this replica');
        if (title.length) td.title = title.join(' — ');
      } else {
        const none = el('span', '—');
        none.setAttribute('aria-hidden', 'true');
        td.append(none, el('span', 'no data', 'sr-only'));
      }
      tr.append(td);
    }
    return tr;
  }

  function renderHead() {
    const row = el('tr');
    for (const [label, className] of [['Replica', 'replica'], ['Status'], ['Ready'], ['Last seen'], ['Version']]) {
      const th = el('th', label, className);
      th.scope = 'col';
      row.append(th);
    }
    for (const column of fleet.columns) {
      const th = el('th', column, 'check');
      th.scope = 'col';
      th.dataset.check = column;
      row.append(th);
    }
    $('fleet-head').replaceChildren(row);
  }

  function renderGrid() {
    fleet.columns = columnsOf();
    renderHead();
    fleet.rows.clear();
    const names = [...fleet.replicas.keys()].sort();
    $('fleet-rows').replaceChildren(...names.map((name) => {
      const tr = buildRow(fleet.replicas.get(name));
      fleet.rows.set(name, tr);
      return tr;
    }));
    $('fleet-empty').hidden = names.length > 0;
    // The note on the uptime figures, only when some replica publishes them.
    $('fleet-uptime-note').hidden = ![...fleet.replicas.values()].some((r) =>
      Object.values(r.checks).some((check) => check.uptime1h !== null || check.uptime24h !== null));
  }

  // One replica changed: its row alone is rebuilt, unless the columns changed with it.
  function renderReplica(name) {
    const columns = columnsOf();
    if (columns.join('\n') !== fleet.columns.join('\n')) renderGrid();
    else {
      const old = fleet.rows.get(name);
      const r = fleet.replicas.get(name);
      if (!r) {
        if (old) old.remove();
        fleet.rows.delete(name);
      } else {
        const tr = buildRow(r);
        if (old) old.replaceWith(tr);
        else {
          const next = [...fleet.rows.keys()].sort().find((other) => other > name);
          $('fleet-rows').insertBefore(tr, next === undefined ? null : fleet.rows.get(next));
        }
        fleet.rows.set(name, tr);
      }
      $('fleet-empty').hidden = fleet.rows.size > 0;
    }
    const list = [...fleet.replicas.values()];
    renderSummary(summarize(list));
    renderStatus(policyStatus(list));
  }

  function applyView(view) {
    const readAt = Date.now() - (Number(view.ageMs) || 0);
    fleet.service = String(view.service || '');
    fleet.policy = String(view.policy || 'default');
    fleet.available = view.available !== false;
    fleet.readAt = readAt;
    fleet.replicas.clear();
    for (const instance of view.instances) {
      if (instance && typeof instance === 'object') fleet.replicas.set(String(instance.instance), replicaFrom(instance, readAt));
    }
    $('fleet-service').textContent = fleet.service;
    $('fleet-policy').textContent = 'policy: ' + fleet.policy;
    renderGrid();
    renderSummary(view.summary || summarize([...fleet.replicas.values()]));
    renderStatus(view.status);
    renderNotice();
  }

  function unavailable() {
    fleet.available = false;
    renderNotice();
  }

  function describe(t) {
    if (t.kind === 'instance') return 'replica ' + t.current;
    return (t.kind === 'group' ? 'group ' : '') + t.name + ': ' + (t.previous || '—') + ' → ' + t.current;
  }

  function feed(entry) {
    const list = $('fleet-feed');
    const li = el('li');
    li.dataset.instance = entry.instance;
    li.dataset.kind = entry.kind;
    const time = el('time', new Date(entry.at).toLocaleTimeString());
    time.dateTime = new Date(entry.at).toISOString();
    li.append(time, ' ', el('span', entry.instance, 'feed-instance'), ' ', el('span', entry.change, 'feed-change'));
    if (entry.message) li.append(' ', el('span', entry.message, 'feed-message'));
    list.prepend(li);
    while (list.childElementCount > FEED_SIZE) list.lastElementChild.remove();
    $('fleet-feed-empty').hidden = true;
  }

  function groupsWorst(groups) {
    let worst = 'up';
    for (const group of Object.values(groups)) {
      if ((RANK[group.status] ?? 2) > RANK[worst]) worst = group.status;
    }
    return worst;
  }

  function readyOf(r) {
    const readiness = r.groups.readiness;
    return !r.stale && !r.terminating && r.serving && (readiness === undefined || readiness.status !== 'down');
  }

  function transition(t) {
    if (!t || typeof t !== 'object' || typeof t.instance !== 'string') return;
    if (t.id) {
      if (fleet.feedIds.has(t.id)) return;
      fleet.feedIds.add(t.id);
      if (fleet.feedIds.size > FEED_SIZE * 4) fleet.feedIds.delete(fleet.feedIds.values().next().value);
    }
    const at = Number.isNaN(Date.parse(t.since)) ? Date.now() : Date.parse(t.since);
    feed({ instance: t.instance, kind: t.kind, change: describe(t), message: t.message, at });
    let r = fleet.replicas.get(t.instance);
    if (t.kind === 'instance' && t.current === 'left') {
      fleet.replicas.delete(t.instance);
      renderReplica(t.instance);
      return;
    }
    if (!r) {
      r = { instance: t.instance, status: 'unknown', ready: false, seenAt: Date.now(), stale: false, terminating: false, serving: true, version: null, groups: {}, checks: {} };
      fleet.replicas.set(t.instance, r);
    }
    // A replica's transitions come with its publishes: it was seen now.
    r.seenAt = Date.now();
    if (t.kind === 'indicator') {
      // A transition carries no uptime: the figures of the last view stay until the next one.
      const known = r.checks[t.name];
      r.checks[t.name] = {
        status: t.current, since: t.since, message: t.message,
        uptime1h: known ? known.uptime1h : null, uptime24h: known ? known.uptime24h : null,
      };
    } else if (t.kind === 'group') {
      r.groups[t.name] = { status: t.current, since: t.since };
      if (t.name === 'readiness') r.serving = t.current !== 'down';
      if (!r.stale) r.status = groupsWorst(r.groups);
    } else if (t.kind === 'instance') {
      r.terminating = t.current === 'terminating';
    }
    r.ready = readyOf(r);
    renderReplica(t.instance);
  }

  function instance(data) {
    if (!data || typeof data !== 'object' || typeof data.instance !== 'string') return;
    const before = fleet.replicas.get(data.instance);
    if (data.view === null) {
      if (!before) return;
      fleet.replicas.delete(data.instance);
      feed({ instance: data.instance, kind: 'view', change: 'replica left the view', at: Date.now() });
    } else if (data.view && typeof data.view === 'object') {
      const r = replicaFrom(data.view, Date.now());
      fleet.replicas.set(data.instance, r);
      if (r.stale && !(before && before.stale)) {
        feed({ instance: data.instance, kind: 'view', change: 'replica stale', at: Date.now() });
      } else if (!r.stale && before && before.stale) {
        feed({ instance: data.instance, kind: 'view', change: 'replica back', at: Date.now() });
      }
    } else return;
    renderReplica(data.instance);
  }

  function fleetConnection(state, text) {
    const node = $('fleet-connection');
    node.dataset.state = state;
    node.textContent = text;
  }

  function parse(text) {
    try { return JSON.parse(text); } catch { return null; }
  }

  function connectFleet() {
    const source = new EventSource(FLEET + '/stream');
    source.addEventListener('open', () => fleetConnection('live', 'live'));
    source.addEventListener('error', () => {
      const closed = source.readyState === EventSource.CLOSED;
      fleetConnection(closed ? 'closed' : 'reconnecting', closed ? 'disconnected' : 'reconnecting…');
      if (closed) setTimeout(connectFleet, 3000);
    });
    source.addEventListener('snapshot', (event) => {
      fleetConnection('live', 'live');
      const view = parse(event.data);
      if (isView(view)) applyView(view);
    });
    source.addEventListener('transition', (event) => transition(parse(event.data)));
    source.addEventListener('instance', (event) => instance(parse(event.data)));
  }

  function loadFleet() {
    const retry = () => setTimeout(loadFleet, 5000);
    fetch(FLEET, { headers: { accept: 'application/json' }, cache: 'no-store' }).then(async (response) => {
      if (response.status === 404 || response.status === 403) {
        $('fleet').remove();
        return;
      }
      const body = parse(await response.text());
      if (response.status === 200 && isView(body)) applyView(body);
      else if (response.status === 503) {
        if (isView(body)) applyView(Object.assign({}, body, { available: false }));
        else unavailable();
      } else return retry();
      $('fleet').hidden = false;
      connectFleet();
    }, retry);
  }

  // The stream tells when a replica turns stale, not each of its heartbeats: its last seen is
  // read again with the view every AGES_MS (ages only; the stream stays the source of statuses).
  function refreshAges() {
    if (!document.getElementById('fleet') || document.hidden || !fleet.available) return;
    fetch(FLEET, { headers: { accept: 'application/json' }, cache: 'no-store' }).then(async (response) => {
      const view = response.status === 200 ? parse(await response.text()) : null;
      if (!isView(view)) return;
      const readAt = Date.now() - (Number(view.ageMs) || 0);
      for (const instance of view.instances) {
        const r = instance && fleet.replicas.get(String(instance.instance));
        if (!r || r.stale !== (instance.stale === true)) continue;
        r.seenAt = Math.max(r.seenAt, readAt - (Number(instance.ageMs) || 0));
        const seen = fleet.rows.get(r.instance)?.querySelector('td.replica-seen');
        if (seen) {
          seen.dataset.seenAt = String(r.seenAt);
          seen.textContent = ago(r.seenAt);
        }
      }
    }, () => undefined);
  }

  setInterval(refreshAges, AGES_MS);
  setInterval(() => {
    if (!document.getElementById('fleet')) return;
    for (const node of document.querySelectorAll('#fleet-rows td.replica-seen')) {
      node.textContent = ago(Number(node.dataset.seenAt));
    }
    renderNotice();
  }, 1000);
  loadFleet();
`;

/** The fleet section's style (in the page's one `<style>`, pinned by hash). */
export const FLEET_STYLE = `
#fleet { margin-top: 32px; }
#fleet h2 { font-size: 18px; margin: 0; }
#fleet h3 { font-size: 15px; margin: 20px 0 4px; }
#fleet-service { font-family: ui-monospace, monospace; word-break: break-all; }
#fleet-policy, #fleet-connection { font-size: 13px; opacity: .8; }
#fleet-connection[data-state="live"]::before { content: "● "; color: var(--up); }
#fleet-connection[data-state="reconnecting"]::before, #fleet-connection[data-state="closed"]::before { content: "● "; color: var(--down); }
#fleet-summary { display: flex; flex-wrap: wrap; gap: 4px 16px; list-style: none; padding: 0; margin: 8px 0 0; font-size: 14px; }
#fleet-unavailable { margin: 8px 0 0; padding: 8px 12px; border-left: 4px solid var(--down); background: color-mix(in srgb, var(--down) 12%, transparent); }
.grid { overflow: auto; max-height: 75vh; margin-top: 12px; border: 1px solid color-mix(in srgb, currentColor 15%, transparent); }
.grid:focus-visible { outline: 2px solid var(--unknown); }
.grid table { margin: 0; }
#fleet th { opacity: 1; color: color-mix(in srgb, currentColor 75%, transparent); }
#fleet-grid th, #fleet-grid td { padding: 4px 8px; white-space: nowrap; }
#fleet-grid thead th { position: sticky; top: 0; z-index: 1; background: Canvas; }
#fleet-grid .replica { position: sticky; left: 0; background: Canvas; }
#fleet-grid thead th.replica { z-index: 2; }
#fleet-grid tbody th.replica { text-transform: none; letter-spacing: 0; font-size: 14px; color: CanvasText;
  font-family: ui-monospace, monospace; font-weight: 600; }
@media (max-width: 480px) {
  #fleet-grid tbody th.replica { white-space: normal; word-break: break-all; min-width: 7em; max-width: 9em; }
}
#fleet-grid .badge { font-size: 11px; padding: 1px 8px; }
#fleet-grid .cell-uptime { font-size: 12px; opacity: .8; font-variant-numeric: tabular-nums; }
#fleet-uptime-note { margin: 8px 0 0; font-size: 13px; opacity: .8; }
#fleet-grid td.replica-seen { font-variant-numeric: tabular-nums; }
.marker { display: inline-block; margin-left: 4px; padding: 0 6px; border: 1px dashed currentColor; border-radius: 4px;
  font-family: system-ui, sans-serif; font-size: 11px; font-weight: 600; text-transform: uppercase; }
.marker[data-marker="stale"] { color: var(--unknown); }
.marker[data-marker="terminating"] { color: var(--degraded); }
#fleet-grid tr[data-stale] .replica-name { font-style: italic; }
#fleet-feed { list-style: none; padding: 0; margin: 0; font-size: 14px; }
#fleet-feed li { padding: 4px 0; border-bottom: 1px solid color-mix(in srgb, currentColor 10%, transparent); word-break: break-word; }
#fleet-feed time { font-variant-numeric: tabular-nums; opacity: .7; }
.feed-instance { font-family: ui-monospace, monospace; font-weight: 600; }
.feed-message { opacity: .85; }
`;

/** The fleet section: hidden until the fleet answers; removed when the module has no fleet. */
export const FLEET_MARKUP = `<section id="fleet" aria-labelledby="fleet-title" hidden>
  <header>
    <h2 id="fleet-title">Fleet <span id="fleet-service"></span></h2>
    <span id="fleet-status" class="badge" data-status="unknown" data-fleet-status="unknown" role="status" aria-label="fleet status">unknown</span>
    <span id="fleet-policy"></span>
    <span id="fleet-connection" data-state="connecting">connecting…</span>
  </header>
  <ul id="fleet-summary" aria-label="fleet summary"></ul>
  <p id="fleet-unavailable" role="status" hidden></p>
  <p id="fleet-uptime-note" hidden>Beside each status, with history on: the indicator's uptime on that replica over 1 h · 24 h.</p>
  <div class="grid" role="region" aria-labelledby="fleet-grid-caption" tabindex="0">
    <table id="fleet-grid">
      <caption id="fleet-grid-caption" class="sr-only">Replicas and their indicators</caption>
      <thead id="fleet-head"></thead>
      <tbody id="fleet-rows"></tbody>
    </table>
  </div>
  <p id="fleet-empty" hidden>No replica in the fleet.</p>
  <h3 id="fleet-feed-title">Latest transitions</h3>
  <p id="fleet-feed-empty">No transition yet.</p>
  <ol id="fleet-feed" aria-labelledby="fleet-feed-title"></ol>
</section>`;
