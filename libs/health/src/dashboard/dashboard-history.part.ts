/**
 * The dashboard's history view: the part of the page's script, style and markup that reads
 * `GET <path>/history?window=1h` and shows, per indicator, the uptime bar of the last 60 buckets,
 * the uptime over 1 h and 24 h and a latency chart, plus the list of the latest transitions.
 * `dashboard.page.ts` puts them into the one page; the script runs inside the page script's
 * function and uses its `$`, `node`, `models`, `schedule`, `groupsState` and `SEVERITY`.
 *
 * The history is read once at load, again just after each bucket closes (every `bucketMs`, a
 * minute by default, from the answer), and one second after the stream reports an indicator's
 * change; between two reads the stream keeps the bar's open bucket and the transitions list
 * live, so an indicator going down and up shows without a reload. A 404 (`history: false`)
 * hides the uptime parts and draws the chart from the latencies the stream brings. A caller the
 * details policy does not admit gets statuses only: the bar, the uptime, the chart and the
 * messages are left out, and the page says so. Another answer, or none, is tried again after 10
 * seconds. It renders with `textContent` only; the figures come from the server's buckets (no
 * charting library: the chart is inline SVG).
 */
export const HISTORY_SCRIPT = String.raw`
  const BEATS = 60;
  const HISTORY_URL = location.pathname.replace(/\/+$/, '').replace(/[^/]*$/, 'history') + '?window=1h';
  const TRANSITIONS_SHOWN = 50;
  const SVG = 'http://www.w3.org/2000/svg';
  const CHART = { width: 320, height: 104, left: 56, right: 314, top: 8, bottom: 84 };
  const hist = {
    state: 'loading', details: 'full', bucketMs: 60000, timestamp: 0, inflight: false, again: false,
    timer: 0, soon: 0, subjects: {}, groups: {}, bars: new Map(), fromHistory: [], live: [],
    transitionsDirty: false, applied: false, marked: false,
  };

  function percent(value) {
    if (typeof value !== 'number') return '—';
    return (value === 100 ? '100' : value.toFixed(2)) + ' %';
  }

  function ms(value) {
    if (typeof value !== 'number') return '—';
    return (value >= 100 ? Math.round(value) : value >= 10 ? value.toFixed(1) : value.toFixed(2)) + ' ms';
  }

  // A duration as its two largest units, leaving out a zero second one: "3 min 5 s", "1 h".
  function lasted(msValue) {
    if (msValue < 1000) return Math.round(msValue) + ' ms';
    const seconds = Math.round(msValue / 1000);
    const pair = (big, bigUnit, small, smallUnit) => big + ' ' + bigUnit + (small ? ' ' + small + ' ' + smallUnit : '');
    if (seconds < 60) return seconds + ' s';
    if (seconds < 3600) return pair(Math.floor(seconds / 60), 'min', seconds % 60, 's');
    if (seconds < 86400) return pair(Math.floor(seconds / 3600), 'h', Math.floor((seconds % 3600) / 60), 'min');
    return pair(Math.floor(seconds / 86400), 'd', Math.floor((seconds % 86400) / 3600), 'h');
  }

  // One formatter for every time shown: building one per call would cost more than the render.
  const CLOCK = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

  function clock(atMs) {
    return CLOCK.format(atMs);
  }

  function worse(a, b) {
    if (a === null || a === undefined) return b;
    if (b === null || b === undefined) return a;
    return (SEVERITY[b] ?? -1) > (SEVERITY[a] ?? -1) ? b : a;
  }

  // The parts of one indicator's card that show its history, built once per card.
  function historyParts() {
    const uptime = node('p', 'uptime');
    const windows = {};
    for (const [key, label] of [['1h', '1 h'], ['24h', '24 h']]) {
      const item = node('span', 'uptime-window');
      item.dataset.window = key;
      const value = node('span', 'uptime-value', '—');
      item.append(value, ' ', node('span', 'uptime-label', 'up, ' + label));
      uptime.append(item);
      windows[key] = value;
    }
    const beats = node('div', 'beats');
    beats.setAttribute('role', 'img');
    const cells = [];
    for (let i = 0; i < BEATS; i += 1) {
      const cell = node('span', 'beat');
      cell.dataset.status = 'none';
      cells.push(cell);
    }
    beats.append(...cells);
    const axis = node('div', 'beats-axis');
    axis.setAttribute('aria-hidden', 'true');
    const axisFrom = node('span', null, '');
    axis.append(axisFrom, node('span', null, 'now'));
    const chart = document.createElementNS(SVG, 'svg');
    chart.setAttribute('class', 'chart');
    chart.setAttribute('viewBox', '0 0 ' + CHART.width + ' ' + CHART.height);
    chart.setAttribute('role', 'img');
    const latency = node('p', 'latency');
    return { uptime, windows, beats, cells, axis, axisFrom, chart, latency, drawn: '', bars: undefined, barsVersion: -1 };
  }

  // The last BEATS buckets of a subject, oldest first: { from, bucketMs, worst[], latency[] }.
  function barsOf(subject) {
    const buckets = subject && subject.buckets;
    if (!buckets || !Array.isArray(buckets.worst)) return null;
    const skip = Math.max(0, buckets.count - BEATS);
    const pad = Math.max(0, BEATS - buckets.count);
    const worst = new Array(pad).fill(null).concat(buckets.worst.slice(skip));
    const latency = new Array(pad).fill(null).concat((buckets.latencyMs || []).slice(skip));
    while (latency.length < BEATS) latency.push(null);
    const runs = new Array(pad).fill(null).concat((buckets.runs || []).slice(skip));
    const failures = new Array(pad).fill(null).concat((buckets.failures || []).slice(skip));
    const from = Date.parse(buckets.from) + (skip - pad) * buckets.bucketMs;
    return { from, bucketMs: buckets.bucketMs, worst, latency, runs, failures, version: 0 };
  }

  // The stream says an indicator is in a status at a time: the bucket holding that time shows it
  // (at least as bad), shifting the bar when a new bucket has begun since the last read.
  function markBar(name, status, atMs) {
    const bars = hist.bars.get(name);
    if (!bars || !(status in SEVERITY)) return;
    let index = Math.floor((atMs - bars.from) / bars.bucketMs);
    if (index < 0) return;
    if (index >= BEATS) {
      const shift = Math.min(BEATS, index - BEATS + 1);
      for (const key of ['worst', 'latency', 'runs', 'failures']) {
        bars[key].splice(0, shift);
        for (let i = 0; i < shift; i += 1) bars[key].push(null);
      }
      bars.from += shift * bars.bucketMs;
      index = BEATS - 1;
      bars.version += 1;
    }
    const next = worse(bars.worst[index], status);
    if (next !== bars.worst[index]) {
      bars.worst[index] = next;
      bars.version += 1;
    }
  }

  function beatTitle(bars, i) {
    const start = bars.from + i * bars.bucketMs;
    const status = bars.worst[i];
    let text = clock(start) + ' – ' + clock(start + bars.bucketMs) + ': ' + (status || 'no data');
    if (typeof bars.runs[i] === 'number' && bars.runs[i] > 0) {
      text += ', ' + bars.runs[i] + (bars.runs[i] === 1 ? ' run' : ' runs');
      if (bars.failures[i]) text += ', ' + bars.failures[i] + ' failed';
    }
    const latency = bars.latency[i];
    if (latency) text += ', p50 ' + ms(latency.p50) + ', p95 ' + ms(latency.p95);
    return text;
  }

  // Only when the bar changed since it was last drawn (a new read, or the stream marked a cell).
  function renderBeats(parts, bars) {
    const version = bars ? bars.version : -1;
    if (parts.bars === bars && parts.barsVersion === version) return;
    parts.bars = bars;
    parts.barsVersion = version;
    const counts = { up: 0, degraded: 0, down: 0, none: 0 };
    for (let i = 0; i < BEATS; i += 1) {
      const status = bars ? bars.worst[i] || 'none' : 'none';
      counts[status in counts ? status : 'none'] += 1;
      const cell = parts.cells[i];
      if (cell.dataset.status !== status) cell.dataset.status = status;
      const title = bars ? beatTitle(bars, i) : 'no data';
      if (cell.title !== title) cell.title = title;
    }
    const span = bars ? lasted(BEATS * bars.bucketMs) : lasted(BEATS * hist.bucketMs);
    parts.axisFrom.textContent = span + ' ago';
    parts.beats.setAttribute('aria-label', 'Last ' + span + ', one bar per ' + lasted(bars ? bars.bucketMs : hist.bucketMs) + ': ' +
      counts.up + ' up, ' + counts.degraded + ' degraded, ' + counts.down + ' down, ' + counts.none + ' without data');
  }

  // A 1-2-5 ceiling for the y axis, in milliseconds.
  function niceCeil(value) {
    if (!(value > 0)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
    return 10 * power;
  }

  function svg(tag, attributes, text) {
    const element = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  // A path through the points, broken where a point is missing, and a dot for each lone point
  // (a bucket whose neighbours have no runs would otherwise not show).
  function lineOf(className, values, x, y) {
    const shapes = [];
    let d = '';
    values.forEach((value, i) => {
      if (typeof value !== 'number') return;
      const joined = typeof values[i - 1] === 'number';
      d += (joined ? ' L' : ' M') + x(i).toFixed(1) + ' ' + y(value).toFixed(1);
      if (!joined && typeof values[i + 1] !== 'number') {
        shapes.push(svg('circle', { class: className, cx: x(i).toFixed(1), cy: y(value).toFixed(1), r: 2.5 }));
      }
    });
    if (d) shapes.unshift(svg('path', { class: className, d: d.trim() }));
    return shapes;
  }

  // The chart: p50 (solid) and p95 (dashed) per bucket, or the last runs' latency without history.
  function renderChart(parts, series) {
    const key = JSON.stringify(series);
    if (key === parts.drawn) return;
    parts.drawn = key;
    const all = series.lines.flatMap((line) => line.values).filter((v) => typeof v === 'number');
    const top = niceCeil(Math.max(0, ...all));
    const x = (i) => CHART.left + ((i + 0.5) * (CHART.right - CHART.left)) / series.count;
    const y = (v) => CHART.bottom - (Math.min(v, top) / top) * (CHART.bottom - CHART.top);
    const children = [];
    for (const tick of [0, top / 2, top]) {
      children.push(svg('line', { class: 'gridline', x1: CHART.left, x2: CHART.right, y1: y(tick), y2: y(tick) }));
      children.push(svg('text', { class: 'tick', x: CHART.left - 4, y: y(tick) + 3, 'text-anchor': 'end' }, Number(tick.toPrecision(3)) + ' ms'));
    }
    children.push(svg('text', { class: 'tick', x: CHART.left, y: CHART.height - 4 }, series.fromLabel));
    children.push(svg('text', { class: 'tick', x: CHART.right, y: CHART.height - 4, 'text-anchor': 'end' }, series.toLabel));
    for (const line of series.lines) children.push(...lineOf(line.className, line.values, x, y));
    if (all.length === 0) {
      children.push(svg('text', { class: 'tick', x: (CHART.left + CHART.right) / 2, y: (CHART.top + CHART.bottom) / 2, 'text-anchor': 'middle' }, 'no latency yet'));
    }
    parts.chart.replaceChildren(...children);
    parts.chart.setAttribute('aria-label', series.summary);
  }

  function chartSeries(model, bars) {
    if (bars) {
      const p50 = bars.latency.map((l) => (l ? l.p50 : null));
      const p95 = bars.latency.map((l) => (l ? l.p95 : null));
      const last = [...bars.latency].reverse().find((l) => l);
      const span = lasted(BEATS * bars.bucketMs);
      return {
        count: BEATS, fromLabel: span + ' ago', toLabel: 'now', last,
        lines: [{ className: 'p95', values: p95 }, { className: 'p50', values: p50 }],
        summary: 'Latency over the last ' + span + ' per ' + lasted(bars.bucketMs) + (last ? ': latest p50 ' + ms(last.p50) + ', p95 ' + ms(last.p95) : ': no runs'),
      };
    }
    const values = model.live.values;
    return {
      count: Math.max(values.length, 2), fromLabel: values.length + ' runs ago', toLabel: 'last run', last: null,
      lines: [{ className: 'p50', values }],
      summary: 'Latency of the last ' + values.length + ' runs' + (values.length ? ', max ' + ms(Math.max(...values)) : ''),
    };
  }

  // Everything of one card that comes from the history (or, without it, from the live runs).
  function renderHistory(card, model, name) {
    const parts = card.history;
    const subject = hist.subjects[name];
    const bars = hist.bars.get(name) || null;
    const uptime = subject && subject.uptime;
    parts.windows['1h'].textContent = percent(uptime && uptime['1h'] ? uptime['1h'].up : null);
    parts.windows['24h'].textContent = percent(uptime && uptime['24h'] ? uptime['24h'].up : null);
    renderBeats(parts, bars);
    if (hist.details === 'withheld') return;
    const series = chartSeries(model, bars);
    renderChart(parts, series);
    const durationMs = model.check.durationMs;
    parts.latency.replaceChildren(
      'last ', node('strong', 'latency-last', typeof durationMs === 'number' ? ms(durationMs) : '—'),
    );
    if (series.last) {
      parts.latency.append(' · ', node('span', 'key-p50', 'p50 ' + ms(series.last.p50)), ' · ',
        node('span', 'key-p95', 'p95 ' + ms(series.last.p95)), ' (last ' + lasted(bars.bucketMs) + ')');
    }
  }

  function transitionOf(name, t) {
    return { name, from: t.from, to: t.to, at: Date.parse(t.at), durationMs: t.durationMs, message: t.message || '' };
  }

  // A change from the stream: into the live list until the next read of the history has it.
  function liveTransition(name, data, previousSince) {
    const at = Date.parse(data.since);
    if (Number.isNaN(at)) return;
    const durationMs = previousSince && !Number.isNaN(Date.parse(previousSince)) ? Math.max(0, at - Date.parse(previousSince)) : null;
    hist.live.push({ name, from: data.previous, to: data.current, at, durationMs, message: data.message || '' });
    if (hist.live.length > TRANSITIONS_SHOWN) hist.live.shift();
    hist.transitionsDirty = true;
    markBar(name, data.current, at);
    if (hist.state === 'off') return;
    clearTimeout(hist.soon);
    hist.soon = setTimeout(loadHistory, 1000);
  }

  function transitionItem(t) {
    const li = node('li', 'transition');
    li.dataset.check = t.name;
    li.dataset.to = t.to;
    const time = node('time', null, clock(t.at));
    time.dateTime = new Date(t.at).toISOString();
    const change = node('span', 't-change');
    const from = node('span', 't-status', t.from);
    from.dataset.status = t.from;
    const to = node('span', 't-status', t.to);
    to.dataset.status = t.to;
    change.append(from, ' → ', to);
    li.append(time, ' ', node('span', 't-name', t.name), ' ', change);
    if (typeof t.durationMs === 'number') li.append(' ', node('span', 't-lasted', '(' + t.from + ' for ' + lasted(t.durationMs) + ')'));
    if (t.message) li.append(' — ', node('span', 't-message', t.message));
    return li;
  }

  function renderTransitions() {
    if (!hist.transitionsDirty) return;
    hist.transitionsDirty = false;
    const list = hist.fromHistory.concat(hist.live).filter((t) => models.has(t.name));
    list.sort((a, b) => b.at - a.at);
    const shown = list.slice(0, TRANSITIONS_SHOWN);
    $('transitions').replaceChildren(...shown.map(transitionItem));
    $('transitions-empty').hidden = shown.length > 0;
  }

  // After every frame's render: the transitions, and once the first history is drawn, the time
  // it took from the navigation (for the specs and for whoever wonders).
  function afterRender() {
    renderTransitions();
    if (hist.applied && !hist.marked && models.size > 0) {
      hist.marked = true;
      document.body.dataset.historyRenderedMs = String(Math.round(performance.now()));
    }
  }

  function applyHistory(body) {
    hist.state = 'on';
    hist.details = body.details === 'withheld' ? 'withheld' : 'full';
    document.body.dataset.details = hist.details;
    document.body.dataset.history = 'on';
    $('withheld').hidden = hist.details !== 'withheld';
    hist.timestamp = Date.parse(body.timestamp);
    hist.subjects = body.indicators || {};
    hist.groups = body.groups || {};
    hist.bars.clear();
    hist.fromHistory = [];
    for (const [name, subject] of Object.entries(hist.subjects)) {
      const bars = barsOf(subject);
      if (bars) {
        hist.bars.set(name, bars);
        hist.bucketMs = bars.bucketMs;
      }
      for (const t of subject.transitions || []) hist.fromHistory.push(transitionOf(name, t));
    }
    // The stream's changes the history already has are those up to its answer.
    hist.live = hist.live.filter((t) => t.at > hist.timestamp);
    for (const t of hist.live) markBar(t.name, t.to, t.at);
    hist.transitionsDirty = true;
    hist.applied = true;
    for (const name of models.keys()) schedule(name);
    schedule(null);
  }

  function planHistory(delayMs) {
    clearTimeout(hist.timer);
    hist.timer = setTimeout(loadHistory, delayMs);
  }

  function loadHistory() {
    if (hist.inflight) { hist.again = true; return; }
    hist.inflight = true;
    let next = 10000;
    fetch(HISTORY_URL, { headers: { accept: 'application/json' }, cache: 'no-store' }).then(async (response) => {
      if (response.status === 404) {
        hist.state = 'off';
        document.body.dataset.history = 'off';
        hist.applied = true;
        next = 0;
        for (const name of models.keys()) schedule(name);
        return;
      }
      if (response.status !== 200) return;
      applyHistory(await response.json());
      // Just after the open bucket closes.
      const closesIn = hist.bucketMs - ((Date.now() - (hist.bars.values().next().value?.from ?? Date.now())) % hist.bucketMs);
      next = Math.max(1000, closesIn + 500);
    }).catch(() => undefined).finally(() => {
      hist.inflight = false;
      if (hist.again) { hist.again = false; loadHistory(); } else if (next > 0) planHistory(next);
    });
  }
`;

