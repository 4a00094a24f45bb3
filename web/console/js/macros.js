// macros.js: the reply box's canned replies: search (Ctrl+/), preview with the placeholders the ticket
// has no value for, and apply (the server fills the placeholders, sends the reply and runs the actions).
import { api, seg } from './api.js';
import { h, field, announce, showErrors, clearErrors } from './ui.js';
import { userNames, teamNames } from './names.js';

/** describeActions says what a macro's actions do, e.g. "status → solved, tags + refund"; names maps user and team ids to names. */
export function describeActions(a, names = new Map()) {
  const parts = [];
  if (a.priority) parts.push(`priority → ${a.priority}`);
  if (a.tags && a.tags.length) parts.push(`tags + ${a.tags.join(', ')}`);
  if (a.assignee) parts.push(`assignee → ${a.assignee.user_id ? names.get(a.assignee.user_id) || 'a removed user' : a.assignee.team_id ? names.get(a.assignee.team_id) || 'a removed team' : 'nobody'}`);
  if (a.status) parts.push(`status → ${a.status}`);
  return parts.join(', ');
}

/** actorNames maps user and team ids to their names, for describeActions. */
async function actorNames() {
  const [u, t] = await Promise.all([userNames(), teamNames().catch(() => new Map())]);
  return new Map([...u, ...t]);
}

// lastApplied keeps what the last apply did across the ticket view's reload, to list it there.
let lastApplied = null;

function renderOutcomes(list, actions) {
  list.replaceChildren(...actions.map((a) => h('li', { dataset: { action: a.action, outcome: a.outcome }, class: a.outcome === 'applied' ? '' : 'error' },
    `${a.action}: ${a.outcome}${a.detail ? ` — ${a.detail}` : ''}`)));
}

/**
 * macroPicker adds canned replies to a reply form: open() (Ctrl+/ in the form) searches them; choosing one fills
 * the reply text and asks for the placeholders without a value; form.dataset.macro then holds its id, and
 * submit() applies it. onDone runs after an apply.
 */
export function macroPicker(ticketID, reply, summary, onDone) {
  const search = h('input', { type: 'search', id: 'macro-search', 'aria-label': 'Search macros', placeholder: 'Search macros…', autocomplete: 'off' });
  const results = h('ul', { class: 'macro-results', id: 'macro-results', role: 'listbox', 'aria-label': 'Macros' });
  const values = h('div', { class: 'macro-values', id: 'macro-values' });
  const chosen = h('p', { class: 'muted macro-chosen', id: 'macro-chosen' });
  const outcomes = h('ul', { class: 'macro-outcomes', id: 'macro-outcomes', 'aria-label': 'What the macro did' });
  if (lastApplied && lastApplied.ticketID === ticketID) renderOutcomes(outcomes, lastApplied.actions);
  lastApplied = null;
  const panel = h('div', { class: 'macro-panel', hidden: true }, search, results);
  let timer;
  const load = async () => {
    try {
      const [page, names] = await Promise.all([api('GET', `/v1/macros?limit=20${search.value ? `&q=${encodeURIComponent(search.value)}` : ''}`), actorNames()]);
      results.replaceChildren(...(page.items.length ? page.items.map((m) => h('li', { role: 'option', dataset: { macro: m.id } },
        h('button', { type: 'button', onclick: () => choose(m) }, m.name),
        h('span', { class: 'muted' }, ` ${m.visibility}${describeActions(m.actions, names) ? ` · ${describeActions(m.actions, names)}` : ''}`)))
        : [h('li', { class: 'muted' }, 'No macro matches.')]));
    } catch (e) { results.replaceChildren(h('li', { class: 'error' }, e.message)); }
  };
  search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(load, 150); });
  search.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') { panel.hidden = true; reply.text.focus(); }
    if (ev.key === 'Enter') { ev.preventDefault(); const b = results.querySelector('button'); if (b) b.click(); }
    if (ev.key === 'ArrowDown') { ev.preventDefault(); const b = results.querySelector('button'); if (b) b.focus(); }
  });
  async function choose(m) {
    clearErrors(reply);
    try {
      const pv = await api('POST', `/v1/tickets/${seg(ticketID)}/macros/${seg(m.id)}/preview`, {});
      reply.dataset.macro = m.id;
      reply.text.value = pv.text;
      values.replaceChildren(...pv.missing.map((mv) => field({ name: `values.${mv.name}`, label: `{{${mv.name}}}`, help: `No value: ${mv.reason}.`, required: true })));
      const does = describeActions(pv.actions, await actorNames());
      chosen.replaceChildren(`Macro “${m.name}”`, does ? ` — then ${does}` : '', ' ',
        h('button', { type: 'button', class: 'link', onclick: clear }, 'Stop using the macro'));
      panel.hidden = true;
      announce(pv.missing.length ? `Macro ${m.name}: fill ${pv.missing.length} value(s) the ticket has none for.` : `Macro ${m.name} ready to send.`);
      (values.querySelector('input') || reply.text).focus();
    } catch (e) { showErrors(reply, e, summary); }
  }
  function clear() {
    delete reply.dataset.macro;
    values.replaceChildren();
    chosen.replaceChildren();
    reply.text.focus();
  }
  reply.addEventListener('keydown', (ev) => {
    if (ev.key === '/' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); open(); }
  });
  function open() {
    panel.hidden = false;
    search.value = '';
    load();
    search.focus();
  }
  /** submit applies the chosen macro with the reply box's text and the values given. */
  async function submit() {
    const body = { text: reply.text.value, values: {} };
    values.querySelectorAll('input').forEach((el) => { if (el.value.trim()) body.values[el.dataset.field.slice('values.'.length)] = el.value; });
    const res = await api('POST', `/v1/tickets/${seg(ticketID)}/macros/${seg(reply.dataset.macro)}/apply`, body);
    renderOutcomes(outcomes, res.actions);
    lastApplied = { ticketID, actions: res.actions };
    const bad = res.actions.filter((a) => a.outcome !== 'applied');
    const sent = res.reply ? `Reply ${res.reply.status}.` : 'No reply to send.';
    announce(bad.length ? `${sent} Not applied: ${bad.map((a) => `${a.action} (${a.outcome})`).join(', ')}.` : `${sent} Macro applied.`, bad.length > 0 || (res.reply && ['failed', 'suppressed'].includes(res.reply.status)));
    if (res.reply) reply.text.value = ''; // sent: the refresh must not bring it back as a draft
    clear();
    await onDone(res);
  }
  const button = h('button', { type: 'button', class: 'macro-open', onclick: open, 'aria-keyshortcuts': 'Control+/' }, 'Macros', h('span', { class: 'muted' }, ' (Ctrl+/)'));
  return { ui: h('div', { class: 'macros' }, button, panel, chosen, values), outcomes, open, submit };
}
