// sla.js: the SLA policies (#28): the list in the order they are tried (drag or ↑/↓ to reorder), the policy editor.
import { api, listAll, seg } from './api.js';
import { h, field, view, announce, showErrors, clearErrors, guard, nextId } from './ui.js';
import { whenEditor } from './ruleeditor.js';
import { TYPES as CHANNEL_TYPES } from './channelforms.js';
import { durationField, parseDuration, formatDuration, hoursEditor, holidaysEditor } from './slafields.js';
import { actionsEditor } from './slaactions.js';

const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

/** slaView shows the policies, or the editor of one ('new' adds one). */
export async function slaView(id) {
  if (id) {
    const [policy, channels, teams, users] = await Promise.all([id === 'new' ? null : api('GET', `/v1/sla-policies/${seg(id)}`),
      listAll('/v1/channels'), listAll('/v1/teams'), listAll('/v1/users')]);
    return policyForm(policy, channels, teams.map((t) => ({ id: t.id, name: t.name || 'Unnamed team' })),
      users.map((u) => ({ id: u.id, name: u.name || u.email })));
  }
  const policies = (await api('GET', '/v1/sla-policies')).items || [];
  const body = h('tbody', {});
  const row = (p, i) => {
    const tr = h('tr', { draggable: 'true', dataset: { policy: p.id } },
      h('td', { class: 'drag', title: 'Drag to reorder', 'aria-hidden': 'true' }, '⠿'),
      h('td', {}, String(i + 1)),
      h('td', {}, h('a', { href: `#/sla/${seg(p.id)}` }, p.name), p.enabled ? '' : h('span', { class: 'muted' }, ' (disabled)')),
      h('td', { class: 'optional' }, matchText(p)),
      h('td', {}, targetText(p.targets)),
      h('td', { class: 'optional' }, p.business_hours_only ? `${p.calendar.hours || 'every hour'} ${p.calendar.timezone || 'UTC'}` : 'every hour'),
      h('td', {}, h('div', { class: 'row' },
        h('button', { type: 'button', disabled: i === 0, class: 'move-up', onclick: () => reorder(policies, i, i - 1), 'aria-label': `Move ${p.name} up` }, '↑'),
        h('button', { type: 'button', disabled: i === policies.length - 1, class: 'move-down', onclick: () => reorder(policies, i, i + 1), 'aria-label': `Move ${p.name} down` }, '↓'))));
    tr.addEventListener('dragstart', (ev) => { ev.dataTransfer.setData('text/plain', String(i)); ev.dataTransfer.effectAllowed = 'move'; });
    tr.addEventListener('dragover', (ev) => { ev.preventDefault(); tr.classList.add('drop'); });
    tr.addEventListener('dragleave', () => tr.classList.remove('drop'));
    tr.addEventListener('drop', (ev) => {
      ev.preventDefault();
      const from = Number(ev.dataTransfer.getData('text/plain'));
      if (Number.isInteger(from) && from !== i) reorder(policies, from, i);
    });
    return tr;
  };
  body.append(...policies.map(row));
  view('SLA policies',
    h('p', {}, h('a', { href: '#/sla/new' }, 'Add a policy'), ' ', h('span', { class: 'muted' }, 'Tried from the top; the first enabled policy that matches a ticket applies.')),
    policies.length === 0 ? h('p', { class: 'muted' }, 'No policy yet: tickets have no service-level targets.') : h('div', { class: 'tablewrap' }, h('table', { class: 'sla-policies' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Drag')), ...['Order', 'Name'].map((c) => h('th', { scope: 'col' }, c)),
        h('th', { scope: 'col', class: 'optional' }, 'Applies to'), h('th', { scope: 'col' }, 'Targets'), h('th', { scope: 'col', class: 'optional' }, 'Clock'), h('th', { scope: 'col' }, 'Move'))),
      body)));
}

function matchText(p) {
  const parts = [];
  if (p.when) parts.push(p.when);
  if (p.priorities?.length) parts.push(`priority ${p.priorities.join('/')}`);
  if (p.channel_types?.length) parts.push(p.channel_types.join('/'));
  if (p.channel_ids?.length) parts.push(`${p.channel_ids.length} channel(s)`);
  if (p.team_ids?.length) parts.push(`${p.team_ids.length} team(s)`);
  return parts.join('; ') || 'every ticket';
}

