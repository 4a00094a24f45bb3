// slafields.js: the SLA policy form's editors: human durations, weekly business hours, holidays, escalation actions.
import { h, nextId } from './ui.js';

const UNITS = { w: 7 * 24 * 60, d: 24 * 60, h: 60, m: 1 };

/**
 * parseDuration reads "1d 4h 30m", "90m", "1.5h", "2 hours" or a bare number of minutes into minutes;
 * '' is 0 (no target); null when it cannot be read.
 */
export function parseDuration(text) {
  const s = text.trim().toLowerCase();
  if (!s) return 0;
  if (/^\d+$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)\s*(w|weeks?|d|days?|h|hours?|hrs?|m|mins?|minutes?)\s*/gy;
  let total = 0;
  let at = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNITS[m[2][0]];
    at = re.lastIndex;
  }
  if (at !== s.length) return null;
  return Math.round(total);
}

/** formatDuration writes minutes as "1d 4h 30m" ('' for 0). */
export function formatDuration(min) {
  if (!min) return '';
  const parts = [];
  for (const [u, n] of [['d', UNITS.d], ['h', UNITS.h], ['m', 1]]) {
    if (min >= n) { parts.push(`${Math.floor(min / n)}${u}`); min %= n; }
  }
  return parts.join(' ');
}

/** durationField is a labelled text input for a target in minutes, with its error slot (API field name). */
export function durationField(name, label, minutes) {
  const id = nextId('dur');
  const input = h('input', { id, name, dataset: { field: name, duration: 'true' }, value: formatDuration(minutes), placeholder: 'e.g. 4h, 1d 2h, 30m',
    autocomplete: 'off', 'aria-describedby': `${id}-help ${id}-err` });
  const help = h('span', { id: `${id}-help`, class: 'help' }, minutes ? `${minutes} min` : 'No target');
  input.addEventListener('input', () => {
    const v = parseDuration(input.value);
    help.textContent = v === null ? 'Write e.g. 4h, 1d 2h or 30m' : v ? `${v} min` : 'No target';
  });
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, help, h('span', { id: `${id}-err`, class: 'error', 'aria-live': 'polite' }));
}

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** parseWeek reads an hours spec ("Mon-Fri 09:00-17:00; Sat 10:00-14:00") into seven lists of "HH:MM-HH:MM". */
export function parseWeek(spec) {
  const week = DAYS.map(() => []);
  for (const entry of (spec || '').split(/[;,]/)) {
    const [days, ...ranges] = entry.trim().split(/\s+/);
    if (!days) continue;
    const [a, b] = days.split('-').map((d) => DAYS.findIndex((x) => x.toLowerCase() === d.slice(0, 3).toLowerCase()));
    if (a < 0) continue;
    const last = b === undefined ? a : b;
    for (let i = a; ; i = (i + 1) % 7) {
      if (i >= 0) week[i].push(...ranges);
      if (i === last || last < 0) break;
    }
  }
  return week;
}

/** hoursEditor edits the weekly schedule one row per weekday; value() is the API's hours spec ('' = every hour). */
export function hoursEditor(spec) {
  const week = parseWeek(spec);
  const rows = DAYS.map((d, i) => {
    const open = h('input', { type: 'checkbox', id: nextId('open'), class: 'day-open', checked: week[i].length > 0, dataset: { day: d } });
    const ranges = h('input', { class: 'day-ranges', dataset: { day: d }, value: week[i].join(' ') || '', placeholder: '09:00-17:00',
      'aria-label': `${DAY_NAMES[i]} hours`, disabled: week[i].length === 0 });
    open.addEventListener('change', () => { ranges.disabled = !open.checked; if (open.checked && !ranges.value) ranges.value = '09:00-17:00'; });
    return h('tr', {}, h('th', { scope: 'row' }, h('label', { for: open.id }, DAY_NAMES[i])), h('td', {}, open), h('td', {}, ranges));
  });
  const id = nextId('hours');
  const el = h('fieldset', { class: 'hours', id, dataset: { field: 'calendar.hours' }, tabindex: '-1', 'aria-describedby': `${id}-err` },
    h('legend', {}, 'Business hours'),
    h('p', { class: 'help muted' }, 'Tick the open days; several ranges of a day are written with spaces: 09:00-12:00 13:00-17:00. No day ticked: every hour counts.'),
    h('table', { class: 'hours-table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col' }, 'Open'), h('th', { scope: 'col' }, 'Hours'))),
      h('tbody', {}, rows)),
    h('span', { id: `${id}-err`, class: 'error', 'aria-live': 'polite' }));
  const value = () => DAYS.map((d, i) => {
    const open = rows[i].querySelector('.day-open').checked;
    const r = rows[i].querySelector('.day-ranges').value.trim().split(/\s+/).filter(Boolean);
    return open && r.length ? `${d} ${r.join(' ')}` : '';
  }).filter(Boolean).join('; ');
  return { el, value };
}

/** holidaysEditor lists dates (YYYY-MM-DD) with add and remove; each date names its API field for errors. */
export function holidaysEditor(dates) {
  const list = h('ul', { class: 'holidays' });
  const add = (d) => {
    const id = nextId('hol');
    const li = h('li', {}, h('input', { type: 'date', id, value: d, class: 'holiday', 'aria-label': 'Holiday', 'aria-describedby': `${id}-err` }),
      h('button', { type: 'button', class: 'link', onclick: () => { li.remove(); renumber(); } }, `Remove ${d}`),
      h('span', { id: `${id}-err`, class: 'error' }));
    list.append(li);
    renumber();
  };
  const renumber = () => [...list.querySelectorAll('input.holiday')].forEach((el, i) => { el.dataset.field = `calendar.holidays[${i}]`; });
  const id = nextId('newhol');
  const next = h('input', { type: 'date', id, class: 'new-holiday' });
  const el = h('fieldset', { class: 'holidays-box', dataset: { field: 'calendar.holidays' }, id: nextId('hols'), tabindex: '-1' },
    h('legend', {}, 'Holidays'), h('p', { class: 'help muted' }, 'Dates in the policy\'s time zone on which the clock does not run.'), list,
    h('div', { class: 'row' }, h('label', { for: id }, 'Date'), next,
      h('button', { type: 'button', class: 'add-holiday', onclick: () => {
        if (!next.value) { next.focus(); return; }
        if (![...list.querySelectorAll('input.holiday')].some((x) => x.value === next.value)) add(next.value);
        next.value = '';
      } }, 'Add holiday')));
  el.append(h('span', { id: `${el.id}-err`, class: 'error' }));
  (dates || []).forEach(add);
  const value = () => [...list.querySelectorAll('input.holiday')].map((x) => x.value.trim()).filter(Boolean);
  return { el, value };
}
