// search.js: the inbox's search box (q in websearch syntax) and sort, kept in the inbox's hash
// (#/inbox?view=&q=&sort=), and the GET /v1/tickets query a view plus a search make.
import { h } from './ui.js';

/** SORTS are the inbox's sort orders (GET /v1/tickets sort). */
export const SORTS = [['newest', 'Newest first'], ['oldest', 'Oldest first'], ['-updated_at', 'Recently updated'], ['sla_due', 'SLA due first']];

/** inboxState reads #/inbox?view=&q=&sort= (query is the part after "?"). */
export function inboxState(query, fallbackView) {
  const p = new URLSearchParams(query || '');
  return { view: p.get('view') || fallbackView, q: p.get('q') || '', sort: p.get('sort') || '' };
}

/** inboxHash is the hash of an inbox state. */
export function inboxHash(s) {
  const p = new URLSearchParams();
  p.set('view', s.view);
  if (s.q) p.set('q', s.q);
  if (s.sort) p.set('sort', s.sort);
  return `#/inbox?${p}`;
}

/** ticketQuery is GET /v1/tickets's query for a view (its id, or a local view's filters) and the search. */
export function ticketQuery(view, s) {
  const p = new URLSearchParams();
  if (view.local) {
    for (const [k, v] of Object.entries(view.filters)) p.set(k, Array.isArray(v) ? v.join(',') : v);
  } else {
    p.set('view', view.id);
  }
  if (s.q) p.set('q', s.q);
  if (s.sort) p.set('sort', s.sort);
  p.set('limit', '50');
  return `/v1/tickets?${p}`;
}

/** searchFilters are the filters to save as a view: the view's own, with the search's q and sort. */
export function searchFilters(view, s) {
  const f = { ...(view.filters || {}) };
  if (s.q) f.q = s.q;
  if (s.sort) f.sort = s.sort;
  return f;
}

/** searchBox is the search form; submitting (Enter) calls go with the new q and sort. */
export function searchBox(s, go) {
  const q = h('input', { type: 'search', id: 'ticket-search', name: 'q', value: s.q, autocomplete: 'off', dataset: { field: 'q' },
    placeholder: 'Search tickets: words, "a phrase", -without, or', 'aria-describedby': 'ticket-search-help ticket-search-err' });
  const sort = h('select', { id: 'ticket-sort', 'aria-label': 'Sort', dataset: { field: 'sort' } },
    SORTS.map(([v, l]) => h('option', { value: v, selected: v === (s.sort || 'newest') }, l)));
  const form = h('form', { class: 'search', role: 'search', novalidate: true },
    h('label', { for: 'ticket-search', class: 'sr-only' }, 'Search tickets'),
    h('div', { class: 'row' }, q, sort, h('button', { type: 'submit', class: 'primary' }, 'Search'),
      s.q ? h('button', { type: 'button', id: 'search-clear', onclick: () => go({ ...s, q: '' }) }, 'Clear') : null),
    h('span', { id: 'ticket-search-help', class: 'help' }, 'Subjects, messages and contacts’ names, emails and phones.'),
    h('span', { id: 'ticket-search-err', class: 'error', 'aria-live': 'polite' }));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); go({ ...s, q: q.value.trim(), sort: sort.value === 'newest' ? '' : sort.value }); });
  sort.addEventListener('change', () => go({ ...s, q: q.value.trim(), sort: sort.value === 'newest' ? '' : sort.value }));
  return form;
}
