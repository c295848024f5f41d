// Sieve's page. Every piece of data is written with textContent or SVG attributes, never as HTML,
// so camera names, query ids and labels cannot inject markup.
'use strict';

const queries = new Map();
let selected = null;
const SVG = 'http://www.w3.org/2000/svg';

function el(tag, attrs = {}, text) {
  const node = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

const pct = (v) => (v === null || v === undefined ? '–' : (100 * v).toFixed(1) + '%');
const num = (v, digits = 0) => (v === null || v === undefined ? '–' : Number(v).toLocaleString(undefined, { maximumFractionDigits: digits }));

function renderList() {
  const body = document.querySelector('#queries tbody');
  body.replaceChildren();
  const rows = [...queries.values()].sort((a, b) => b.emitted - a.emitted);
  document.getElementById('no-queries').hidden = rows.length > 0;
  for (const q of rows) {
    const tr = el('tr', { 'data-id': q.id });
    if (q.id === selected) tr.classList.add('selected');
    tr.append(el('td', {}, q.id));
    const state = el('td');
    state.append(el('span', { class: 'badge ' + q.state }, q.state));
    tr.append(state);
    tr.append(el('td', {}, q.expected ? pct(q.seen / q.expected) : num(q.seen) + ' frames'));
    tr.append(el('td', {}, num(q.fps)));
    tr.addEventListener('click', () => { selected = q.id; renderList(); renderDetail(); });
    body.append(tr);
  }
}

function renderDetail() {
  const q = queries.get(selected);
  document.getElementById('query-panel').hidden = !q;
  document.getElementById('empty-detail').hidden = !!q;
  if (!q) return;
  document.getElementById('query-title').textContent = q.id;
  const state = document.getElementById('state');
  state.textContent = q.state;
  state.className = 'badge ' + q.state;
  document.getElementById('abort-button').disabled = q.state !== 'RUNNING';
  const share = q.expected ? Math.min(1, q.seen / q.expected) : 0;
  document.getElementById('progress-fill').style.width = (100 * share) + '%';
  document.getElementById('progress-text').textContent = q.expected
    ? `${num(q.seen)} of ${num(q.expected)} frames (${pct(share)})` + (q.eta !== null && q.eta !== undefined ? `, about ${num(q.eta)} s left` : '')
    : `${num(q.seen)} frames (live)`;
  document.getElementById('seen').textContent = num(q.seen);
  const empty = document.getElementById('nothing-in-view');
  empty.textContent = !q.nothingInView ? '–' : `${num(q.nothingInView)} (${pct(q.nothingInView / q.seen)})`
    + (q.nothingInViewLabelled ? `, ${num(q.nothingInViewLabelled)} of them labelled with an object` : '');
  empty.title = 'Frames that showed their camera\'s learned background: no model ran on them, and they are left out of the '
    + 'class counts, the accuracy and the drift checks.' + (q.nothingInViewLabelled
    ? ' Their true labels name an object: the background detector missed it there.' : '');
  document.getElementById('fps').textContent = num(q.fps);
  document.getElementById('accuracy').textContent = q.accuracy === null ? '–'
    : `${pct(q.accuracy)} [${pct(q.accuracyLow)}, ${pct(q.accuracyHigh)}]`;
  document.getElementById('true-accuracy').textContent = pct(q.trueAccuracy);
  const target = q.classes.find((c) => c.name === q.target);
  document.getElementById('target-answer').textContent = target
    ? `${q.target}: ${num(target.estimate)} [${num(target.low)}, ${num(target.high)}]` : (q.target || 'all classes');
  const audit = document.getElementById('audit-disagreement');
  audit.textContent = !q.audit ? '–' : q.audit.disagreement === null ? 'cannot tell'
    : `${pct(q.audit.disagreement)} [${pct(q.audit.low)}, ${pct(q.audit.high)}]`;
  audit.title = !q.audit ? '' : q.audit.note
    || `${num(q.audit.audited)} of ${num(q.audit.earlyDecided)} early answers checked by the last stage, ${num(q.audit.disagreements)} differently; about ${q.audit.scope}`;
  document.getElementById('audit-target').textContent = target && target.audited !== null && target.audited !== undefined
    ? `${q.target}: ${num(target.audited)} [${num(target.auditedLow)}, ${num(target.auditedHigh)}]` : '–';
  driftView(q);
  precisionView(q);
  thresholdsView(q);
  accuracyChart(q.history || []);
  classChart(q.classes || [], q.target);
  stagesTable(q.stages || []);
}

function driftView(q) {
  const warning = document.getElementById('drift-warning');
  warning.hidden = !q.driftWarning;
  warning.textContent = q.driftWarning || '';
  const drift = document.getElementById('drift');
  const checks = q.drift || [];
  drift.textContent = q.driftNote ? 'not checked' : checks.length === 0 ? '–'
    : checks.some((c) => c.alarm) ? 'no: drift alarm' : 'no departure detected';
  drift.className = checks.some((c) => c.alarm) ? 'alarm' : '';
  drift.title = q.driftNote || checks.map((c) => `stage ${c.stage} ${c.measure === 'EXIT_RATE' ? 'exit rate' : 'disagreement with the last stage'}: `
    + `${c.observed === null ? '–' : pct(c.observed)} over ${num(c.frames)} frames, calibration ${pct(c.expected)} `
    + `[${pct(c.expectedLow)}, ${pct(c.expectedHigh)}]${c.alarm ? ' (alarm)' : ''}`).join('\n');
}

function precisionView(q) {
  const view = document.getElementById('precision-answer');
  const p = q.precision;
  if (!p) { view.textContent = 'not asked'; view.title = ''; return; }
  const asked = [p.requestedShare !== null && p.requestedShare !== undefined ? `±${(100 * p.requestedShare).toFixed(1)} pts` : null,
    p.requestedCount !== null && p.requestedCount !== undefined ? `±${num(p.requestedCount)} frames` : null].filter((a) => a).join(' and ');
  const now = p.shareHalfWidth === null || p.shareHalfWidth === undefined ? '–'
    : `±${(100 * p.shareHalfWidth).toFixed(1)} pts (±${num(p.halfWidth)} frames)`;
  view.textContent = `${asked} at ${(100 * p.level).toFixed(0)}% / ${now}` + (q.state === 'DONE_AT_PRECISION' ? ': reached' : '');
  view.title = (p.note ? p.note + '. ' : '') + `For ${p.scope}; every interval of this query is a confidence sequence at `
    + `${(100 * p.level).toFixed(0)}%, valid whenever it stops.`;
}

function thresholdsView(q) {
  const view = document.getElementById('thresholds');
  const t = q.thresholds;
  if (!t) { view.textContent = '–'; view.title = 'the cascade file records no accuracy-loss budget'; return; }
  const loss = t.loss === null || t.loss === undefined ? '–' : `${pct(t.loss)} [${pct(t.lossLow)}, ${pct(t.lossHigh)}]`;
  const moved = t.stages.filter((s) => s.current !== s.calibrated);
  view.textContent = `${loss} / ${pct(t.budget)}` + (moved.length ? ': thresholds raised' : '');
  view.className = moved.length ? 'alarm' : '';
  view.title = (t.note ? t.note + '. ' : '') + t.stages.map((s) => `stage ${s.stage} (${s.model}): threshold `
    + `${s.current === null ? 'above 1 (exits nothing)' : s.current.toFixed(3)}, calibrated ${s.calibrated.toFixed(3)}, ${s.changes} changes`).join('\n');
}

function accuracyChart(points) {
  const svg = document.getElementById('accuracy-chart');
  svg.replaceChildren();
  if (points.length === 0) { svg.append(el('svg:text', { x: 20, y: 90 }, 'waiting for decisions…')); return; }
  const W = 600, H = 180, L = 40, B = 20, T = 10;
  const maxSeen = Math.max(...points.map((p) => p.seen), 1);
  const lo = Math.max(0, Math.min(...points.map((p) => p.low)) - 0.02);
  const hi = Math.min(1, Math.max(...points.map((p) => p.high)) + 0.02);
  const x = (s) => L + (W - L - 10) * s / maxSeen;
  const y = (v) => T + (H - T - B) * (1 - (v - lo) / Math.max(1e-6, hi - lo));
  const band = points.map((p) => `${x(p.seen)},${y(p.high)}`).concat([...points].reverse().map((p) => `${x(p.seen)},${y(p.low)}`));
  svg.append(el('svg:polygon', { points: band.join(' '), fill: 'var(--band)' }));
  svg.append(el('svg:polyline', { points: points.map((p) => `${x(p.seen)},${y(p.accuracy)}`).join(' '), fill: 'none', stroke: 'var(--accent)', 'stroke-width': 2 }));
  const labelled = points.filter((p) => p.trueAccuracy !== null && p.trueAccuracy !== undefined);
  if (labelled.length) {
    svg.append(el('svg:polyline', { points: labelled.map((p) => `${x(p.seen)},${y(p.trueAccuracy)}`).join(' '), fill: 'none', stroke: 'var(--ok)', 'stroke-dasharray': '4 3' }));
  }
  for (const v of [lo, (lo + hi) / 2, hi]) {
    svg.append(el('svg:text', { x: 2, y: y(v) + 4, 'font-size': 11, fill: 'var(--muted)' }, pct(v)));
  }
  svg.append(el('svg:text', { x: W - 110, y: H - 4, 'font-size': 11, fill: 'var(--muted)' }, `${num(maxSeen)} frames`));
}

function classChart(classes, target) {
  const svg = document.getElementById('class-chart');
  svg.replaceChildren();
  if (classes.length === 0) { svg.append(el('svg:text', { x: 20, y: 120 }, 'no estimates yet (the cascade file has no calibration tables)')); return; }
  const W = 600, L = 90, R = 20, rowH = 24, MAX_ROWS = 20;
  // A cascade may have hundreds of classes: show the target and the largest estimates, and say how many are left out.
  const others = classes.filter((c) => c.name !== target).sort((a, b) => b.estimate - a.estimate);
  const shown = classes.length <= MAX_ROWS ? classes
    : classes.filter((c) => c.name === target).concat(others.slice(0, MAX_ROWS - (target ? 1 : 0)));
  svg.setAttribute('viewBox', `0 0 ${W} ${Math.max(260, 14 + shown.length * rowH + (shown.length < classes.length ? rowH : 0))}`);
  if (shown.length < classes.length) {
    svg.append(el('svg:text', { x: 4, y: 18 + shown.length * rowH, 'font-size': 11, fill: 'var(--muted)' },
      `and ${classes.length - shown.length} more classes with smaller estimates`));
  }
  const max = Math.max(...shown.map((c) => Math.max(c.high, c.predicted)), 1);
  const x = (v) => L + (W - L - R) * v / max;
  shown.forEach((c, i) => {
    const yMid = 14 + i * rowH;
    svg.append(el('svg:text', { x: 4, y: yMid + 4, 'font-size': 12, 'font-weight': c.name === target ? 700 : 400 }, c.name));
    svg.append(el('svg:rect', { x: x(c.low), y: yMid - 6, width: Math.max(1, x(c.high) - x(c.low)), height: 12, fill: 'var(--band)' }));
    svg.append(el('svg:line', { x1: x(c.estimate), x2: x(c.estimate), y1: yMid - 8, y2: yMid + 8, stroke: 'var(--accent)', 'stroke-width': 2 }));
    svg.append(el('svg:circle', { cx: x(c.predicted), cy: yMid, r: 3, fill: 'var(--fg)' }));
    svg.append(el('svg:text', { x: W - R - 60, y: yMid + 4, 'font-size': 11, fill: 'var(--muted)' }, num(c.estimate)));
  });
}

function stagesTable(stages) {
  const body = document.querySelector('#stages tbody');
  body.replaceChildren();
  for (const s of stages) {
    const tr = el('tr');
    tr.append(el('td', {}, String(s.stage)), el('td', {}, s.model), el('td', {}, num(s.framesIn)), el('td', {}, num(s.decided)),
      el('td', {}, s.framesIn ? pct((s.framesIn - s.decided) / s.framesIn) : '–'), el('td', {}, s.framesIn ? num(s.meanMicros) + ' µs' : '–'));
    body.append(tr);
  }
}

function addFrame(f) {
  const gallery = document.getElementById('gallery');
  const figure = el('figure');
  const img = el('img', { alt: `${f.camera} ${f.sequence}` });
  img.src = f.image.startsWith('data:image/png;base64,') ? f.image : '';
  figure.append(img, el('figcaption', {}, `${f.label} · stage ${f.stage}`), el('figcaption', { class: 'muted' }, `${f.camera} #${f.sequence}`));
  gallery.prepend(figure);
  while (gallery.children.length > 12) gallery.lastChild.remove();
}

function onProgress(q) {
  queries.set(q.id, q);
  if (selected === null) selected = q.id;
  renderList();
  if (q.id === selected) renderDetail();
}

async function load() {
  const classes = await (await fetch('/api/classes')).json();
  const select = document.getElementById('target');
  for (const c of classes) select.append(el('option', { value: c }, c));
  for (const q of await (await fetch('/api/queries')).json()) onProgress(q);
  for (const f of (await (await fetch('/api/frames')).json()).reverse()) addFrame(f);
  const events = new EventSource('/api/events');
  const connection = document.getElementById('connection');
  events.onopen = () => { connection.textContent = 'live'; connection.className = 'badge DONE'; };
  events.onerror = () => { connection.textContent = 'reconnecting…'; connection.className = 'badge ABORTED'; };
  events.addEventListener('progress', (e) => onProgress(JSON.parse(e.data)));
  events.addEventListener('frame', (e) => addFrame(JSON.parse(e.data)));
}

document.getElementById('start-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const errors = document.getElementById('form-errors');
  errors.replaceChildren();
  const form = new FormData(e.target);
  form.set('live', document.getElementById('live').checked ? 'true' : 'false');
  const reply = await fetch('/api/queries', { method: 'POST', body: new URLSearchParams(form) });
  const body = await reply.json();
  if (!reply.ok) {
    for (const message of body.errors || ['The query could not be started.']) errors.append(el('li', {}, message));
    return;
  }
  selected = body.started;
  e.target.reset();
  renderList();
  renderDetail();
});

document.getElementById('abort-button').addEventListener('click', async () => {
  if (!selected) return;
  document.getElementById('abort-button').disabled = true;
  await fetch(`/api/queries/${encodeURIComponent(selected)}/abort`, { method: 'POST' });
});

load();
