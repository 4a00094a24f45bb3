// audit.js: the account's audit log of privacy operations (issue 30), paged and filtered (admins).
import { api } from './api.js';
import { h, field, view, announce, badge } from './ui.js';

export const AUDIT_ACTIONS = [['', 'All operations'], ['erase', 'Contact erased'], ['export', 'Contact data exported'], ['retention', 'Retention run'], ['redact', 'Message redacted']];
const actionLabel = (a) => (AUDIT_ACTIONS.find(([v]) => v === a) || [a, a])[1];
const COUNT_NAMES = { conversations: 'conversations deleted', anonymised: 'conversations anonymised', messages: 'messages', attachments: 'attachments', tickets: 'tickets', workflow_keys: 'workflow keys', timeline_entries: 'timeline entries', identities: 'identities', contacts: 'contacts', chat_visitors: 'chat visitors' };

/** countsText is an entry's counts in words, e.g. "3 messages, 1 attachments"; zeros left out. */
export function countsText(counts) {
  const parts = Object.entries(counts || {}).filter(([, n]) => typeof n === 'number' && n !== 0)
    .map(([k, n]) => `${n} ${COUNT_NAMES[k] || k.replaceAll('_', ' ')}`);
  return parts.join(', ') || '—';
}

const actorText = (a) => (a === 'system' ? 'System (schedule)' : a.startsWith('token:') ? `API token ${a.slice(6)}` : `User ${a}`);
const subjectText = (e) => (e.subject_kind ? `${e.subject_kind} ${e.subject_id}` : '—');

/** auditView shows the audit log, newest first, 25 a page, filtered by operation and dates. */
export async function auditView() {
  const form = h('form', { class: 'card audit-filters row', 'aria-label': 'Filter the audit log' },
    field({ name: 'action', label: 'Operation', type: 'select', options: AUDIT_ACTIONS }),
    field({ name: 'since', label: 'From (day)', type: 'date' }),
    field({ name: 'until', label: 'To (day, included)', type: 'date' }),
    h('button', { type: 'submit', class: 'primary' }, 'Filter'));
  const rows = h('tbody', {});
  const pageInfo = h('span', { class: 'muted audit-page' });
  const prev = h('button', { type: 'button', class: 'audit-prev' }, 'Newer');
  const next = h('button', { type: 'button', class: 'audit-next' }, 'Older');
  let cursors = ['']; // cursors[i] opens page i
  let page = 0;
  let nextCursor = null;
  function query() {
    const q = new URLSearchParams({ limit: '25' });
    if (form.action.value) q.set('action', form.action.value);
    if (form.since.value) q.set('since', new Date(`${form.since.value}T00:00:00`).toISOString());
    if (form.until.value) {
      const d = new Date(`${form.until.value}T00:00:00`);
      d.setDate(d.getDate() + 1);
      q.set('until', d.toISOString());
    }
    if (cursors[page]) q.set('cursor', cursors[page]);
    return q;
  }
  async function load() {
    try {
      const res = await api('GET', `/v1/audit?${query()}`);
      nextCursor = res.next_cursor;
      rows.replaceChildren(...(res.items.length ? res.items.map((e) => h('tr', { dataset: { action: e.action, ref: e.ref } },
        h('td', {}, h('time', { datetime: e.created_at }, new Date(e.created_at).toLocaleString())),
        h('td', { class: 'audit-action' }, actionLabel(e.action)),
        h('td', {}, subjectText(e)),
        h('td', {}, actorText(e.actor)),
        h('td', {}, badge(e.state)),
        h('td', { class: 'audit-counts' }, countsText(e.counts))))
        : [h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No entry matches.'))]));
      prev.disabled = page === 0;
      next.disabled = !nextCursor;
      pageInfo.textContent = `Page ${page + 1}`;
    } catch (e) { announce(`Audit log not loaded: ${e.message}`, true); }
  }
  form.addEventListener('submit', (ev) => { ev.preventDefault(); cursors = ['']; page = 0; load(); });
  prev.addEventListener('click', () => { if (page > 0) { page--; load(); } });
  next.addEventListener('click', () => { if (nextCursor) { cursors[page + 1] = nextCursor; page++; load(); } });
  view('Audit log',
    h('p', { class: 'muted' }, 'Every erasure, export, retention run and redaction: who, when, what (ids) and how many rows. It holds no personal data.'),
    form,
    h('div', { class: 'tablewrap' }, h('table', { class: 'audit-log' },
      h('thead', {}, h('tr', {}, ['When', 'Operation', 'Subject', 'Who', 'State', 'Rows'].map((c) => h('th', { scope: 'col' }, c)))), rows)),
    h('div', { class: 'row audit-pager' }, prev, pageInfo, next));
  await load();
}

