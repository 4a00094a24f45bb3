// notify.js: the notification bell (assignments, customer answers, mentions), updated by the live stream, and the
// browser's Notification API once the agent allows it.
import { api, session, seg } from './api.js';
import { h } from './ui.js';
import { onLive } from './live.js';

const TEXT = {
  assigned: 'A ticket was assigned to you',
  customer_reply: 'The customer answered on your ticket',
  mention: 'You were mentioned in a note',
};

/** bell returns the header's notification button and list (nothing for a token not bound to a user). */
export function bell() {
  if (!session.me || !session.me.user_id) return null;
  const count = h('span', { class: 'badge', id: 'notify-count' }, '0');
  const list = h('ul', { class: 'notify-list card', id: 'notify-list', hidden: true, 'aria-label': 'Notifications' });
  const button = h('button', { type: 'button', id: 'notify-bell', 'aria-expanded': 'false', 'aria-controls': 'notify-list',
    onclick: () => {
      list.hidden = !list.hidden;
      button.setAttribute('aria-expanded', String(!list.hidden));
      if (!list.hidden && 'Notification' in window && Notification.permission === 'default') Notification.requestPermission();
    } }, 'Notifications ', count);
  const load = async () => {
    const page = await api('GET', '/v1/notifications?limit=50');
    const items = page.items || [];
    const unread = items.filter((n) => !n.read_at);
    count.textContent = String(unread.length);
    count.className = unread.length ? 'badge waiting_for_agent' : 'badge';
    list.replaceChildren(...(items.length === 0 ? [h('li', { class: 'muted' }, 'No notifications.')] : items.map((n) =>
      h('li', { class: n.read_at ? 'read' : 'unread', dataset: { notification: n.id, kind: n.kind } },
        h('a', { href: n.ticket_id ? `#/tickets/${seg(n.ticket_id)}` : '#/queue', onclick: () => {
          list.hidden = true;
          if (!n.read_at) api('POST', `/v1/notifications/${seg(n.id)}/read`).then(load, () => {});
        } }, TEXT[n.kind] || n.kind),
        ' ', h('span', { class: 'muted' }, new Date(n.created_at).toLocaleTimeString())))));
  };
  onLive((kind, ev) => {
    if (kind === 'reset') { load().catch(() => {}); return; }
    if (kind !== 'notification') return;
    load().catch(() => {});
    const text = TEXT[ev.data && ev.data.kind] || 'New notification';
    if ('Notification' in window && Notification.permission === 'granted' && document.hidden) {
      const n = new Notification('routedesk', { body: text, tag: ev.data && ev.data.notification_id });
      n.onclick = () => { window.focus(); if (ev.ticket_id) location.hash = `#/tickets/${seg(ev.ticket_id)}`; };
    }
  });
  load().catch(() => {});
  return h('span', { class: 'notify' }, button, list);
}
