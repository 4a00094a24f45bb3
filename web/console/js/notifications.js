// notifications.js: the header's notifications button (unread count) and its list, from GET /v1/notifications,
// updated by the live stream (and shown by the browser's Notification API once allowed while the tab is hidden);
// opening one marks it read (POST /v1/notifications/{id}/read) and goes to its ticket.
import { api, session, seg } from './api.js';
import { h, announce, guard } from './ui.js';
import { userNames, userLabel } from './names.js';
import { onLive } from './live.js';

let timer;
let reload = null; // the shown bell's load, run again when the route changes
const subjects = new Map();
window.addEventListener('hashchange', () => { if (reload && session.me) guard(reload); });

function subject(ticketID) {
  if (!subjects.has(ticketID)) subjects.set(ticketID, api('GET', `/v1/tickets/${seg(ticketID)}`).then((t) => t.subject || '(no subject)', () => 'a ticket'));
  return subjects.get(ticketID);
}

/** describe says what a notification is about, in words. */
function describe(n, names, subj) {
  const who = n.actor_user_id ? userLabel(names, n.actor_user_id) : '';
  switch (n.kind) {
    case 'mention': return `${who} mentioned you on “${subj}”`;
    case 'assigned': return who ? `${who} assigned you “${subj}”` : `“${subj}” was assigned to you`;
    case 'customer_reply': return `The customer answered on “${subj}”`;
    default: return `${who ? `${who}: ` : ''}${n.kind.replace(/_/g, ' ')} on “${subj}”`;
  }
}

const BROWSER_TEXT = { assigned: 'A ticket was assigned to you', customer_reply: 'The customer answered on your ticket', mention: 'You were mentioned in a note' };
let unlistenLive = () => {};

/** notificationBell is the header's button and list; null for a token bound to no user (the API answers 403). */
export function notificationBell() {
  clearInterval(timer);
  reload = null;
  if (!session.me || !session.me.user_id) return null;
  const count = h('span', { class: 'badge count', id: 'notifications-count' }, '0');
  const button = h('button', { type: 'button', id: 'notifications-open', 'aria-expanded': 'false', 'aria-controls': 'notifications' },
    'Notifications ', count);
  const list = h('ol', { class: 'notification-list', 'aria-label': 'Notifications' });
  const panel = h('div', { id: 'notifications', class: 'notifications card', hidden: true },
    h('div', { class: 'row spread' }, h('h2', {}, 'Notifications'),
      h('button', { type: 'button', id: 'notifications-read-all', class: 'link', onclick: () => guard(readAll) }, 'Mark all read')),
    list);
  let items = [];
  async function load() {
    const page = await api('GET', '/v1/notifications?limit=30');
    items = page.items || [];
    const unread = items.filter((n) => !n.read_at).length;
    count.textContent = String(unread);
    count.classList.toggle('unread', unread > 0);
    button.setAttribute('aria-label', `Notifications, ${unread} unread`);
    if (!panel.hidden) await render();
  }
  async function render() {
    const names = await userNames();
    const rows = await Promise.all(items.map(async (n) => h('li', { class: n.read_at ? 'read' : 'unread', dataset: { notification: n.id, ticket: n.ticket_id, kind: n.kind } },
      h('a', { href: `#/tickets/${seg(n.ticket_id)}`, onclick: (ev) => { ev.preventDefault(); guard(() => openOne(n)); } },
        describe(n, names, await subject(n.ticket_id))),
      h('span', { class: 'muted' }, ` · ${new Date(n.created_at).toLocaleString()}${n.read_at ? '' : ' · unread'}`))));
    list.replaceChildren(...(rows.length ? rows : [h('li', { class: 'muted' }, 'Nothing yet.')]));
  }
  async function openOne(n) {
    if (!n.read_at) await api('POST', `/v1/notifications/${seg(n.id)}/read`);
    toggle(false);
    location.hash = `#/tickets/${seg(n.ticket_id)}`;
    await load();
  }
  async function readAll() {
    const unread = items.filter((n) => !n.read_at);
    await Promise.all(unread.map((n) => api('POST', `/v1/notifications/${seg(n.id)}/read`)));
    announce(unread.length ? `${unread.length} marked read.` : 'Nothing unread.');
    await load();
  }
  function toggle(show) {
    panel.hidden = !show;
    button.setAttribute('aria-expanded', String(show));
    if (show) guard(render);
    if (show && 'Notification' in window && Notification.permission === 'default') Notification.requestPermission();
  }
  button.addEventListener('click', () => toggle(panel.hidden));
  panel.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') { toggle(false); button.focus(); } });
  reload = load;
  guard(load);
  unlistenLive();
  unlistenLive = onLive((kind, ev) => {
    if (kind === 'reset') { guard(load); return; }
    if (kind !== 'notification') return;
    guard(load);
    if ('Notification' in window && Notification.permission === 'granted' && document.hidden) {
      const shown = new Notification('routedesk', { body: BROWSER_TEXT[ev.data && ev.data.kind] || 'New notification', tag: ev.data && ev.data.notification_id });
      shown.onclick = () => { window.focus(); if (ev.ticket_id) location.hash = `#/tickets/${seg(ev.ticket_id)}`; };
    }
  });
  // The stream is the way updates come; a slow check covers a stream the network keeps cutting.
  timer = setInterval(() => { if (session.me) guard(load); else clearInterval(timer); }, 60000);
  return h('div', { class: 'notify' }, button, panel);
}
