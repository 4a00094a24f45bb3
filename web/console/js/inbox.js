// inbox.js: the agent's working list (#/inbox?view=&q=&sort=): the views sidebar with live counts, the
// search box, the view's tickets with names (never ids), checkboxes and the bulk actions.
import { api, seg } from './api.js';
import { h, view, guard, since, badge, showErrors } from './ui.js';
import { loadUsers, userLabel, contactName } from './names.js';
import { loadViews, viewsSidebar, saveViewForm, defaultView, DONE } from './views.js';
import { inboxState, inboxHash, ticketQuery, searchFilters, searchBox } from './search.js';
import { bulkBar } from './bulk.js';

let timer;
let onChanged = null;
window.addEventListener('routedesk:tickets-changed', () => { if (onChanged) guard(onChanged); });

/** inboxView shows the view named in the hash's query (else mine, or all open), searched by its q. */
export async function inboxView(query) {
  clearInterval(timer);
  onChanged = null;
  const [views, users] = await Promise.all([loadViews(), loadUsers()]);
  const names = new Map(users.map((u) => [u.id, u.name || u.email || 'Unnamed user']));
  const s = inboxState(query, defaultView());
  const current = views.find((v) => v.id === s.view) || views.find((v) => v.id === defaultView()) || DONE;
  const go = (next) => { location.hash = inboxHash(next); };
  const sidebar = viewsSidebar(views, current.id, () => go({ view: defaultView() }));
  const save = saveViewForm(() => searchFilters(current, s), (v) => go({ view: v.id }));
  const search = searchBox(s, go);
  const subjects = new Map();
  const body = h('tbody', {});
  const all = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Select all tickets on this page' });
  const selected = () => [...body.querySelectorAll('input[data-select]:checked')].map((c) => c.dataset.select);
  const bulk = bulkBar(selected, subjects, users, () => load());
  const more = h('button', { type: 'button', id: 'tickets-more', hidden: true }, 'More tickets');
  const summary = h('p', { class: 'muted', id: 'tickets-summary', 'aria-live': 'polite' });
  let cursor = '';
  all.addEventListener('change', () => {
    body.querySelectorAll('input[data-select]').forEach((c) => { c.checked = all.checked; });
    bulk.update();
  });
  body.addEventListener('change', (ev) => {
    if (!ev.target.dataset.select) return;
    const boxes = [...body.querySelectorAll('input[data-select]')];
    all.checked = boxes.length > 0 && boxes.every((c) => c.checked);
    all.indeterminate = !all.checked && boxes.some((c) => c.checked);
    bulk.update();
  });
  const row = async (t) => {
    subjects.set(t.id, t.subject || '(no subject)');
    return h('tr', { dataset: { ticket: t.id, status: t.status } },
      h('td', {}, h('input', { type: 'checkbox', dataset: { select: t.id }, 'aria-label': `Select ${t.subject || t.id}` })),
      h('td', {}, h('a', { href: `#/tickets/${seg(t.id)}` }, t.subject || '(no subject)')),
      h('td', { class: 'contact' }, await contactName(t.contact_id)),
      h('td', {}, badge(t.status)),
      h('td', { class: 'priority' }, t.priority || 'normal'),
      h('td', { class: 'assignee' }, userLabel(names, t.assignee && t.assignee.user_id)),
      h('td', { class: 'optional tag-cell' }, (t.tags || []).join(', ')),
      h('td', { class: 'optional' }, since(t.updated_at || t.created_at)));
  };
  async function page(append) {
    const path = ticketQuery(current, s) + (append && cursor ? `&cursor=${encodeURIComponent(cursor)}` : '');
    const res = await api('GET', path);
    cursor = res.next_cursor || '';
    const rows = await Promise.all((res.items || []).map(row));
    if (append) body.append(...rows); else body.replaceChildren(...rows);
    more.hidden = !cursor;
    const n = body.children.length;
    summary.textContent = `${n}${cursor ? '+' : ''} ticket${n === 1 ? '' : 's'} in ${current.name}${s.q ? ` matching “${s.q}”` : ''}.`;
    all.checked = false;
    all.indeterminate = false;
    bulk.update();
  }
  async function load() {
    try {
      await Promise.all([page(false), sidebar.refresh()]);
    } catch (e) {
      if (e.fields && e.fields.length) showErrors(search, e, search.querySelector('#ticket-search-err'));
      else throw e;
    }
  }
  more.addEventListener('click', () => guard(() => page(true)));
  view(current.name,
    h('div', { class: 'inbox' },
      sidebar.nav,
      h('div', { class: 'inbox-main' },
        search,
        h('div', { class: 'row spread' }, summary, h('div', { class: 'row' }, save.open,
          h('button', { type: 'button', id: 'tickets-refresh', onclick: () => guard(load) }, 'Refresh'))),
        save.form,
        bulk.bar, bulk.outcomes,
        h('div', { class: 'tablewrap' }, h('table', { class: 'tickets' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, all),
            ['Subject', 'Contact', 'Status', 'Priority', 'Assignee'].map((c) => h('th', { scope: 'col' }, c)),
            h('th', { scope: 'col', class: 'optional' }, 'Tags'), h('th', { scope: 'col', class: 'optional' }, 'Updated'))),
          body)),
        more)));
  document.title = `${current.name}${s.q ? ` · ${s.q}` : ''} · routedesk`;
  await load();
  onChanged = () => sidebar.refresh();
  timer = setInterval(() => {
    if (location.hash.startsWith('#/inbox')) guard(sidebar.refresh);
    else { clearInterval(timer); onChanged = null; }
  }, 10000);
}
