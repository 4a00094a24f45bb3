// contact.js: the contact panel beside a ticket's thread (issue 27): the whole profile, editable, its identities
// and consent, every ticket and message of the contact across channels in one timeline, and its duplicates.
import { api, listAll, seg, session } from './api.js';
import { h, field, nextId, announce, showErrors, clearErrors, since } from './ui.js';
import { mergePanel, undoButton } from './merge.js';

const EDITABLE = [['name', 'Name'], ['email', 'Email'], ['phone', 'Phone'], ['company', 'Company'], ['language', 'Language (BCP 47)'], ['country', 'Country (ISO code)']];

/** identityText says what an identity is: an email, a phone, or an external id on a named channel. */
function identityText(i, chans) {
  if (i.kind === 'email') return ['Email', i.value];
  if (i.kind === 'phone') return ['Phone', i.value];
  if (i.kind === 'channel_user') {
    const ch = chans[i.channel_id];
    return ['External id', `${i.external_id} on ${ch ? `${ch.name} (${ch.type})` : i.channel_id}`];
  }
  return [i.kind, i.value];
}

/** identityList flattens a contact's identities ({emails, phones, external_ids}) into one list to show. */
function identityList(ids) {
  if (!ids) return [];
  return [...(ids.emails || []).map((v) => ({ kind: 'email', value: v })),
    ...(ids.phones || []).map((v) => ({ kind: 'phone', value: v })),
    ...(ids.external_ids || []).map((e) => ({ kind: 'channel_user', channel_id: e.channel_id, external_id: e.external_user_id }))];
}

/** consentText describes the contact's GDPR consent. */
function consentText(c, chans) {
  if (!c) return 'Not asked';
  const ch = chans[c.channel_id];
  return `${c.given ? 'Given' : 'Refused'} (${c.mode}) ${new Date(c.at).toLocaleString()}${ch ? ` on ${ch.name}` : ''}`;
}

/** profileForm edits the contact's fields; only the changed ones are sent (PATCH /v1/contacts/{id}). */
function profileForm(c, reload) {
  const summary = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'contact-profile', novalidate: true },
    EDITABLE.map(([name, label]) => field({ name, label, id: `contact-${name}`, value: name === 'email' ? c.email || '' : c[name] || '' })),
    summary, h('button', { type: 'submit' }, 'Save profile'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const patch = {};
    for (const [name] of EDITABLE) {
      const v = form.querySelector(`#contact-${name}`).value.trim();
      const cur = name === 'email' ? c.email || '' : c[name] || '';
      if (v !== cur) patch[name] = name === 'email' && v === '' ? null : v;
    }
    if (!Object.keys(patch).length) { announce('Nothing to save.'); return; }
    try {
      await api('PATCH', `/v1/contacts/${seg(c.id)}`, patch);
      announce('Profile saved.');
      await reload();
    } catch (e) { showErrors(form, e, summary); }
  });
  return form;
}

/** entryText is one timeline entry's line: what happened, without the channel (shown as a badge). */
function entryText(it) {
  const d = it.detail || {};
  switch (it.type) {
    case 'message': return `${d.direction === 'outbound' ? 'Reply' : 'Message'}: ${d.text || d.subject || ''}`;
    case 'submission': return `Form: ${d.text || Object.entries(d.fields || {}).map(([k, v]) => `${k}: ${v}`).join(', ')}`;
    case 'call': return `Call ${d.direction || ''} ${d.status || ''} from ${d.from_number || '?'}${d.duration_seconds ? ` (${d.duration_seconds} s)` : ''}`;
    case 'ticket': return `Ticket opened: ${d.subject || '(no subject)'} · ${d.status}`;
    case 'consent': return `Consent ${d.given ? 'given' : 'refused'} (${d.mode})`;
    case 'merge': return `Merged ${d.from_name || d.from_email || d.from_contact_id} into this contact`;
    default: return it.type;
  }
}

/** timelineList is the contact's timeline, newest first: each entry with its channel, linked to its ticket. */
function timelineList(c, items, chans, current, reload) {
  return h('ol', { class: 'contact-timeline', id: 'contact-timeline', 'aria-label': 'Timeline' }, items.map((it) => {
    const ch = chans[it.channel_id];
    const here = it.ticket_id && it.ticket_id === current;
    const text = entryText(it);
    return h('li', { dataset: { type: it.type, channel: ch ? ch.type : '', ticket: it.ticket_id || '', id: it.id }, class: here ? 'here' : null },
      h('div', { class: 'meta' }, h('span', { class: `badge channel ${ch ? ch.type : 'none'}` }, ch ? ch.name : it.type === 'merge' ? 'merge' : 'no channel'),
        ` ${since(it.at)} ago`),
      it.ticket_id && !here
        ? h('a', { href: `#/tickets/${seg(it.ticket_id)}`, class: 'jump' }, text)
        : h('span', { 'aria-current': here ? 'page' : null }, text),
      it.type === 'merge' ? undoButton(c.id, it.id, it.detail.undo_until, reload) : null);
  }));
}

/** contactPanel is the panel of the ticket's contact; it loads after the ticket shows and reloads itself. */
export function contactPanel(ticket) {
  const titleId = nextId('contact');
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading the contact…'));
  const panel = h('section', { class: 'card contact-panel', id: 'contact-panel', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, 'Contact'), body);
  if (!ticket.contact_id) {
    body.replaceChildren(h('p', { class: 'muted' }, 'This ticket has no contact.'));
    return panel;
  }
  const load = async () => {
    const [c, chanList, timeline] = await Promise.all([api('GET', `/v1/contacts/${seg(ticket.contact_id)}`), listAll('/v1/channels'),
      api('GET', `/v1/contacts/${seg(ticket.contact_id)}/timeline?limit=100`)]);
    const chans = Object.fromEntries(chanList.map((ch) => [ch.id, ch]));
    const ids = identityList(c.identities);
    const tickets = new Set(timeline.items.filter((i) => i.type === 'ticket').map((i) => i.ticket_id));
    const channels = new Set(timeline.items.map((i) => i.channel_id).filter(Boolean));
    panel.dataset.contact = c.id;
    body.replaceChildren(...[
      h('p', { class: 'contact-name' }, h('strong', {}, c.name || c.email || c.phone || c.id),
        c.company ? ` · ${c.company}` : '', h('span', { class: 'muted' }, ` · ${tickets.size} ticket${tickets.size === 1 ? '' : 's'} on ${channels.size} channel${channels.size === 1 ? '' : 's'}`)),
      h('dl', { class: 'result contact-identities' }, ids.flatMap((i) => { const [k, v] = identityText(i, chans); return [h('dt', {}, k), h('dd', { dataset: { kind: i.kind } }, v)]; }),
        h('dt', {}, 'Consent'), h('dd', { class: 'contact-consent' }, consentText(c.consent, chans)),
        Object.keys(c.properties || {}).length ? [h('dt', {}, 'Properties'), h('dd', {}, h('code', {}, JSON.stringify(c.properties)))] : null),
      h('details', { class: 'contact-edit' }, h('summary', {}, 'Edit profile'), profileForm(c, load)),
      h('h3', {}, 'Timeline'),
      timelineList(c, timeline.items, chans, ticket.id, load),
      timeline.next_cursor ? h('p', { class: 'muted' }, 'The 100 newest entries are shown.') : null,
      mergePanel(c, chans, load, session.isAdmin)].filter(Boolean));
  };
  load().catch((e) => body.replaceChildren(h('p', { class: 'error' }, `Contact not loaded: ${e.message}`)));
  return panel;
}