function targetText(t) {
  const parts = [['first response', t.first_response_minutes], ['next response', t.next_response_minutes], ['resolution', t.resolution_minutes]]
    .filter(([, m]) => m).map(([n, m]) => `${n} ${formatDuration(m)}`);
  return parts.join(', ');
}

// reorder moves the policy at from to to and renumbers positions 0..n-1, changing only those that moved.
async function reorder(policies, from, to) {
  const list = policies.slice();
  const [moved] = list.splice(from, 1);
  list.splice(to, 0, moved);
  await guard(async () => {
    for (const [i, p] of list.entries()) {
      if (p.position !== i) await api('PATCH', `/v1/sla-policies/${seg(p.id)}`, { position: i });
    }
    announce(`${moved.name} moved to place ${to + 1}.`);
    await slaView('');
    document.querySelector(`[aria-label="Move ${CSS.escape(moved.name)} ${to < from ? 'up' : 'down'}"]:not([disabled])`)?.focus();
  });
}

/** checks is a fieldset of checkboxes named by an API list field. */
function checks(name, legend, options, chosen) {
  const id = nextId('chk');
  return h('fieldset', { id, dataset: { field: name }, tabindex: '-1', class: `checks ${name}`, 'aria-describedby': `${id}-err` }, h('legend', {}, legend),
    options.length === 0 ? h('p', { class: 'muted' }, 'None in the account yet.') : null,
    h('div', { class: 'row' }, options.map(([v, l]) => {
      const cid = nextId('c');
      return h('span', { class: 'field check' }, h('input', { type: 'checkbox', id: cid, value: v, checked: (chosen || []).includes(v) }), h('label', { for: cid }, l));
    })),
    h('span', { id: `${id}-err`, class: 'error' }));
}
const checked = (fs) => [...fs.querySelectorAll('input[type=checkbox]:checked')].map((x) => x.value);

function zones(current) {
  let all = [];
  try { all = Intl.supportedValuesOf('timeZone'); } catch { all = []; }
  if (current && current !== 'UTC' && !all.includes(current)) all = [current, ...all];
  return [['', 'UTC'], ...all.map((z) => [z, z])];
}

