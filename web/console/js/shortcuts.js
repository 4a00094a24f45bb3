// shortcuts.js: the console's keyboard shortcuts for the common moves, listed on "?".
import { listAll, seg } from './api.js';
import { h, announce } from './ui.js';

const focus = (sel, what) => () => {
  const el = document.querySelector(sel);
  if (!el) { announce(`No ${what} on this page: open a ticket first.`, true); return; }
  el.focus();
  if (el.tagName === 'BUTTON') el.click();
};

/** SHORTCUTS are [key, what it does, action]; an action of null is listed as not available. */
export const SHORTCUTS = [
  ['n', 'Next ticket in the queue', nextTicket],
  ['r', 'Reply: focus the reply box', focus('form.reply textarea', 'reply box')],
  ['m', 'Macros: search canned replies (Ctrl+/ inside the reply box)', focus('form.reply .macro-open', 'reply box')],
  ['t', 'WhatsApp template picker', focus('#template-select', 'template picker (WhatsApp tickets)')],
  ['s', 'Status: choose the ticket status', focus('#ticket-status-select', 'status control')],
  ['a', 'Assign: choose the assignee', focus('#assignee', 'assignee control')],
  ['i', 'Internal note: open the note box (type @ to mention someone)', focus('#note-open', 'note box')],
  ['/', 'Search tickets (in the inbox)', searchTickets],
  ['q', 'Go to the queue', () => { location.hash = '#/queue'; }],
  ['?', 'Show these shortcuts', showHelp],
];

/** searchTickets focuses the inbox's search box, opening the inbox first when it is not shown. */
function searchTickets() {
  const box = document.getElementById('ticket-search');
  if (box) { box.focus(); box.select(); return; }
  location.hash = '#/inbox';
}

/** nextTicket opens the open ticket after the current one, in the queue's order (oldest waiting first). */
async function nextTicket() {
  const states = ['waiting_for_agent', 'unassigned', 'assigned'];
  const groups = await Promise.all(states.map((s) => listAll(`/v1/tickets?routing_state=${s}`)));
  const tickets = groups.flat().filter((t) => t.status !== 'closed' && t.status !== 'solved');
  if (!tickets.length) { announce('No open ticket in the queue.'); return; }
  const m = location.hash.match(/^#\/tickets\/([^/]+)$/);
  const at = m ? tickets.findIndex((t) => t.id === decodeURIComponent(m[1])) : -1;
  const next = tickets[(at + 1) % tickets.length];
  location.hash = `#/tickets/${seg(next.id)}`;
}

function showHelp() {
  let dlg = document.getElementById('shortcuts');
  if (!dlg) {
    dlg = h('dialog', { id: 'shortcuts', 'aria-labelledby': 'shortcuts-title' },
      h('h2', { id: 'shortcuts-title' }, 'Keyboard shortcuts'),
      h('table', {}, h('tbody', {}, SHORTCUTS.map(([key, what, action]) => h('tr', { class: action ? '' : 'muted' },
        h('th', { scope: 'row' }, h('kbd', {}, key)), h('td', {}, what))))),
      h('p', { class: 'muted' }, 'Shortcuts work when no field has the focus; Esc closes this list.'),
      h('form', { method: 'dialog' }, h('button', { type: 'submit' }, 'Close')));
    document.body.append(dlg);
  }
  if (!dlg.open) dlg.showModal();
}

/** swallowKey keeps a shortcut's own character out of the field its action focused, until the key is released. */
function swallowKey(key) {
  const drop = (e) => { if (e.data === key || e.key === key) e.preventDefault(); };
  document.addEventListener('beforeinput', drop, true);
  document.addEventListener('keypress', drop, true);
  document.addEventListener('keyup', () => {
    document.removeEventListener('beforeinput', drop, true);
    document.removeEventListener('keypress', drop, true);
  }, { once: true, capture: true });
}

/** installShortcuts listens for the shortcuts outside form fields, without modifier keys. */
export function installShortcuts() {
  document.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
    const el = ev.target;
    if (el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName))) return;
    if (document.querySelector('dialog[open]') || !document.getElementById('nav') || document.getElementById('nav').hidden) return;
    const hit = SHORTCUTS.find(([key]) => key === ev.key);
    if (!hit) return;
    ev.preventDefault();
    swallowKey(ev.key);
    if (!hit[2]) { announce(hit[1], true); return; }
    Promise.resolve(hit[2]()).catch((e) => announce(e.message, true));
  });
}
