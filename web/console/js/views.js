// views.js: the inbox's views sidebar — the built-in views (mine, unassigned, pending, all open), the
// account's shared and the agent's own saved views, each with its live count (GET /v1/views/counts), and a
// console-side "Solved & closed" view — and the form that saves the current search as a view.
import { api, session, seg } from './api.js';
import { h, field, announce, showErrors, clearErrors, guard } from './ui.js';

/** DONE is the console's view of finished tickets (no saved view: the API's built-ins are all unfinished work). */
export const DONE = { id: 'done', name: 'Solved & closed', builtin: true, shared: true, filters: { status: ['solved', 'closed'] }, local: true };

/** loadViews lists the views the caller sees, then Solved & closed. */
export async function loadViews() {
  const page = await api('GET', '/v1/views');
  return [...(page.items || []), DONE];
}

/** defaultView is the view an inbox opens on: mine with a user's token, else all open. */
export const defaultView = () => (session.me && session.me.user_id ? 'mine' : 'open');

const countText = (c) => (c ? `${c.count}${c.more ? '+' : ''}` : '');

/**
 * viewsSidebar lists the views as links to #/inbox?view=<id>, the current one marked; refresh() reloads
 * the counts (every 10 s while the inbox shows, and when the console signals routedesk:tickets-changed).
 */
export function viewsSidebar(views, current, onDeleted) {
  const badges = new Map();
  const item = (v) => {
    const badge = h('span', { class: 'badge count', dataset: { count: v.id } }, v.local ? '' : '…');
    if (v.local) badge.hidden = true;
    badges.set(v.id, badge);
    const mine = !v.builtin && (v.shared ? session.isAdmin : v.owner_user_id && v.owner_user_id === session.me.user_id);
    return h('li', { dataset: { view: v.id } },
      h('a', { href: `#/inbox?view=${encodeURIComponent(v.id)}`, 'aria-current': v.id === current ? 'page' : false },
        h('span', { class: 'view-name' }, v.name), badge),
      mine ? h('button', { type: 'button', class: 'link delete-view', 'aria-label': `Delete view ${v.name}`,
        onclick: () => guard(async () => {
          if (!window.confirm(`Delete the view “${v.name}”?`)) return;
          await api('DELETE', `/v1/views/${seg(v.id)}`);
          announce(`View ${v.name} deleted.`);
          await onDeleted(v);
        }) }, '×') : null);
  };
  const group = (title, list) => (list.length ? [h('h2', { class: 'views-group' }, title), h('ul', { class: 'views-list' }, list.map(item))] : []);
  const nav = h('nav', { class: 'views', id: 'views', 'aria-label': 'Views' },
    group('Views', views.filter((v) => v.builtin)),
    group('Shared views', views.filter((v) => !v.builtin && v.shared)),
    group('My views', views.filter((v) => !v.builtin && !v.shared)));
  async function refresh() {
    const counts = await api('GET', '/v1/views/counts');
    for (const c of counts.items || []) {
      const b = badges.get(c.view_id);
      if (b) { b.textContent = countText(c); b.setAttribute('aria-label', `${countText(c)} tickets`); }
    }
  }
  return { nav, refresh };
}

/** saveViewForm saves filters as a view named by the agent (shared with the account: admins only); onSaved gets it. */
export function saveViewForm(filters, onSaved) {
  const summary = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'save-view', id: 'save-view', novalidate: true, hidden: true },
    field({ name: 'name', label: 'View name', id: 'view-name', required: true }),
    session.isAdmin ? field({ name: 'shared', label: 'Shared with every agent of the account', type: 'checkbox', id: 'view-shared' }) : null,
    summary,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Save view'),
      h('button', { type: 'button', onclick: () => { form.hidden = true; } }, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const shared = !!(form.querySelector('#view-shared') && form.querySelector('#view-shared').checked);
      const v = await api('POST', '/v1/views', { name: form.querySelector('#view-name').value.trim(), shared, filters: filters() });
      announce(`View ${v.name} saved${shared ? ', shared' : ''}.`);
      await onSaved(v);
    } catch (e) { showErrors(form, e, summary); }
  });
  const open = h('button', { type: 'button', id: 'save-view-open', onclick: () => { form.hidden = false; form.querySelector('#view-name').focus(); } }, 'Save as view');
  return { open, form };
}
