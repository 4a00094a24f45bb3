// slaactions.js: the editor of an SLA policy's escalation actions (on_warning, on_breach).
import { h, nextId } from './ui.js';

const TYPES = [
  ['notify_assignee', 'Notify the assignee'],
  ['notify_team', 'Notify a team (the ticket\'s when none is chosen)'],
  ['notify_admins', 'Notify the admins'],
  ['raise_priority', 'Raise the priority'],
  ['assign_team', 'Assign to a team'],
  ['assign_agent', 'Assign to an agent'],
  ['add_tag', 'Add a tag'],
];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

/**
 * actionsEditor edits a list of actions under field (on_warning or on_breach): a type per row and the
 * one setting it takes; teams and users are [{id, name}]. value() is the API's list.
 */
export function actionsEditor(field, legend, actions, teams, users) {
  const rows = h('div', { class: 'actions-rows' });
  const add = (a = { type: 'notify_assignee' }) => {
    const n = rows.children.length + 1;
    const typeId = nextId('act');
    const type = h('select', { id: typeId, class: 'action-type', 'aria-label': `${legend} action ${n}`, 'aria-describedby': `${typeId}-err` },
      TYPES.map(([v, l]) => h('option', { value: v, selected: a.type === v }, l)));
    const argId = nextId('arg');
    const arg = h('span', { class: 'action-arg' });
    const argErr = h('span', { id: `${argId}-err`, class: 'error' });
    const paint = (cur) => {
      const t = type.value;
      const sel = (key, opts, none) => h('select', { id: argId, class: `action-${key}`, dataset: { key }, 'aria-label': `${legend} action ${n} ${key.replace('_id', '')}`, 'aria-describedby': argErr.id },
        none ? h('option', { value: '' }, none) : null, opts.map(([v, l]) => h('option', { value: v, selected: cur === v }, l)));
      let el = null;
      if (t === 'notify_team') el = sel('team_id', teams.map((x) => [x.id, x.name]), 'the ticket\'s team');
      else if (t === 'assign_team') el = sel('team_id', teams.map((x) => [x.id, x.name]), 'choose a team');
      else if (t === 'assign_agent') el = sel('user_id', users.map((x) => [x.id, x.name]), 'choose an agent');
      else if (t === 'raise_priority') el = sel('priority', PRIORITIES.map((p) => [p, p]), 'one step up');
      else if (t === 'add_tag') el = h('input', { id: argId, class: 'action-tag', dataset: { key: 'tag' }, value: cur || '', placeholder: 'sla-late', 'aria-label': `${legend} action ${n} tag`, 'aria-describedby': argErr.id });
      arg.replaceChildren(...(el ? [el] : []));
    };
    type.addEventListener('change', () => paint(''));
    paint(a.team_id || a.user_id || a.priority || a.tag || '');
    const row = h('div', { class: 'action-row' }, type, arg,
      h('button', { type: 'button', class: 'link', onclick: () => { row.remove(); renumber(); } }, `Remove action ${n}`),
      h('span', { id: `${typeId}-err`, class: 'error' }), argErr);
    rows.append(row);
    renumber();
    return type;
  };
  // renumber names each control by its API field (on_breach[0].type, on_breach[0].team_id) for error display.
  const renumber = () => [...rows.children].forEach((row, i) => {
    row.querySelector('.action-type').dataset.field = `${field}[${i}].type`;
    const arg = row.querySelector('.action-arg [data-key]');
    if (arg) arg.dataset.field = `${field}[${i}].${arg.dataset.key}`;
  });
  rows.addEventListener('change', renumber);
  (actions || []).forEach((a) => add(a));
  const id = nextId('acts');
  const el = h('fieldset', { class: `actions ${field}`, id, dataset: { field }, tabindex: '-1', 'aria-describedby': `${id}-err` },
    h('legend', {}, legend), rows,
    h('button', { type: 'button', class: `add-action add-${field}`, onclick: () => add().focus() }, 'Add an action'),
    h('span', { id: `${id}-err`, class: 'error' }));
  const value = () => [...rows.children].map((row) => {
    const a = { type: row.querySelector('.action-type').value };
    const arg = row.querySelector('.action-arg [data-key]');
    if (arg && arg.value) a[arg.dataset.key] = arg.value;
    return a;
  });
  return { el, value };
}
