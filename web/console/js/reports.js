// reports.js: the Reports page (admins): a range, interval and grouping; tiles of the totals, charts
// over time (uPlot, vendored in vendor/uplot), a table of every bucket and an Export CSV button.
import { api, download } from './api.js';
import { h, field, view, showErrors } from './ui.js';

const DAY = 86400000;

/** loadUPlot adds uPlot's script and style once; resolves to its constructor. */
function loadUPlot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  if (!loadUPlot.promise) {
    loadUPlot.promise = new Promise((resolve, reject) => {
      document.head.append(h('link', { rel: 'stylesheet', href: 'vendor/uplot/uPlot.min.css' }));
      const s = h('script', { src: 'vendor/uplot/uPlot.iife.min.js' });
      s.addEventListener('load', () => resolve(window.uPlot));
      s.addEventListener('error', () => { loadUPlot.promise = null; reject(new Error('the chart library did not load')); });
      document.head.append(s);
    });
  }
  return loadUPlot.promise;
}

const isoDate = (d) => d.toISOString().slice(0, 10);

/** duration formats seconds as "45 s", "12 min", "3 h 5 min" or "2 d 4 h"; "—" for none. */
export function duration(sec) {
  if (sec === null || sec === undefined) return '—';
  const s = Math.round(sec);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.round((s % 86400) / 3600)} h`;
}

const pct = (v) => (v === null || v === undefined ? '—' : `${v.toFixed(1)} %`);
const num = (v, digits = 2) => (v === null || v === undefined ? '—' : v.toFixed(digits));

/** params reads the page's query (in the hash), with defaults: the last 30 days, daily, ungrouped. */
function params(query) {
  const q = new URLSearchParams(query);
  const today = new Date();
  return {
    from: q.get('from') || isoDate(new Date(today.getTime() - 29 * DAY)),
    to: q.get('to') || isoDate(today),
    interval: q.get('interval') || 'day',
    group_by: q.get('group_by') || 'none',
    tz: q.get('tz') || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
  };
}

/** reportsView shows the report of the range in the hash's query. */
export async function reportsView(query) {
  const p = params(query);
  const summary = h('p', { class: 'error', tabindex: '-1', id: 'report-error' });
  const form = h('form', { class: 'card report-form', 'aria-label': 'Report' },
    h('div', { class: 'row' },
      field({ name: 'from', label: 'From', type: 'date', value: p.from, required: true }),
      field({ name: 'to', label: 'To (included)', type: 'date', value: p.to, required: true }),
      field({ name: 'interval', label: 'Interval', type: 'select', value: p.interval, options: [['day', 'Day'], ['week', 'Week (ISO, from Monday)']] }),
      field({ name: 'group_by', label: 'Group by', type: 'select', value: p.group_by, options: [['none', 'Nothing'], ['channel', 'Channel'], ['team', 'Team'], ['agent', 'Agent']] }),
      field({ name: 'tz', label: 'Time zone', value: p.tz, help: 'IANA, e.g. Europe/Stockholm' })),
    summary,
    h('div', { class: 'row' },
      h('button', { class: 'primary', type: 'submit' }, 'Show'),
      h('button', { type: 'button', class: 'export-csv', onclick: () => exportCSV(form, summary) }, 'Export CSV')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = `#/reports?${formQuery(form)}`;
  });
  const out = h('div', { class: 'report', 'aria-live': 'polite' });
  view('Reports', form, out);
  let rep;
  try {
    rep = await api('GET', `/v1/reports?${new URLSearchParams(p)}`);
  } catch (e) {
    showErrors(form, e, summary);
    return;
  }
  out.replaceChildren(tiles(rep.total), h('div', { class: 'report-charts' }), table(rep));
  try {
    await charts(out.querySelector('.report-charts'), rep);
  } catch (e) {
    out.querySelector('.report-charts').replaceChildren(h('p', { class: 'error' }, e.message));
  }
}

function formQuery(form) {
  return new URLSearchParams(['from', 'to', 'interval', 'group_by', 'tz'].map((k) => [k, form[k].value.trim()])).toString();
}

async function exportCSV(form, summary) {
  const q = formQuery(form);
  try {
    await download(`/v1/reports?${q}&format=csv`, `report-${form.from.value}-${form.to.value}.csv`);
  } catch (e) {
    showErrors(form, e, summary);
  }
}