function policyForm(p, channels, teams, users) {
  const cal = p ? p.calendar || {} : {};
  const when = whenEditor(p ? p.when : '', 'The rules language on ticket.*, channel.* and now (message and contact are empty), e.g. ticket.properties.plan == "enterprise"; empty: every ticket.');
  const hours = hoursEditor(p ? cal.hours : 'Mon-Fri 09:00-17:00');
  const holidays = holidaysEditor(p ? cal.holidays : []);
  const warn = actionsEditor('on_warning', 'When the warning fires', p ? p.on_warning : [], teams, users);
  const breach = actionsEditor('on_breach', 'When a target is breached', p ? p.on_breach : [{ type: 'notify_assignee' }], teams, users);
  const prios = checks('priorities', 'Priorities (none ticked: any)', PRIORITIES.map((x) => [x, x]), p?.priorities);
  const types = checks('channel_types', 'Channel types (none ticked: any)', CHANNEL_TYPES, p?.channel_types);
  const chans = checks('channel_ids', 'Channels (none ticked: any)', channels.map((c) => [c.id, c.name]), p?.channel_ids);
  const teamsBox = checks('team_ids', 'Teams (none ticked: any)', teams.map((t) => [t.id, t.name]), p?.team_ids);
  const summary = h('p', { class: 'error', tabindex: '-1', role: 'alert' });
  const business = field({ name: 'business_hours_only', label: 'Count business hours only', type: 'checkbox', value: p ? p.business_hours_only : false });
  const calendar = h('div', { class: 'calendar' },
    field({ name: 'calendar.timezone', label: 'Time zone', type: 'select', value: cal.timezone || '', options: zones(cal.timezone) }),
    hours.el, holidays.el);
  const form = h('form', { class: 'sla-form', novalidate: true },
    h('div', { class: 'grid2' },
      h('div', {},
        field({ name: 'name', label: 'Name', value: p ? p.name : '', required: true }),
        field({ name: 'enabled', label: 'Enabled', type: 'checkbox', value: p ? p.enabled : true }),
        h('h2', {}, 'Applies to'), when.el, prios, types, chans, teamsBox,
        h('h2', {}, 'Targets'),
        durationField('targets.first_response_minutes', 'First response', p?.targets.first_response_minutes),
        durationField('targets.next_response_minutes', 'Next response', p?.targets.next_response_minutes),
        durationField('targets.resolution_minutes', 'Resolution', p?.targets.resolution_minutes),
        field({ name: 'warning_share', label: 'Warn at (% of a target)', type: 'number', min: 1, max: 99, value: p && p.warning_share ? Math.round(p.warning_share * 100) : 80,
          help: 'The warning fires when this share of a target has run.' })),
      h('div', {},
        h('h2', {}, 'Clock'), business, calendar,
        field({ name: 'pause_on_pending', label: 'Pause while pending', type: 'checkbox', value: p ? p.pause_on_pending : true }),
        field({ name: 'pause_on_hold', label: 'Pause while on hold', type: 'checkbox', value: p ? p.pause_on_hold : true }),
        h('h2', {}, 'Escalations'), warn.el, breach.el)),
    summary,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, p ? 'Save policy' : 'Add policy'),
      h('a', { href: '#/sla' }, 'Cancel'),
      p ? h('button', { type: 'button', class: 'danger delete-policy', onclick: () => remove(p) }, 'Delete policy') : null));
  const bizBox = business.querySelector('input');
  const showCal = () => { calendar.hidden = !bizBox.checked; };
  bizBox.addEventListener('change', showCal);
  showCal();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    summary.textContent = '';
    const q = (n) => form.querySelector(`[data-field="${n}"]`);
    const local = [];
    const targets = {};
    for (const n of ['first_response_minutes', 'next_response_minutes', 'resolution_minutes']) {
      const v = parseDuration(q(`targets.${n}`).value);
      if (v === null) local.push({ field: `targets.${n}`, message: 'write a duration such as 4h, 1d 2h or 30m' });
      targets[n] = v ?? 0;
    }
    const share = Number(q('warning_share').value);
    const body = { name: q('name').value.trim(), enabled: q('enabled').checked, when: when.input.value,
      priorities: checked(prios), channel_types: checked(types), channel_ids: checked(chans), team_ids: checked(teamsBox),
      targets, warning_share: share ? share / 100 : 0, business_hours_only: bizBox.checked,
      calendar: { timezone: q('calendar.timezone').value, hours: hours.value(), holidays: holidays.value() },
      pause_on_pending: q('pause_on_pending').checked, pause_on_hold: q('pause_on_hold').checked,
      on_warning: warn.value(), on_breach: breach.value() };
    if (!p) body.position = ((await api('GET', '/v1/sla-policies')).items || []).reduce((m, x) => Math.max(m, x.position + 1), 0);
    if (local.length) { showErrors(form, { message: 'Check the highlighted fields.', fields: local }, summary); return; }
    try {
      const saved = p ? await api('PATCH', `/v1/sla-policies/${seg(p.id)}`, body) : await api('POST', '/v1/sla-policies', body);
      announce(`Policy ${saved.name} saved.`);
      location.hash = '#/sla';
    } catch (e) {
      if (e.fields) e.fields = e.fields.map((f) => (f.field === 'warning_share' ? { ...f, message: f.message.replace('more than 0 and less than 1', 'between 1 and 99 %') } : f));
      const w = (e.fields || []).find((f) => f.field === 'when' && f.line);
      showErrors(form, e, summary);
      if (w) when.showError(w.line, w.column, w.message);
    }
  });
  view(p ? `Edit SLA policy ${p.name}` : 'Add an SLA policy', form);
}

async function remove(p) {
  if (!confirm(`Delete the SLA policy ${p.name}? Tickets under it keep their deadlines until their workflow chooses a policy again.`)) return;
  await guard(async () => {
    await api('DELETE', `/v1/sla-policies/${seg(p.id)}`);
    announce(`Policy ${p.name} deleted.`);
    location.hash = '#/sla';
  });
}
