// notes.js: internal notes in a ticket's thread (agents only, never sent) and the note composer,
// whose @ autocompletes the account's users; a chosen user is mentioned (and notified).
import { api, listAll, seg } from './api.js';
import { h, announce, showErrors, clearErrors } from './ui.js';
import { loadUsers, userLabel } from './names.js';

/** noteItem is a note as a thread entry: another colour, marked internal. */
function noteItem(n, names) {
  return h('li', { class: 'note-item', dataset: { note: n.id, at: n.created_at } },
    h('div', { class: 'meta' }, h('strong', {}, 'Internal note'), ` · ${userLabel(names, n.author_user_id)} · ${new Date(n.created_at).toLocaleString()}`),
    h('div', { class: 'note-body' }, n.body));
}

/** addNotes lists the ticket's notes and places each in the thread (whose entries carry data-at) by time. */
export async function addNotes(thread, ticketID, names) {
  const notes = await listAll(`/v1/tickets/${seg(ticketID)}/notes`);
  for (const n of notes) {
    const at = new Date(n.created_at).getTime();
    const after = [...thread.children].find((li) => li.dataset.at && new Date(li.dataset.at).getTime() > at);
    thread.insertBefore(noteItem(n, names), after || null);
  }
  return notes.length;
}

/** mentionAt finds the @word being typed before the caret: {start, word}, or null. */
function mentionAt(text, caret) {
  const m = text.slice(0, caret).match(/(^|\s)@([^\s@]*)$/);
  return m ? { start: caret - m[2].length - 1, word: m[2].toLowerCase() } : null;
}

/**
 * noteComposer is the "Internal note" button and the form it opens: a textarea where @ lists matching
 * users (arrows, Enter or a click choose; Esc closes), and Add note, which posts the note with the chosen mentions.
 */
export function noteComposer(ticketID, onDone) {
  const text = h('textarea', { id: 'note-text', name: 'body', rows: 3, dataset: { field: 'body', keep: '' }, 'aria-describedby': 'note-help note-text-err',
    role: 'combobox', 'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': 'mention-list' });
  const list = h('ul', { id: 'mention-list', class: 'mention-list', role: 'listbox', 'aria-label': 'Mention a user', hidden: true });
  const summary = h('p', { class: 'error', role: 'alert' });
  const mentioned = new Map(); // email → user id, for the mentions still in the text
  const form = h('form', { class: 'note-form', id: 'note-form', novalidate: true, hidden: true },
    h('label', { for: 'note-text' }, 'Internal note'),
    h('span', { id: 'note-help', class: 'help' }, 'Only agents see it; it is never sent to the customer. Type @ to mention someone.'),
    text, list, h('span', { id: 'note-text-err', class: 'error', 'aria-live': 'polite' }), summary,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Add note'),
      h('button', { type: 'button', onclick: () => close() }, 'Cancel')));
  let matches = [];
  let active = 0;
  const hide = () => { list.hidden = true; text.setAttribute('aria-expanded', 'false'); text.removeAttribute('aria-activedescendant'); matches = []; };
  const render = () => {
    list.replaceChildren(...matches.map((u, i) => h('li', { role: 'option', id: `mention-${i}`, class: i === active ? 'active' : '',
      'aria-selected': i === active ? 'true' : 'false', dataset: { user: u.id }, onmousedown: (ev) => { ev.preventDefault(); choose(u); } },
    h('strong', {}, u.name || u.email), ' ', h('span', { class: 'muted' }, u.email))));
    list.hidden = matches.length === 0;
    text.setAttribute('aria-expanded', matches.length ? 'true' : 'false');
    if (matches.length) text.setAttribute('aria-activedescendant', `mention-${active}`);
  };
  const suggest = async () => {
    const at = mentionAt(text.value, text.selectionStart);
    if (!at) { hide(); return; }
    const users = await loadUsers();
    matches = users.filter((u) => u.email && (`${u.name || ''} ${u.email}`).toLowerCase().split(/[\s@.]+/).some((w) => w.startsWith(at.word))
      || (u.email || '').toLowerCase().startsWith(at.word)).slice(0, 8);
    active = 0;
    render();
  };
  function choose(u) {
    const at = mentionAt(text.value, text.selectionStart);
    if (!at) return;
    const insert = `@${u.email} `;
    text.value = text.value.slice(0, at.start) + insert + text.value.slice(text.selectionStart);
    const caret = at.start + insert.length;
    text.setSelectionRange(caret, caret);
    mentioned.set(u.email, u.id);
    hide();
    announce(`${u.name || u.email} will be mentioned.`);
    text.focus();
  }
  text.addEventListener('input', () => { suggest().catch((e) => announce(e.message, true)); });
  text.addEventListener('keydown', (ev) => {
    if (list.hidden) return;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      active = (active + (ev.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length;
      render();
    } else if (ev.key === 'Enter' || ev.key === 'Tab') {
      ev.preventDefault();
      swallow = true; // the key chose a user: its line break or tab stays out of the text until it is released
      choose(matches[active]);
    } else if (ev.key === 'Escape') {
      ev.preventDefault();
      hide();
    }
  });
  let swallow = false;
  text.addEventListener('beforeinput', (ev) => { if (swallow && ['insertLineBreak', 'insertParagraph', 'insertText'].includes(ev.inputType)) ev.preventDefault(); });
  text.addEventListener('keyup', () => { swallow = false; });
  text.addEventListener('blur', () => setTimeout(hide, 150));
  const open = h('button', { type: 'button', id: 'note-open', class: 'note-open', 'aria-keyshortcuts': 'i', 'aria-expanded': 'false', 'aria-controls': 'note-form',
    onclick: () => { form.hidden = false; open.setAttribute('aria-expanded', 'true'); text.focus(); } }, 'Internal note', h('span', { class: 'muted' }, ' (i)'));
  function close() {
    form.hidden = true;
    open.setAttribute('aria-expanded', 'false');
    hide();
    open.focus();
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = text.value.trim();
    const mentions = [...mentioned].filter(([email]) => body.includes(`@${email}`)).map(([, id]) => id);
    try {
      const n = await api('POST', `/v1/tickets/${seg(ticketID)}/notes`, { body, mentions });
      text.value = ''; // added: the refresh must not bring it back as a draft
      announce(n.mentions && n.mentions.length ? `Note added; ${n.mentions.length} mentioned.` : 'Note added.');
      await onDone(n);
    } catch (e) { showErrors(form, e, summary); }
  });
  return h('div', { class: 'notes' }, open, form);
}
