// bulk.js: the inbox's bulk actions: the tickets checked in the list (or all on the page) get one change —
// assignee, status, priority or tags — through POST /v1/tickets/bulk, and each ticket's outcome is listed.
import { api } from './api.js';
import { h, announce, guard } from './ui.js';
import { STATUSES, PRIORITIES, label } from './ticketedit.js';

const ACTIONS = [['assign', 'Assign to'], ['status', 'Set status'], ['priority', 'Set priority'], ['add_tags', 'Add tags'], ['remove_tags', 'Remove tags']];

/** outcomeText says what became of one ticket of a bulk action. */
function outcomeText(it) {
  switch (it.status) {
    case 200: return 'changed';
    case 404: return 'not found';
    case 409: return `not changed (conflict)${it.detail ? `: ${it.detail}` : ''}`;
    case 504: return 'not changed in time: try again';
    default: {
      const why = (it.errors || []).map((e) => `${e.field}: ${e.message}`).join('; ') || it.detail;
      return `refused${why ? `: ${why}` : ''}`;
    }
  }
}

/**
 * bulkBar is the bar over the list: how many are selected, the action and its value, Apply. selected()
 * gives the checked ticket ids, subjects maps ids to subjects for the outcomes, users are the assignees
 * offered; onDone runs after an apply. Its outcomes list stays until the next apply.
 */
export function bulkBar(selected, subjects, users, onDone) {
  const count = h('span', { id: 'bulk-count', 'aria-live': 'polite' }, 'No ticket selected.');
  const action = h('select', { id: 'bulk-action', 'aria-label': 'Bulk action' }, ACTIONS.map(([v, l]) => h('option', { value: v }, l)));
  const value = h('span', { class: 'bulk-value' });
  const apply = h('button', { type: 'button', id: 'bulk-apply', class: 'primary', disabled: true }, 'Apply');
  const outcomes = h('ul', { id: 'bulk-outcomes', class: 'bulk-outcomes', 'aria-label': 'Bulk action outcomes' });
  const valueControl = () => {
    switch (action.value) {
      case 'assign': return h('select', { id: 'bulk-value', 'aria-label': 'Assignee' }, h('option', { value: '' }, '(nobody)'),
        users.filter((u) => u.has_profile !== false).map((u) => h('option', { value: u.id }, u.name || u.email)));
      case 'status': return h('select', { id: 'bulk-value', 'aria-label': 'Status' }, STATUSES.map((s) => h('option', { value: s }, label(s))));
      case 'priority': return h('select', { id: 'bulk-value', 'aria-label': 'Priority' }, PRIORITIES.map((p) => h('option', { value: p }, p)));
      default: return h('input', { id: 'bulk-value', 'aria-label': 'Tags (space or comma separated)', placeholder: 'tags…', autocomplete: 'off' });
    }
  };
  action.addEventListener('change', () => value.replaceChildren(valueControl()));
  value.append(valueControl());
  const change = () => {
    const v = value.firstChild.value;
    switch (action.value) {
      case 'assign': return { assignee: { user_id: v || null } };
      case 'status': return { status: v };
      case 'priority': return { priority: v };
      default: return { [action.value]: v.split(/[\s,]+/).filter(Boolean) };
    }
  };
  apply.addEventListener('click', () => guard(async () => {
    const ids = selected();
    if (!ids.length) return;
    apply.disabled = true;
    try {
      const res = await api('POST', '/v1/tickets/bulk', { ids, change: change() });
      const items = res.items || [];
      outcomes.replaceChildren(h('li', { class: 'muted' }, `${ACTIONS.find(([v]) => v === action.value)[1]}: ${items.filter((i) => i.status === 200).length} of ${items.length} changed.`),
        ...items.map((it) => h('li', { class: it.status === 200 ? 'ok' : 'error', dataset: { id: it.id, status: String(it.status) } },
          h('a', { href: `#/tickets/${encodeURIComponent(it.id)}` }, subjects.get(it.id) || '(no subject)'), `: ${outcomeText(it)}`)));
      const bad = items.filter((i) => i.status !== 200).length;
      announce(bad ? `${items.length - bad} changed, ${bad} not: see the list.` : `${items.length} tickets changed.`, bad > 0);
      window.dispatchEvent(new CustomEvent('routedesk:tickets-changed'));
      await onDone();
    } finally { update(); }
  }));
  /** update shows how many are selected and enables Apply. */
  function update() {
    const n = selected().length;
    count.textContent = n ? `${n} selected` : 'No ticket selected.';
    apply.disabled = n === 0;
  }
  const bar = h('div', { class: 'bulk-bar row', id: 'bulk-bar', role: 'group', 'aria-label': 'Bulk actions' }, count, action, value, apply);
  return { bar, outcomes, update };
}
