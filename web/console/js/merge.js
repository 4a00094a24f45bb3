// merge.js: suggested duplicates of a contact, a side-by-side preview of what a merge moves, the merge,
// and its undo within the grace period (issue 27). Merging and undoing are admin actions.
import { api, seg, session } from './api.js';
import { h, announce, guard } from './ui.js';

const REASONS = { email: 'same email', phone: 'same phone', name_company: 'same name and company' };
const SHOWN = ['name', 'email', 'phone', 'company', 'language', 'country'];

/** show renders a field value for the comparison table. */
const show = (v) => (v === null || v === undefined || v === '' ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** undoButton undoes a merge while its grace period lasts (admins); after it, nothing is shown. */
export function undoButton(intoId, mergeId, undoUntil, reload) {
  if (!session.isAdmin || !undoUntil || new Date(undoUntil) <= new Date()) return null;
  const left = Math.max(1, Math.round((new Date(undoUntil) - Date.now()) / 60000));
  return h('button', { type: 'button', class: 'undo-merge', dataset: { merge: mergeId }, title: `Possible for about ${left} more min`,
    onclick: (ev) => guard(async () => {
      ev.target.disabled = true;
      try {
        const r = await api('POST', `/v1/contacts/${seg(intoId)}/merges/${seg(mergeId)}/undo`);
        announce(`Merge undone: ${r.restored.name || r.restored.email || r.restored.id} is a contact of its own again.`);
        await reload();
      } finally { ev.target.disabled = false; }
    }) }, 'Undo merge');
}

/** previewTable compares the two contacts side by side with the result, and lists what moves. */
function previewTable(p, chans) {
  const changed = new Set(p.fields.map((f) => f.field));
  return h('div', { class: 'merge-preview', id: 'merge-preview' },
    h('div', { class: 'tablewrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Field', 'This contact', 'Duplicate', 'After the merge'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, SHOWN.map((f) => h('tr', { dataset: { field: f }, class: changed.has(f) ? 'fills' : null },
        h('th', { scope: 'row' }, f), h('td', {}, show(p.into[f])), h('td', {}, show(p.from[f])), h('td', {}, show(p.result[f]))))))),
    h('p', {}, h('strong', {}, 'Moves here: '),
      `${p.tickets.length} ticket(s), ${p.identities.length} identit${p.identities.length === 1 ? 'y' : 'ies'}`,
      p.merged_contacts.length ? `, ${p.merged_contacts.length} earlier merged contact(s)` : ''),
    h('ul', { class: 'merge-moves' },
      p.tickets.map((t) => h('li', { dataset: { ticket: t.id } }, h('a', { href: `#/tickets/${seg(t.id)}` }, t.subject || '(no subject)'),
        ` · ${t.status}${t.channel_id && chans[t.channel_id] ? ` · ${chans[t.channel_id].name}` : ''}`)),
      p.identities.map((i) => h('li', { dataset: { kind: i.kind } }, i.kind === 'channel_user' ? `external id ${i.external_id}` : `${i.kind} ${i.value}`)),
      p.fields.filter((f) => f.field.startsWith('properties.')).map((f) => h('li', {}, `${f.field}: ${show(f.from)}`))),
    h('p', { class: 'muted' }, `The merge can be undone for ${p.undo_window.replace('m0s', ' min')}.`));
}

/** mergePanel lists the contact's suggested duplicates; Compare previews a merge, Merge makes it. */
export function mergePanel(c, chans, reload, isAdmin) {
  const list = h('ul', { class: 'duplicates', id: 'contact-duplicates' }, h('li', { class: 'muted' }, 'Looking for duplicates…'));
  const preview = h('div', { id: 'merge-area' });
  const section = h('section', { class: 'merge-panel', 'aria-label': 'Duplicates' }, h('h3', {}, 'Possible duplicates'), list, preview);
  const compare = (d) => guard(async () => {
    const p = await api('GET', `/v1/contacts/${seg(c.id)}/merge-preview?from_contact_id=${encodeURIComponent(d.contact.id)}`);
    const merge = h('button', { type: 'button', class: 'primary', id: 'merge-confirm', disabled: !isAdmin, onclick: () => guard(async () => {
      const r = await api('POST', `/v1/contacts/${seg(c.id)}/merge`, { from_contact_id: d.contact.id });
      announce(`Merged ${d.contact.name || d.contact.id} into ${r.name || r.id}. You can undo it for 10 minutes from the timeline.`);
      await reload();
    }) }, 'Merge into this contact');
    const label = (x) => [x.name, x.email || x.phone].filter(Boolean).join(', ') || x.id;
    preview.replaceChildren(...[h('h4', {}, `Merge ${label(d.contact)} into ${label(c)}?`), previewTable(p, chans),
      h('div', { class: 'row' }, merge, h('button', { type: 'button', onclick: () => preview.replaceChildren() }, 'Cancel')),
      isAdmin ? null : h('p', { class: 'muted' }, 'Only an admin can merge contacts.')].filter(Boolean));
    preview.querySelector('h4').scrollIntoView({ block: 'nearest' });
  });
  api('GET', `/v1/contacts/${seg(c.id)}/duplicates`).then((r) => {
    if (!r.items.length) { list.replaceChildren(h('li', { class: 'muted' }, 'None found.')); return; }
    list.replaceChildren(...r.items.map((d) => h('li', { dataset: { contact: d.contact.id } },
      h('strong', {}, d.contact.name || d.contact.email || d.contact.id), ' ',
      h('span', { class: 'muted' }, [d.contact.email, d.contact.phone, d.contact.company].filter(Boolean).join(' · ')), ' ',
      d.reasons.map((x) => h('span', { class: 'badge reason' }, REASONS[x] || x)), ' ',
      h('button', { type: 'button', class: 'compare', onclick: () => compare(d) }, 'Compare'))));
  }, (e) => list.replaceChildren(h('li', { class: 'error' }, `Duplicates not loaded: ${e.message}`)));
  return section;
}
