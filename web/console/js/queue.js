// queue.js: tickets by routing state and channel, and one ticket's thread with reply, assign and close.
import { api, listAll, session, seg, download } from './api.js';
import { h, field, view, announce, showErrors, clearErrors, since, badge, guard } from './ui.js';
import { macroPicker } from './macros.js';
import { templatePicker } from './templates.js';
import { routingPanel } from './routing.js';
// issue 26: names not ids, the status/priority/tags editors, internal notes
import { userNames, userLabel, contactName } from './names.js';
import { ticketEditor } from './ticketedit.js';
import { addNotes, noteComposer } from './notes.js';
import { contactPanel } from './contact.js'; // issue 27: contact panel
import { privacyPanel } from './privacy.js';
import { slaPanel } from './slaticket.js';
import { onLive } from './live.js'; // issue 27: live updates and presence
import { ticketLive } from './presence.js';

const STATES = [['waiting_for_agent', 'Waiting for an agent'], ['unassigned', 'Unassigned'], ['assigned', 'Assigned'], ['routing', 'Being routed']];
let unlisten = () => {}; // the open view's live subscription

/** workflowLink links a ticket's conversation workflow in the Temporal UI, when its URL is known. */
function workflowLink(t) {
  const base = session.me && session.me.temporal_ui;
  if (!base || !t.workflow_id) return h('span', { class: 'muted' }, '—');
  return h('a', { href: `${base}/workflows/${encodeURIComponent(t.workflow_id)}`, target: '_blank', rel: 'noopener' }, 'Workflow', h('span', { class: 'sr-only' }, ` of ${t.subject || t.id}`));
}

// --- SLA (#28): the due/countdown column of the queue (docs/sla.md) ---
/** slaCell shows a ticket's next SLA deadline as a countdown ("in 25 min", "overdue 5 min"), "breached", or "—". */
function slaCell(t) {
  const s = t.sla;
  if (!s || (!s.due_at && !s.breached)) return h('td', { class: 'sla muted' }, '—');
  if (!s.due_at) return h('td', { class: 'sla error', dataset: { breached: 'true' } }, 'breached');
  const mins = Math.round((new Date(s.due_at) - Date.now()) / 60000);
  const text = mins >= 0 ? `in ${mins} min` : `overdue ${-mins} min`;
  return h('td', { class: mins < 0 || s.breached ? 'sla error' : 'sla', dataset: { due: s.due_at }, title: new Date(s.due_at).toLocaleString() }, text);
}
// --- end SLA ---

/** csatCell shows a ticket's satisfaction survey (docs/tickets.md, CSAT): the rating and comment once
 * answered, else the survey's state and why it failed or was cancelled; "—" without a survey. */
function csatCell(c) {
  if (!c) return h('dd', { class: 'ticket-csat muted' }, '—');
  if (c.state === 'answered') {
    return h('dd', { class: 'ticket-csat', dataset: { rating: String(c.rating) } },
      h('span', { 'aria-label': `${c.rating} of 5` }, `${'★'.repeat(c.rating)}${'☆'.repeat(5 - c.rating)}`),
      c.comment ? h('q', { class: 'csat-comment' }, c.comment) : null,
      h('span', { class: 'muted' }, ` (${new Date(c.answered_at).toLocaleString()})`));
  }
  return h('dd', { class: 'ticket-csat', dataset: { state: c.state } }, `survey ${c.state}`, c.reason ? h('span', { class: 'muted' }, `: ${c.reason}`) : null);
}

