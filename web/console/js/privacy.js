// privacy.js: a ticket's privacy panel (issue 30): redact a message, export or erase its contact.
import { api, seg, session, listAll } from './api.js';
import { h, announce } from './ui.js';

/** redactList lists the ticket's messages, each with a Redact button that asks for a reason; a message
 * with files also offers to redact one file only (its bytes go, the message stays). */
function redactList(ticket, reload) {
  const list = h('ul', { class: 'privacy-messages' }, h('li', { class: 'muted' }, 'Loading…'));
  api('GET', `/v1/tickets/${seg(ticket.id)}/messages`).then((page) => {
    list.replaceChildren(...(page.items || []).map((m) => {
      const reason = h('input', { type: 'text', class: 'redact-reason', placeholder: 'Reason', 'aria-label': 'Reason for redacting' });
      const what = h('select', { class: 'redact-what', 'aria-label': 'What to redact', hidden: true },
        h('option', { value: '' }, 'Whole message'));
      listAll(`/v1/messages/${seg(m.id)}/attachments`).then((files) => {
        const kept = files.filter((a) => !a.omitted);
        if (!kept.length) return;
        what.append(...kept.map((a) => h('option', { value: String(a.n) }, `Only the file ${a.name || `attachment ${a.n}`}`)));
        what.hidden = false;
      }, () => {}); // without the list, the whole message can still be redacted
      const go = h('button', { type: 'button', class: 'danger redact', onclick: async () => {
        if (!reason.value.trim()) { reason.focus(); announce('Say why the message is redacted.', true); return; }
        const body = { reason: reason.value.trim() };
        if (what.value !== '') body.attachment = Number(what.value);
        try {
          await api('POST', `/v1/messages/${seg(m.id)}/redact`, body);
          announce(what.value !== '' ? 'File redacted.' : 'Message redacted.');
          reload();
        } catch (e) { announce(`Not redacted: ${e.message}`, true); }
      } }, 'Redact');
      return h('li', { dataset: { message: m.id } }, h('span', { class: 'privacy-text' }, (m.text || '').slice(0, 80)), ' ', what, ' ', reason, ' ', go);
    }));
  }, (e) => list.replaceChildren(h('li', { class: 'error' }, `Messages not loaded: ${e.message}`)));
  return list;
}

// exportsByContact is the last export started from this page per contact id, shown again when the panel is redrawn.
const exportsByContact = new Map();
// exportPanels is the poll of the newest privacy panel drawn per contact id.
const exportPanels = new Map();

/** contactActions are the admin's Export and Erase buttons of the ticket's contact. */
function contactActions(ticket) {
  if (!session.isAdmin || !ticket.contact_id) return null;
  const cid = ticket.contact_id;
  const exportState = h('p', { class: 'muted export-state' });
  const showExport = (e) => exportState.replaceChildren(`Export ${e.state}`,
    e.download_url ? h('span', {}, ' · ', h('a', { href: '#', class: 'export-download', dataset: { url: e.download_url }, onclick: (ev) => { ev.preventDefault(); download(e); } }, 'Download')) : '');
  async function download(e) {
    const res = await fetch(e.download_url, { headers: { Authorization: `Bearer ${session.token}` } });
    const url = URL.createObjectURL(await res.blob());
    h('a', { href: url, download: `${e.id}.zip` }).click();
  }
  let polling = ''; // the export this panel is polling
  async function poll(id, again = false) {
    exportsByContact.set(cid, id);
    const newest = exportPanels.get(cid);
    if (newest !== poll) { newest(id); return; } // the panel was redrawn: the new one shows and polls
    if (polling === id && !again) return;
    polling = id;
    const e = await api('GET', `/v1/exports/${seg(id)}`);
    showExport(e);
    if (e.state === 'running') setTimeout(() => poll(id, true), 1000);
    else polling = '';
  }
  // A redraw of the ticket view (a live update, an action's refresh) must not lose an export under way.
  exportPanels.set(cid, poll);
  if (exportsByContact.has(cid)) setTimeout(() => poll(exportsByContact.get(cid)), 0);
  const confirmInput = h('input', { type: 'text', class: 'erase-confirm', placeholder: 'Type the contact id to confirm', 'aria-label': 'Contact id to confirm erasure' });
  const erased = h('p', { class: 'muted erase-state' });
  return h('div', { class: 'privacy-contact' },
    h('button', { type: 'button', class: 'export-start', onclick: async () => {
      try { poll((await api('POST', `/v1/contacts/${seg(cid)}/export`)).id); } catch (e) { announce(`Export not started: ${e.message}`, true); }
    } }, 'Export contact data'), exportState,
    h('p', { class: 'muted' }, `Erasing deletes everything about contact ${cid} for good.`), confirmInput,
    h('button', { type: 'button', class: 'danger erase-start', onclick: async () => {
      if (confirmInput.value !== cid) { confirmInput.focus(); announce('Type the contact id to confirm the erasure.', true); return; }
      try {
        const e = await api('POST', `/v1/contacts/${seg(cid)}/erase`, { confirm: cid });
        erased.textContent = `Erasure ${e.state}`;
        announce('Erasure started.');
      } catch (e) { announce(`Not erased: ${e.message}`, true); }
    } }, 'Erase contact'), erased);
}

/** privacyPanel is the ticket view's privacy card. */
export function privacyPanel(ticket, reload) {
  return h('section', { class: 'card privacy-panel', 'aria-label': 'Privacy' },
    h('h2', {}, 'Privacy'), redactList(ticket, reload), contactActions(ticket));
}
