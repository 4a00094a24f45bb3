// ticketedit.js: a ticket's status (the lifecycle's allowed moves, Reopen), priority and tags editors.
// Each change is a PATCH /v1/tickets/{id} through the patch(body, done) the ticket view passes in.
import { h } from './ui.js';

/** STATUSES is the lifecycle's vocabulary, in order (docs/tickets.md, Lifecycle). */
export const STATUSES = ['new', 'open', 'pending', 'on_hold', 'solved', 'closed'];

/** MOVES are the statuses an agent may move a ticket to from each status (domain/lifecycle.go); closed is final. */
export const MOVES = {
  new: ['open', 'pending', 'on_hold', 'solved', 'closed'],
  open: ['pending', 'on_hold', 'solved', 'closed'],
  pending: ['open', 'on_hold', 'solved', 'closed'],
  on_hold: ['open', 'pending', 'solved', 'closed'],
  solved: ['open', 'closed'],
  closed: [],
};

/** PRIORITIES is the priority vocabulary. */
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'];

/** label shows a vocabulary word for people: on_hold → on hold. */
export const label = (s) => String(s).replaceAll('_', ' ');

/** statusControl is the status select (the current status and the moves the lifecycle allows from it) and its Set button. */
export function statusControl(t, patch) {
  const options = [t.status, ...(MOVES[t.status] || STATUSES.filter((s) => s !== t.status))];
  const sel = h('select', { id: 'ticket-status-select', 'aria-label': 'Status', dataset: { field: 'status' }, disabled: options.length === 1 },
    options.map((s) => h('option', { value: s, selected: s === t.status }, s === t.status ? `${label(s)} (now)` : label(s))));
  const set = h('button', { type: 'button', id: 'ticket-status-set', disabled: options.length === 1,
    onclick: () => patch({ status: sel.value }, `Status set to ${label(sel.value)}.`) }, 'Set status');
  const reopen = t.status === 'solved'
    ? h('button', { type: 'button', id: 'ticket-reopen', onclick: () => patch({ status: 'open' }, 'Ticket reopened.') }, 'Reopen')
    : null;
  const final = t.status === 'closed'
    ? h('span', { class: 'muted', id: 'ticket-final' }, 'Closed is final: it cannot be reopened.')
    : null;
  return h('div', { class: 'row status-control' }, sel, set, reopen, final);
}

/** priorityControl is the priority select and its Set button. */
export function priorityControl(t, patch) {
  const sel = h('select', { id: 'ticket-priority-select', 'aria-label': 'Priority', dataset: { field: 'priority' } },
    PRIORITIES.map((p) => h('option', { value: p, selected: p === (t.priority || 'normal') }, p)));
  return h('div', { class: 'row priority-control' }, sel,
    h('button', { type: 'button', id: 'ticket-priority-set', onclick: () => patch({ priority: sel.value }, `Priority set to ${sel.value}.`) }, 'Set priority'));
}

/** tagsControl lists the ticket's tags, each with a remove button, and adds the tags typed (space or comma separated). */
export function tagsControl(t, patch) {
  const input = h('input', { id: 'ticket-tag-input', 'aria-label': 'Add tags', placeholder: 'Add tags…', autocomplete: 'off',
    dataset: { field: 'add_tags', keep: '' }, 'aria-describedby': 'ticket-tag-input-err' });
  const add = () => {
    const tags = input.value.split(/[\s,]+/).filter(Boolean);
    if (!tags.length) return;
    input.value = ''; // sent: the view's refresh must not bring them back as typed
    patch({ add_tags: tags }, `Tagged ${tags.join(', ')}.`);
  };
  input.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); add(); } });
  const tags = t.tags || [];
  return h('div', { class: 'tags-control' },
    h('ul', { class: 'tags', 'aria-label': 'Tags' }, tags.length ? tags.map((tag) => h('li', { class: 'tag', dataset: { tag } }, tag,
      h('button', { type: 'button', class: 'link remove-tag', 'aria-label': `Remove tag ${tag}`,
        onclick: () => patch({ remove_tags: [tag] }, `Tag ${tag} removed.`) }, '×'))) : h('li', { class: 'muted' }, 'No tags.')),
    h('div', { class: 'row' }, input, h('button', { type: 'button', id: 'ticket-tag-add', onclick: add }, 'Add tags')),
    h('span', { id: 'ticket-tag-input-err', class: 'error', 'aria-live': 'polite' }));
}

/** ticketEditor groups the status, priority and tags editors, labelled, for the ticket view's side card. */
export function ticketEditor(t, patch) {
  return h('div', { class: 'ticket-editor' },
    h('h3', {}, 'Status'), statusControl(t, patch),
    h('h3', {}, 'Priority'), priorityControl(t, patch),
    h('h3', {}, 'Tags'), tagsControl(t, patch));
}