/** queueView lists open tickets grouped by routing state, filtered by channel; it reloads on live events (live.js). */
export async function queueView() {
  unlisten();
  const [channels, names] = await Promise.all([listAll('/v1/channels'), userNames()]);
  const chName = Object.fromEntries(channels.map((c) => [c.id, c.name]));
  const filter = field({ name: 'channel', label: 'Channel', type: 'select', id: 'queue-channel', options: [['', 'All channels'], ...channels.map((c) => [c.id, c.name])] });
  // The order of every section (GET /v1/tickets sort), kept for the next visit.
  const saved = localStorage.getItem('routedesk.queueSort');
  const order = field({ name: 'sort', label: 'Order', type: 'select', id: 'queue-sort', value: ['oldest', 'sla_due'].includes(saved) ? saved : '',
    options: [['', 'Newest first'], ['oldest', 'Waiting longest first'], ['sla_due', 'SLA due first']] });
  const sections = h('div', { id: 'queue-sections' });
  const stamp = h('p', { class: 'muted', 'aria-live': 'off' });
  const load = async () => {
    const ch = filter.querySelector('select').value;
    const sort = order.querySelector('select').value;
    const groups = await Promise.all(STATES.map(([state]) =>
      listAll(`/v1/tickets?routing_state=${state}${ch ? `&channel_id=${encodeURIComponent(ch)}` : ''}${sort ? `&sort=${sort}` : ''}`)));
    const parts = [];
    for (const [i, [state, title]] of STATES.entries()) {
      const tickets = groups[i].filter((t) => t.status !== 'closed' && t.status !== 'solved');
      if (state === 'routing' && tickets.length === 0) continue;
      const rows = await Promise.all(tickets.map(async (t) => h('tr', { dataset: { ticket: t.id } },
        h('td', {}, h('a', { href: `#/tickets/${seg(t.id)}` }, t.subject || '(no subject)')),
        h('td', {}, t.channel_id ? chName[t.channel_id] || t.channel_type : `no channel (${t.source})`),
        h('td', {}, await contactName(t.contact_id)),
        h('td', {}, since(t.created_at)),
        slaCell(t), // SLA (#28): due/countdown column
        h('td', { class: 'optional' }, userLabel(names, t.assignee && t.assignee.user_id)),
        h('td', { class: 'optional' }, workflowLink(t)))));
      parts.push(h('section', { class: 'queue-state', dataset: { state }, 'aria-labelledby': `q-${state}` },
        h('h2', { id: `q-${state}` }, `${title} `, h('span', { class: 'badge' }, String(tickets.length))),
        tickets.length === 0 ? h('p', { class: 'muted' }, 'None.') : h('div', { class: 'tablewrap' }, h('table', {},
          h('thead', {}, h('tr', {}, ['Subject', 'Channel', 'Contact', 'Waiting', 'SLA due'].map((c) => h('th', { scope: 'col' }, c)),
            h('th', { scope: 'col', class: 'optional' }, 'Assignee'), h('th', { scope: 'col', class: 'optional' }, 'Temporal'))),
          h('tbody', {}, rows)))));
    }
    sections.replaceChildren(...parts);
    stamp.textContent = `Updated ${new Date().toLocaleTimeString()}`;
  };
  filter.querySelector('select').addEventListener('change', () => guard(load));
  order.querySelector('select').addEventListener('change', (ev) => {
    localStorage.setItem('routedesk.queueSort', ev.target.value);
    guard(load);
  });
  view('Queue', h('div', { class: 'row spread' }, h('div', { class: 'row' }, filter, order),
    h('button', { type: 'button', onclick: () => guard(load) }, 'Refresh')), stamp, sections);
  await load();
  let pending = 0;
  const off = onLive((kind) => {
    if (!['ticket.created', 'ticket.changed', 'message.created', 'reset'].includes(kind)) return;
    if (location.hash !== '#/queue' && location.hash !== '') { off(); return; }
    clearTimeout(pending);
    pending = setTimeout(() => guard(load), 50); // one reload for a burst of events
  });
  unlisten = off;
}