/** The history view's style (in the page's one `<style>`, pinned by hash). */
export const HISTORY_STYLE = `
#checks { list-style: none; padding: 0; margin: 16px 0 0; display: grid; gap: 12px;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 340px), 1fr)); }
.check { min-width: 0; padding: 10px 12px; border: 1px solid color-mix(in srgb, currentColor 15%, transparent);
  border-left: 4px solid var(--unknown); border-radius: 6px; }
.check[data-status="up"] { border-left-color: var(--up); }
.check[data-status="degraded"] { border-left-color: var(--degraded); }
.check[data-status="down"] { border-left-color: var(--down); }
.check-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 8px; }
.check-head .name { margin: 0; font: 600 15px/1.3 ui-monospace, monospace; word-break: break-all; }
.check-head .groups, .check-head .since { font-size: 12px; opacity: .75; }
.check-head .since { margin-left: auto; white-space: nowrap; font-variant-numeric: tabular-nums; }
.uptime { display: flex; flex-wrap: wrap; gap: 2px 16px; margin: 6px 0 0; font-size: 13px; }
.uptime-value { font-weight: 600; font-variant-numeric: tabular-nums; }
.uptime-label { opacity: .75; }
.beats { display: flex; gap: 1px; height: 22px; margin-top: 6px; }
.beat { flex: 1 1 0; min-width: 0; border-radius: 2px; background: color-mix(in srgb, var(--unknown) 30%, transparent); }
.beat[data-status="up"] { background: var(--up); }
.beat[data-status="degraded"] { background: var(--degraded); }
.beat[data-status="down"] { background: var(--down); }
.beats-axis { display: flex; justify-content: space-between; font-size: 11px; opacity: .7; }
.chart { display: block; width: 100%; height: auto; margin-top: 6px; }
.chart .tick { font-size: 11px; fill: currentColor; opacity: .75; font-variant-numeric: tabular-nums; }
.chart .gridline { stroke: currentColor; stroke-opacity: .15; }
.chart path { fill: none; stroke-width: 1.5; stroke-linecap: round; stroke-linejoin: round; }
.chart .p50, .key-p50 { stroke: var(--p50); color: var(--p50); }
.chart .p95, .key-p95 { stroke: var(--p95); color: var(--p95); }
.chart .p95 { stroke-dasharray: 4 3; }
.chart circle.p50 { fill: var(--p50); stroke: none; }
.chart circle.p95 { fill: none; stroke-width: 1.5; stroke-dasharray: none; }
.key-p50, .key-p95 { white-space: nowrap; }
.latency { margin: 0; font-size: 13px; font-variant-numeric: tabular-nums; }
.check .message { margin: 6px 0 0; font-size: 13px; opacity: .85; word-break: break-word; }
.check .message:empty { display: none; }
body[data-history="off"] .uptime, body[data-history="off"] .beats, body[data-history="off"] .beats-axis,
body[data-details="withheld"] .uptime, body[data-details="withheld"] .beats,
body[data-details="withheld"] .beats-axis, body[data-details="withheld"] .chart,
body[data-details="withheld"] .latency { display: none; }
#withheld { margin: 12px 0 0; font-size: 13px; opacity: .8; }
#groups { display: flex; flex-wrap: wrap; gap: 4px 8px; list-style: none; margin: 0; padding: 0; }
#groups li { display: inline-flex; align-items: baseline; gap: 4px; font-size: 13px; }
#groups .badge { font-size: 11px; padding: 1px 8px; }
#latest h2 { font-size: 18px; margin: 24px 0 4px; }
#transitions { list-style: none; padding: 0; margin: 0; font-size: 14px; }
#transitions li { padding: 4px 0; border-bottom: 1px solid color-mix(in srgb, currentColor 10%, transparent); word-break: break-word; }
#transitions time { font-variant-numeric: tabular-nums; opacity: .7; }
.t-name { font-family: ui-monospace, monospace; font-weight: 600; }
.t-status { font-weight: 600; }
.t-status[data-status="up"] { color: var(--up); }
.t-status[data-status="degraded"] { color: var(--degraded); }
.t-status[data-status="down"] { color: var(--down); }
.t-lasted, .t-message { opacity: .8; }
`;

/** The list of the latest transitions, below the indicators. */
export const HISTORY_MARKUP = `<section id="latest" aria-labelledby="latest-title">
  <h2 id="latest-title">Latest transitions</h2>
  <p id="transitions-empty">No transition yet.</p>
  <ol id="transitions" aria-labelledby="latest-title"></ol>
</section>`;
