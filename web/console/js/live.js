// live.js: the agent event stream (GET /v1/events) over EventSource. EventSource cannot send the token, so each
// connection uses a one-minute stream ticket; after a drop the console reconnects and resumes after the last event id.
import { api } from './api.js';
import { h } from './ui.js';

const KINDS = ['ready', 'reset', 'ticket.created', 'ticket.changed', 'message.created', 'note.created', 'notification', 'presence'];
const listeners = new Set();
let source = null;
let lastId = '';
let backoff = 1000;
let timer = 0;
let running = false;

/** onLive calls fn(kind, data) for every live event (reset: the console missed events and reloads); returns the unsubscribe. */
export function onLive(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function state(s) {
  document.body.dataset.live = s;
  const el = document.getElementById('live-state');
  if (el) {
    el.textContent = s === 'connected' ? 'Live' : 'Reconnecting…';
    el.className = `badge ${s === 'connected' ? 'connected' : 'disconnected'}`;
  }
}

function emit(kind, ev) {
  if (ev.lastEventId && kind !== 'presence') {
    if (lastId && kind !== 'ready' && kind !== 'reset' && Number(ev.lastEventId) <= Number(lastId)) return; // seen already
    lastId = ev.lastEventId;
  }
  let data = {};
  try { data = JSON.parse(ev.data); } catch { return; }
  for (const fn of listeners) {
    try { fn(kind, data); } catch (e) { console.error('live listener', e); }
  }
}

async function connect() {
  clearTimeout(timer);
  if (!running) return;
  let ticket;
  try {
    ticket = (await api('POST', '/v1/events/tickets')).ticket;
  } catch {
    state('reconnecting');
    timer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 30000);
    return;
  }
  const es = new EventSource(`/v1/events?ticket=${encodeURIComponent(ticket)}${lastId ? `&after=${encodeURIComponent(lastId)}` : ''}`);
  source = es;
  for (const kind of KINDS) es.addEventListener(kind, (ev) => emit(kind, ev));
  es.addEventListener('ready', () => { backoff = 1000; state('connected'); });
  es.addEventListener('reset', () => { backoff = 1000; state('connected'); });
  es.onerror = () => {
    if (source !== es) return;
    state('reconnecting');
    // CONNECTING: the browser retries by itself with Last-Event-ID; CLOSED (the ticket expired, a 429): a new ticket.
    if (es.readyState === EventSource.CLOSED) {
      timer = setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 30000);
    }
  };
}

/** startLive opens the stream (once) and shows its state in the header. */
export function startLive() {
  const who = document.getElementById('who');
  if (who && !document.getElementById('live-state')) who.prepend(h('span', { id: 'live-state', class: 'badge disconnected', title: 'Live updates' }, 'Connecting…'));
  if (running) return;
  running = true;
  state('connecting');
  connect();
}

/** stopLive closes the stream (sign-out). */
export function stopLive() {
  running = false;
  clearTimeout(timer);
  if (source) source.close();
  source = null;
  lastId = '';
  delete document.body.dataset.live;
}