/** ticketView shows one ticket: its details, thread, reply box, assignment and closing. */
export async function ticketView(id) {
  unlisten(id);
  const [t, msgs, users] = await Promise.all([api('GET', `/v1/tickets/${seg(id)}`), listAll(`/v1/tickets/${seg(id)}/messages`), listAll('/v1/users')]);
  const userName = Object.fromEntries(users.map((u) => [u.id, u.name || u.email]));
  const names = new Map(Object.entries(userName));
  const messageItem = (m) => h('li', { class: m.direction, dataset: { message: m.id, status: m.status || '', at: m.sent_at } },
    h('div', { class: 'meta' }, `${m.direction === 'outbound' ? (m.author.user_id ? userLabel(names, m.author.user_id) : 'Agent (API)') : m.author.name || m.author.email || m.author.phone || 'Customer'} · ${new Date(m.sent_at).toLocaleString()}${m.status ? ` · ${m.status}` : ''}`),
    h('div', {}, m.text || m.subject),
    attachmentList(m),
    m.direction === 'outbound' ? deliveryNote(m, () => ticketView(id)) : null);
  const thread = h('ol', { class: 'thread', 'aria-label': 'Conversation' }, msgs.map(messageItem));
  const replySummary = h('p', { class: 'error', role: 'alert' });
  const files = field({ name: 'files', label: 'Attach files', type: 'file', help: 'Up to 10 files, 10 MB each (less on some channels).' });
  files.querySelector('input').multiple = true;
  const reply = h('form', { class: 'reply', novalidate: true },
    field({ name: 'text', id: 'reply-text', label: 'Reply', type: 'textarea', rows: 3, required: true }), files, replySummary,
    h('button', { type: 'submit', class: 'primary' }, 'Send reply'));
  reply.text.dataset.keep = ''; // a draft survives the view's refresh after a status, priority or tag change
  const statusCell = h('dd', { class: 'ticket-status' }, badge(t.status));
  const assigneeCell = h('dd', { class: 'ticket-assignee' }, userLabel(names, t.assignee && t.assignee.user_id));
  const live = ticketLive(id, { thread, text: reply.text, status: statusCell, assignee: assigneeCell, messageItem, userName });
  unlisten = live.stop;
  const macros = macroPicker(id, reply, replySummary, () => ticketView(id));
  reply.insertBefore(macros.ui, files);
  reply.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(reply);
    try {
      if (reply.dataset.macro) { await macros.submit(); return; }
      const chosen = [...files.querySelector('input').files];
      let body = { text: reply.text.value };
      if (chosen.length) {
        body = new FormData();
        body.append('text', reply.text.value);
        for (const f of chosen) body.append('files', f, f.name);
      }
      const res = await api('POST', `/v1/tickets/${seg(id)}/replies`, body);
      reply.text.value = ''; // sent: the refresh must not bring it back as a draft
      announce(replyOutcome(res), res.status === 'failed' || res.status === 'suppressed');
      await ticketView(id);
    } catch (e) { showErrors(reply, e, replySummary); }
  });
  const manage = h('form', { class: 'manage', novalidate: true },
    field({ name: 'assignee.user_id', label: 'Assignee', type: 'select', id: 'assignee', value: (t.assignee && t.assignee.user_id) || '',
      options: [['', '(nobody)'], ...users.map((u) => [u.id, `${u.name || u.email} (${u.availability})`])] }),
    h('div', { class: 'row' },
      h('button', { type: 'submit' }, 'Assign'),
      h('button', { type: 'button', class: 'danger', disabled: t.status === 'closed', onclick: () => patch({ status: 'closed' }, 'Ticket closed.') }, 'Close ticket')),
    ticketEditor(t, (body, done) => patch(body, done)));
  const manageSummary = h('p', { class: 'error', role: 'alert' });
  manage.append(manageSummary);
  async function patch(body, done) {
    clearErrors(manage);
    try {
      await api('PATCH', `/v1/tickets/${seg(id)}`, body);
      announce(done);
      await ticketView(id);
    } catch (e) { showErrors(manage, e, manageSummary); }
  }
  manage.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const uid = manage.querySelector('#assignee').value;
    patch({ assignee: { user_id: uid || null } }, uid ? `Assigned to ${userName[uid]}.` : 'Unassigned.');
  });
  view(t.subject || 'Ticket',
    h('p', {}, h('a', { href: '#/queue' }, '← Queue')),
    h('div', { class: 'grid2' },
      h('div', {}, thread, live.ui, reply, noteComposer(id, () => ticketView(id)), macros.outcomes, t.channel_type === 'whatsapp' ? templatePicker(t, () => ticketView(id), replyOutcome) : null),
      h('div', {}, h('div', { class: 'card' },
        h('dl', { class: 'result ticket-facts' },
          h('dt', {}, 'Status'), statusCell,
          h('dt', {}, 'Priority'), h('dd', { class: 'ticket-priority' }, t.priority || 'normal'),
          h('dt', {}, 'Tags'), h('dd', { class: 'ticket-tags' }, (t.tags || []).join(', ') || 'none'),
          h('dt', {}, 'Routing'), h('dd', { class: 'ticket-routing' }, badge(t.routing_state)),
          h('dt', {}, 'Assignee'), assigneeCell,
          h('dt', {}, 'Contact'), h('dd', {}, await contactName(t.contact_id)),
          h('dt', {}, 'Reply window'), h('dd', {}, t.reply_window ? t.reply_window.state : '—'),
          h('dt', {}, 'Satisfaction'), csatCell(t.csat),
          h('dt', {}, 'Required skills'), h('dd', {}, (t.required_skills || []).join(', ') || 'none'),
          h('dt', {}, 'Properties'), h('dd', {}, h('code', {}, JSON.stringify(t.properties || {}))),
          h('dt', {}, 'Workflow'), h('dd', {}, workflowLink(t))),
        manage),
      slaPanel(t),
      routingPanel(t),
      contactPanel(t),
      privacyPanel(t, () => ticketView(id)))));
  await addNotes(thread, id, names).catch((e) => thread.append(h('li', { class: 'error' }, `Notes not loaded: ${e.message}`)));
}

