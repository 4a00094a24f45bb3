// retention.js: the account's retention policies (issue 30), its last run and "Run now" (admins).
import { api, listAll } from './api.js';
import { h, field, view, announce, showErrors, clearErrors, badge } from './ui.js';

export const ACTIONS = [['delete', 'Delete conversation and ticket'], ['anonymise', 'Anonymise (keep ticket figures)']];
const actionLabel = (a) => (ACTIONS.find(([v]) => v === a) || [a, a])[1];
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');

/** runSummary says what a retention run did, e.g. "12 deleted, 3 anonymised" (and its tickets without a conversation, when any). */
export function runSummary(counts) {
  const c = counts || {};
  const tickets = (c.tickets || 0) + (c.tickets_anonymised || 0)
    ? `; tickets without a conversation: ${c.tickets || 0} deleted, ${c.tickets_anonymised || 0} anonymised` : '';
  return `${c.conversations || 0} deleted, ${c.anonymised || 0} anonymised${tickets}`;
}

function lastRunCard(run) {
  if (!run) return h('p', { class: 'muted retention-last', dataset: { state: 'none' } }, 'No retention run yet.');
  return h('dl', { class: 'retention-last', dataset: { state: run.state, run: run.run_id } },
    h('dt', {}, 'State'), h('dd', {}, badge(run.state)),
    h('dt', {}, 'Started'), h('dd', {}, when(run.started_at)),
    h('dt', {}, 'Finished'), h('dd', {}, when(run.finished_at)),
    h('dt', {}, 'Conversations'), h('dd', { class: 'retention-counts' }, runSummary(run.counts)));
}

/** retentionView shows the policies (account default and per-channel overrides), a form to set one, the last run and Run now. */
export async function retentionView() {
  const [ret, channels] = await Promise.all([api('GET', '/v1/retention'), listAll('/v1/channels')]);
  const chName = Object.fromEntries(channels.map((c) => [c.id, c.name]));
  const scopeLabel = (id) => (id ? `Channel ${chName[id] || id}` : 'Account default');
  const last = h('section', { class: 'card', 'aria-labelledby': 'retention-last-h' }, h('h2', { id: 'retention-last-h' }, 'Last run'));
  const lastBody = h('div', {}, lastRunCard(ret.last_run));
  const form = h('form', { class: 'card retention-form', 'aria-labelledby': 'retention-form-h' });
  const summary = h('p', { class: 'error', tabindex: '-1' });
  const show = (r) => {
    rows.replaceChildren(...(r.policies.length ? r.policies.map((p) => h('tr', { dataset: { channel: p.channel_id } },
      h('td', {}, scopeLabel(p.channel_id)), h('td', { class: 'retention-days' }, `${p.days} days`),
      h('td', { class: 'retention-action' }, actionLabel(p.action)),
      h('td', {}, h('button', { type: 'button', onclick: () => edit(p) }, `Edit ${scopeLabel(p.channel_id)}`), ' ',
        h('button', { type: 'button', class: 'retention-remove', onclick: () => remove(p) }, `Remove ${scopeLabel(p.channel_id)}`))))
      : [h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No policy: conversations are kept until erased.'))]));
    lastBody.replaceChildren(lastRunCard(r.last_run));
  };
  const rows = h('tbody', {});
  form.append(h('h2', { id: 'retention-form-h' }, 'Set a policy'),
    field({ name: 'channel_id', label: 'Applies to', type: 'select', options: [['', 'Account default (channels without their own)'], ...channels.map((c) => [c.id, `Channel ${c.name}`])] }),
    field({ name: 'days', label: 'Closed more than (days)', type: 'number', required: true, min: 1, max: 36500, value: 365, inputmode: 'numeric' }),
    field({ name: 'action', label: 'Then', type: 'select', options: ACTIONS, value: 'delete',
      help: 'Anonymise keeps the ticket, its times, status, team, assignee and SLA figures for reports; texts, attachments, subjects and the contact\'s traces go.' }),
    summary, h('button', { type: 'submit', class: 'primary' }, 'Save policy'));
  function edit(p) {
    form.channel_id.value = p.channel_id;
    form.days.value = String(p.days);
    form.action.value = p.action;
    form.days.focus();
  }
  async function remove(p) {
    const what = p.channel_id ? `${scopeLabel(p.channel_id)}'s own policy (the channel then follows the account default)` : 'the account default';
    if (!confirm(`Remove ${what}?`)) return;
    try {
      show(await api('DELETE', `/v1/retention${p.channel_id ? `?channel_id=${encodeURIComponent(p.channel_id)}` : ''}`));
      announce(`Retention policy of ${scopeLabel(p.channel_id)} removed.`);
    } catch (e) { announce(`Not removed: ${e.message}`, true); }
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    summary.textContent = '';
    try {
      const r = await api('PUT', '/v1/retention', { channel_id: form.channel_id.value, days: Number(form.days.value), action: form.action.value });
      show(r);
      announce(`Retention policy of ${scopeLabel(form.channel_id.value)} saved.`);
    } catch (e) { showErrors(form, e, summary); }
  });
  let polling = 0;
  async function poll(runID, n) {
    const r = await api('GET', '/v1/retention');
    show(r);
    const done = r.last_run && r.last_run.run_id === runID && r.last_run.state === 'completed';
    if (done) { announce(`Retention run finished: ${runSummary(r.last_run.counts)}.`); return; }
    if (n < 600 && document.body.contains(last)) polling = setTimeout(() => poll(runID, n + 1), 1000);
  }
  const runNow = h('button', { type: 'button', class: 'retention-run', onclick: async () => {
    runNow.disabled = true;
    try {
      const started = await api('POST', '/v1/retention/run');
      announce('Retention run started.');
      clearTimeout(polling);
      await poll(started.run_id, 0);
    } catch (e) { announce(`Not started: ${e.message}`, true); } finally { runNow.disabled = false; }
  } }, 'Run now');
  last.append(lastBody, h('p', { class: 'muted' }, 'Runs every hour on its own; Run now starts this account\'s run at once.'), runNow);
  view('Retention',
    h('p', { class: 'muted' }, 'Conversations whose ticket was closed longer ago than the policy says are deleted or anonymised. A channel\'s own policy wins over the account default.'),
    h('div', { class: 'tablewrap' }, h('table', { class: 'retention-policies' },
      h('thead', {}, h('tr', {}, ['Applies to', 'Closed more than', 'Then', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))), rows)),
    form, last);
  show(ret);
}
