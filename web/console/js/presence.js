// presence.js: who else is on the open ticket (viewing, typing), heartbeats of our own, the live thread and facts,
// and the collision warning when someone else replies while we type.
import { api, session, seg } from './api.js';
import { h, badge } from './ui.js';
import { onLive } from './live.js';

const BEAT = 10000; // viewing heartbeat (the server keeps it 30 s)
const TYPE_BEAT = 3000; // typing heartbeat while keys are pressed (the server keeps it 6 s)

/**
 * ticketLive wires the ticket view: parts are the thread list, the reply textarea, the status and assignee cells,
 * messageItem(m) renders a thread entry and userName maps user ids. It returns the element that shows presence and
 * warnings, and stop() (call it when the view changes).
 */
export function ticketLive(id, parts) {
  const { thread, text, status, assignee, messageItem, userName } = parts;
  const line = h('p', { class: 'presence muted', 'aria-live': 'polite', dataset: { presence: '' } });
  const warn = h('p', { class: 'collision error', role: 'alert', hidden: true });
  const box = h('div', { class: 'live-ticket' }, line, warn);
  const here = new Map(); // user id → {name, state, until}
  let stopped = false;
  let lastTyping = 0;

  const render = () => {
    const now = Date.now();
    for (const [k, v] of here) if (v.until <= now) here.delete(k);
    const typing = [...here.values()].filter((v) => v.state === 'typing' && v.typingUntil > now);
    const viewing = [...here.values()];
    line.textContent = viewing.length === 0 ? '' : [
      `${viewing.map((v) => v.name).join(', ')} ${viewing.length === 1 ? 'is' : 'are'} viewing this ticket`,
      typing.length ? `${typing.map((v) => v.name).join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing a reply…` : '',
    ].filter(Boolean).join(' · ');
    line.dataset.presence = viewing.map((v) => `${v.id}:${v.typingUntil > now ? 'typing' : 'viewing'}`).join(' ');
  };
  const set = (p) => {
    const name = p.name || userName[p.user_id] || 'An admin';
    if (p.state === 'left') { here.delete(p.user_id); render(); return; }
    const now = Date.now();
    const prev = here.get(p.user_id) || {};
    here.set(p.user_id, { id: p.user_id, name, state: p.state, until: now + Math.max(p.ttl_seconds, 30) * 1000,
      typingUntil: p.state === 'typing' ? now + p.ttl_seconds * 1000 : (prev.typingUntil || 0) });
    render();
  };
  const beat = async (state) => {
    if (stopped) return;
    try {
      const res = await api('POST', `/v1/tickets/${seg(id)}/presence`, { state });
      for (const p of res.items) {
        const now = Date.now();
        // an answer may be older than a presence event that arrived meanwhile: it never shortens what is known
        const prev = here.get(p.user_id) || {};
        here.set(p.user_id, { id: p.user_id, name: p.name || userName[p.user_id] || 'An admin', state: p.typing ? 'typing' : 'viewing',
          until: Math.max(prev.until || 0, now + 30000), typingUntil: Math.max(prev.typingUntil || 0, p.typing ? now + 6000 : 0) });
      }
      render();
    } catch { /* presence is best effort */ }
  };
  const onInput = () => {
    if (text.value.trim() === '') warn.hidden = true;
    const now = Date.now();
    if (now - lastTyping < TYPE_BEAT || text.value.trim() === '') return;
    lastTyping = now;
    beat('typing');
  };
  text.addEventListener('input', onInput);

  const refreshFacts = async () => {
    const t = await api('GET', `/v1/tickets/${seg(id)}`);
    status.replaceChildren(badge(t.status));
    assignee.textContent = (t.assignee && userName[t.assignee.user_id]) || '—';
  };
  const addMessages = async () => {
    const page = await api('GET', `/v1/tickets/${seg(id)}/messages?limit=200`);
    for (const m of page.items || []) {
      const old = thread.querySelector(`[data-message="${CSS.escape(m.id)}"]`);
      if (old && old.dataset.status === (m.status || '')) continue;
      const li = messageItem(m);
      if (old) old.replaceWith(li); else thread.append(li);
    }
  };
  const off = onLive((kind, ev) => {
    if (kind === 'presence') { if (ev.ticket_id === id) set(ev); return; }
    if (kind === 'reset') { refreshFacts(); addMessages(); return; }
    if (ev.ticket_id !== id) return;
    if (kind === 'ticket.changed') refreshFacts();
    if (kind === 'message.created') {
      addMessages();
      const d = ev.data || {};
      if (d.direction === 'outbound' && d.author_user_id !== (session.me && session.me.user_id) && text.value.trim() !== '') {
        warn.textContent = `${userName[d.author_user_id] || 'Someone else'} sent a reply while you were typing. Read it before you send yours.`;
        warn.hidden = false;
      }
    }
  });
  const tick = setInterval(render, 1000);
  const heartbeat = setInterval(() => { if (!document.hidden) beat('viewing'); }, BEAT);
  beat('viewing');
  // stop ends it; next is the ticket shown next (the same one re-rendered: no "left").
  const stop = (next) => {
    if (stopped) return;
    stopped = true;
    off();
    clearInterval(tick);
    clearInterval(heartbeat);
    text.removeEventListener('input', onInput);
    window.removeEventListener('hashchange', onRoute);
    if (next !== id) api('POST', `/v1/tickets/${seg(id)}/presence`, { state: 'left' }).catch(() => {});
  };
  const onRoute = () => { if (location.hash !== `#/tickets/${seg(id)}`) stop(); };
  window.addEventListener('hashchange', onRoute);
  return { ui: box, stop };
}