/** size is a byte count for people: 512 B, 14 KB, 2.5 MB. */
function size(n) {
  if (n < 1024) return `${n} B`;
  return n < 1048576 ? `${Math.round(n / 1024)} KB` : `${(n / 1048576).toFixed(1)} MB`;
}

/** attachmentList lists a message's files (loaded after the thread shows): name, type, size and a download, or omitted. */
function attachmentList(m) {
  const list = h('ul', { class: 'attachments', 'aria-label': 'Attachments', hidden: true });
  listAll(`/v1/messages/${seg(m.id)}/attachments`).then((items) => {
    if (!items.length) return;
    list.replaceChildren(...items.map((a) => h('li', { dataset: { n: String(a.n), omitted: a.omitted ? 'true' : 'false' } },
      h('span', { class: 'name' }, a.name || `attachment ${a.n}`), ' ',
      h('span', { class: 'muted' }, `${a.content_type} · ${size(a.size)}`), ' ',
      a.omitted
        ? h('span', { class: 'badge omitted', title: 'Over the size limit: listed, its bytes were not kept' }, 'omitted')
        : h('button', { type: 'button', class: 'download', onclick: () => guard(async () => {
          await download(`/v1/messages/${seg(m.id)}/attachments/${a.n}`, a.name || `attachment-${a.n}`);
          announce(`Downloaded ${a.name}.`);
        }) }, 'Download', h('span', { class: 'sr-only' }, ` ${a.name}`)))));
    list.hidden = false;
  }, (e) => { list.replaceChildren(h('li', { class: 'error' }, `Attachments not loaded: ${e.message}`)); list.hidden = false; });
  return list;
}

/** replyOutcome says what became of a reply: only a sent one is "Reply sent.". */
export function replyOutcome(r) {
  const why = r.failure_reason ? `: ${r.failure_reason}` : '';
  switch (r.status) {
    case 'sent': return 'Reply sent.';
    case 'queued': return 'Reply queued: the channel has not taken it yet.';
    case 'retrying': return `Reply not sent yet, retrying${r.next_attempt_at ? ` at ${new Date(r.next_attempt_at).toLocaleTimeString()}` : ''}${why}`;
    case 'failed': return `Reply failed${why}`;
    case 'suppressed': return `Reply not sent (suppressed)${why}`;
    default: return `Reply ${r.status}${why}`;
  }
}

/** deliveryNote shows an outbound message's delivery trouble (reason, next attempt) and a Retry button for a failed one. */
function deliveryNote(m, reload) {
  if (!['retrying', 'failed', 'suppressed', 'queued'].includes(m.status)) return null;
  const parts = [];
  if (m.status === 'retrying') parts.push(`Retrying${m.next_attempt_at ? `, next attempt ${new Date(m.next_attempt_at).toLocaleString()}` : ''}${m.attempts ? ` (${m.attempts} attempts so far)` : ''}.`);
  if (m.status === 'queued') parts.push('Queued: not sent yet.');
  if (m.failure_reason) parts.push(m.status === 'retrying' ? `Last error: ${m.failure_reason}` : m.failure_reason);
  const note = h('div', { class: m.status === 'failed' || m.status === 'suppressed' ? 'delivery error' : 'delivery muted', role: 'status' }, parts.join(' '));
  if (m.status === 'failed') {
    note.append(' ', h('button', { type: 'button', class: 'retry', onclick: async (ev) => {
      ev.target.disabled = true;
      try {
        await api('POST', `/v1/messages/${seg(m.id)}/retry`);
        announce('Sending the reply again.');
        await reload();
      } catch (e) { announce(e.message || 'Retry failed.', true); ev.target.disabled = false; }
    } }, 'Retry'));
  }
  return note;
}