/** tiles are the range's totals. */
function tiles(t) {
  const tile = (metric, label, value, note) => h('div', { class: 'tile', dataset: { metric } },
    h('span', { class: 'tile-label' }, label), h('strong', { class: 'tile-value' }, value), note ? h('span', { class: 'muted' }, note) : null);
  return h('div', { class: 'tiles' },
    tile('created', 'Tickets created', String(t.created), `${t.solved} solved`),
    tile('first_response', 'Median first response', duration(t.first_response.median_seconds), `p90 ${duration(t.first_response.p90_seconds)}`),
    tile('next_response', 'Median next response', duration(t.next_response.median_seconds), `p90 ${duration(t.next_response.p90_seconds)}`),
    tile('resolution', 'Median resolution', duration(t.resolution.median_seconds), `p90 ${duration(t.resolution.p90_seconds)}`),
    tile('sla', 'SLA achieved', pct(t.sla.achieved_percent),
      `${t.sla.first_response.met + t.sla.next_response.met + t.sla.resolution.met} met, ${t.sla.first_response.breached + t.sla.next_response.breached + t.sla.resolution.breached} breached`),
    tile('csat', 'CSAT', t.csat.responses ? `${num(t.csat.average_rating)} / 5` : '—',
      t.csat.responses ? `${pct(t.csat.satisfied_percent)} satisfied, ${t.csat.responses} ratings` : 'no ratings'));
}

/** series returns, per group, the figure of each bucket start (xs). */
function series(rep, xs, pick) {
  return rep.groups.map((g) => xs.map((x) => {
    const b = rep.buckets.find((bk) => bk.group === g.id && Date.parse(bk.start) / 1000 === x);
    return b ? pick(b) : null;
  }));
}

const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

/** charts draws tickets over time and response times over time. */
async function charts(box, rep) {
  const uPlot = await loadUPlot();
  const xs = [...new Set(rep.buckets.map((b) => Date.parse(b.start) / 1000))].sort((a, b) => a - b);
  const width = Math.max(320, Math.min(box.clientWidth || 900, 1100));
  const grouped = rep.group_by !== 'none';
  const names = rep.groups.map((g) => g.name);
  const hours = (s) => (s === null || s === undefined ? null : s / 3600);
  const draw = (title, cls, lines, data, unit) => {
    const holder = h('figure', { class: `report-chart ${cls}` }, h('figcaption', {}, title));
    box.append(holder);
    const opts = {
      width, height: 240, tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), rep.tz),
      series: [{}, ...lines.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, points: { show: xs.length < 60 } }))],
      axes: [{}, { label: unit }],
    };
    return new uPlot(opts, [xs, ...data], holder);
  };
  box.replaceChildren();
  if (grouped) {
    draw('Tickets created', 'chart-volume', names, series(rep, xs, (b) => b.created), 'tickets');
    draw('Median first response (hours)', 'chart-times', names, series(rep, xs, (b) => hours(b.first_response.median_seconds)), 'hours');
  } else {
    const [created] = series(rep, xs, (b) => b.created);
    const [solved] = series(rep, xs, (b) => b.solved);
    draw('Tickets created and solved', 'chart-volume', ['Created', 'Solved'], [created, solved], 'tickets');
    const [fr] = series(rep, xs, (b) => hours(b.first_response.median_seconds));
    const [res] = series(rep, xs, (b) => hours(b.resolution.median_seconds));
    draw('Median first response and resolution (hours)', 'chart-times', ['First response', 'Resolution'], [fr, res], 'hours');
  }
}

/** table lists every bucket and group. */
function table(rep) {
  const names = Object.fromEntries(rep.groups.map((g) => [g.id, g.name]));
  const grouped = rep.group_by !== 'none';
  const fmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: rep.tz });
  const cols = ['Period', ...(grouped ? ['Group'] : []), 'Created', 'Solved', 'First response (median / p90)',
    'Next response (median / p90)', 'Resolution (median / p90)', 'In business hours (median FR / resolution)', 'SLA achieved', 'CSAT'];
  const rows = rep.buckets.map((b) => h('tr', {},
    h('td', {}, rep.interval === 'week' ? `Week of ${fmt.format(new Date(b.start))}` : fmt.format(new Date(b.start))),
    grouped ? h('td', {}, names[b.group] ?? b.group) : null,
    h('td', { class: 'num' }, String(b.created)), h('td', { class: 'num' }, String(b.solved)),
    h('td', {}, `${duration(b.first_response.median_seconds)} / ${duration(b.first_response.p90_seconds)}`),
    h('td', {}, `${duration(b.next_response.median_seconds)} / ${duration(b.next_response.p90_seconds)}`),
    h('td', {}, `${duration(b.resolution.median_seconds)} / ${duration(b.resolution.p90_seconds)}`),
    h('td', {}, `${duration(b.first_response_business.median_seconds)} / ${duration(b.resolution_business.median_seconds)}`),
    h('td', { class: 'num' }, pct(b.sla.achieved_percent)),
    h('td', {}, b.csat.responses ? `${num(b.csat.average_rating)} (${b.csat.responses})` : '—')));
  return h('div', { class: 'tablewrap' }, h('table', { class: 'report-table' },
    h('caption', { class: 'sr-only' }, 'Report by period'),
    h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows)));
}
