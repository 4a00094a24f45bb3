// rules.js: the routing rules list (by priority), the rule editor and the dry-run panel.
import { api, listAll, seg } from './api.js';
import { h, field, view, announce, showErrors, clearErrors, guard } from './ui.js';
import { whenEditor, setEditor } from './ruleeditor.js';

const byPriority = (a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1);

/** rulesView shows the list with the dry-run panel, or the editor of one rule ('new' adds one). */
export async function rulesView(id) {
  const channels = await listAll('/v1/channels');
  if (id) return ruleForm(id === 'new' ? null : await api('GET', `/v1/rules/${seg(id)}`), channels);
  const rules = (await listAll('/v1/rules')).sort(byPriority);
  const names = Object.fromEntries(rules.map((r) => [r.id, r.name]));
  const chName = Object.fromEntries(channels.map((c) => [c.id, c.name]));
  const rows = rules.map((r, i) => h('tr', {},
    h('td', {}, String(r.priority)),
    h('td', {}, h('a', { href: `#/rules/${seg(r.id)}` }, r.name || r.id)),
    h('td', {}, r.kind),
    h('td', { class: 'optional' }, r.channel_id ? chName[r.channel_id] || r.channel_id : 'all channels'),
    h('td', { class: 'optional' }, h('code', {}, r.when)),
    h('td', {}, h('div', { class: 'row' },
      h('button', { type: 'button', 'aria-pressed': String(r.enabled), onclick: () => toggle(r) }, `${r.enabled ? 'Disable' : 'Enable'} ${r.name}`),
      h('button', { type: 'button', disabled: i === 0, onclick: () => move(rules, i, -1), 'aria-label': `Move ${r.name} up` }, '↑'),
      h('button', { type: 'button', disabled: i === rules.length - 1, onclick: () => move(rules, i, 1), 'aria-label': `Move ${r.name} down` }, '↓')))));
  view('Rules',
    h('p', {}, h('a', { href: '#/rules/new' }, 'Add a rule'), ' ', h('span', { class: 'muted' }, 'Higher priority runs first.')),
    rules.length === 0 ? h('p', { class: 'muted' }, 'No rule yet.') : h('div', { class: 'tablewrap' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Priority'), h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Kind'),
        h('th', { scope: 'col', class: 'optional' }, 'Channel'), h('th', { scope: 'col', class: 'optional' }, 'When'), h('th', { scope: 'col' }, 'Actions'))),
      h('tbody', {}, rows))),
    dryRun(names, channels));
}

async function toggle(r) {
  await guard(async () => {
    await api('PATCH', `/v1/rules/${seg(r.id)}`, { enabled: !r.enabled });
    announce(`${r.name} ${r.enabled ? 'disabled' : 'enabled'}.`);
    await rulesView('');
  });
}

// move swaps a rule's place with its neighbour, renumbering priorities when they tie.
async function move(rules, i, dir) {
  const a = rules[i];
  const b = rules[i + dir];
  await guard(async () => {
    let pa = b.priority;
    let pb = a.priority;
    if (pa === pb) { pa = dir < 0 ? b.priority + 1 : b.priority - 1; }
    await api('PATCH', `/v1/rules/${seg(a.id)}`, { priority: pa });
    if (pb !== b.priority) await api('PATCH', `/v1/rules/${seg(b.id)}`, { priority: pb });
    announce(`${a.name} moved ${dir < 0 ? 'up' : 'down'}.`);
    await rulesView('');
    document.querySelector(`[aria-label="Move ${CSS.escape(a.name)} ${dir < 0 ? 'up' : 'down'}"]`)?.focus();
  });
}

function ruleForm(r, channels) {
  const when = whenEditor(r ? r.when : '');
  const set = setEditor(r ? r.set : {});
  const summary = h('p', { class: 'error', tabindex: '-1', role: 'alert' });
  const form = h('form', { class: 'rule-form', novalidate: true },
    h('div', { class: 'grid2' },
      h('div', {},
        field({ name: 'name', label: 'Name', value: r ? r.name : '', required: true }),
        field({ name: 'kind', label: 'Kind', type: 'select', value: r ? r.kind : 'property', options: [['property', 'Set properties'], ['skill', 'Require skills']] }),
        field({ name: 'channel_id', label: 'Channel', type: 'select', value: r ? r.channel_id || '' : '', options: [['', 'All channels'], ...channels.map((c) => [c.id, c.name])] }),
        when.el),
      h('div', {},
        set.el,
        field({ name: 'require_skills', label: 'Require skills (comma-separated)', value: r ? (r.require_skills || []).join(', ') : '' }),
        field({ name: 'priority', label: 'Priority (higher runs first)', type: 'number', value: r ? r.priority : 0 }),
        field({ name: 'enabled', label: 'Enabled', type: 'checkbox', value: r ? r.enabled : true }),
        field({ name: 'stop_processing', label: 'Stop processing later rules when this one matches', type: 'checkbox', value: r ? r.stop_processing : false }))),
    summary,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, r ? 'Save rule' : 'Add rule'),
      h('a', { href: '#/rules' }, 'Cancel'),
      r ? h('button', { type: 'button', class: 'danger', onclick: () => remove(r) }, 'Delete rule') : null));
  const kindSel = form.querySelector('[data-field="kind"]');
  const skills = form.querySelector('[data-field="require_skills"]').closest('.field');
  const showKind = () => { set.el.hidden = kindSel.value !== 'property'; skills.hidden = kindSel.value !== 'skill'; };
  kindSel.addEventListener('change', showKind);
  showKind();
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    summary.textContent = '';
    const q = (n) => form.querySelector(`[data-field="${n}"]`);
    const body = { name: q('name').value.trim(), kind: q('kind').value, channel_id: q('channel_id').value || null,
      when: when.input.value, set: set.value(), priority: Number(q('priority').value) || 0, enabled: q('enabled').checked,
      stop_processing: q('stop_processing').checked,
      require_skills: q('require_skills').value.split(',').map((s) => s.trim()).filter(Boolean) };
    if (body.kind === 'property') body.require_skills = [];
    else body.set = {};
    try {
      const saved = r ? await api('PATCH', `/v1/rules/${seg(r.id)}`, body) : await api('POST', '/v1/rules', body);
      announce(`Rule ${saved.name} saved.`);
      location.hash = '#/rules';
    } catch (e) {
      const w = (e.fields || []).find((f) => f.field === 'when' && f.line);
      showErrors(form, e, summary);
      if (w) when.showError(w.line, w.column, w.message);
    }
  });
  view(r ? `Edit rule ${r.name}` : 'Add a rule', form);
}

async function remove(r) {
  if (!confirm(`Delete the rule ${r.name}?`)) return;
  await guard(async () => {
    await api('DELETE', `/v1/rules/${seg(r.id)}`);
    announce(`Rule ${r.name} deleted.`);
    location.hash = '#/rules';
  });
}

/** dryRun is the panel that evaluates the enabled rules against a sample (POST /v1/rules/test). */
function dryRun(names, channels) {
  const out = h('div', { class: 'result', 'aria-live': 'polite', id: 'dryrun-result' });
  const summary = h('p', { class: 'error', role: 'alert' });
  const f = (name, label, extra = {}) => field({ name, label, ...extra });
  const form = h('form', { class: 'card dryrun', 'aria-labelledby': 'dryrun-title', novalidate: true },
    h('h2', { id: 'dryrun-title' }, 'Dry run'),
    h('p', { class: 'muted' }, 'Evaluate the enabled rules against a sample ticket, message and contact.'),
    h('div', { class: 'grid2' },
      h('fieldset', {}, h('legend', {}, 'Message and ticket'),
        f('message.text', 'Message text', { type: 'textarea' }), f('message.subject', 'Message subject'),
        f('message.from', 'From'), f('ticket.subject', 'Ticket subject'), f('ticket.priority', 'Ticket priority'),
        f('channel.id', 'Channel', { type: 'select', options: [['', '(none)'], ...channels.map((c) => [c.id, c.name])] })),
      h('fieldset', {}, h('legend', {}, 'Contact'),
        f('contact.email', 'Email', { type: 'email' }), f('contact.name', 'Name'), f('contact.country', 'Country', { placeholder: 'FR' }),
        f('contact.language', 'Language', { placeholder: 'fr' }), f('contact.is_new', 'New contact', { type: 'checkbox' }))),
    summary,
    h('button', { type: 'submit', class: 'primary' }, 'Run the rules'),
    out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    summary.textContent = '';
    const v = (n) => form.querySelector(`[data-field="${n}"]`);
    const email = v('contact.email').value.trim();
    const ch = channels.find((c) => c.id === v('channel.id').value);
    const env = {
      ticket: { subject: v('ticket.subject').value, priority: v('ticket.priority').value, pipeline: 'support', status: 'new', properties: {} },
      message: { text: v('message.text').value, subject: v('message.subject').value, from: v('message.from').value || email },
      contact: { email, name: v('contact.name').value, domain: email.includes('@') ? email.split('@')[1] : '',
        country: v('contact.country').value, language: v('contact.language').value, is_new: v('contact.is_new').checked },
      channel: ch ? { id: ch.id, type: ch.type, name: ch.name } : {},
    };
    try {
      const res = await api('POST', '/v1/rules/test', env);
      const matched = res.matched || [];
      out.replaceChildren(h('h3', {}, 'Result'), h('dl', {},
        h('dt', {}, 'Matched rules'), h('dd', { class: 'matched' }, matched.length ? matched.map((id) => names[id] || id).join(', ') : 'none'),
        h('dt', {}, 'Properties'), h('dd', {}, h('code', { class: 'properties' }, JSON.stringify(res.properties || {}))),
        h('dt', {}, 'Required skills'), h('dd', { class: 'skills' }, (res.required_skills || []).join(', ') || 'none'),
        h('dt', {}, 'Errors'), h('dd', { class: 'rule-errors' }, (res.errors || []).length
          ? h('ul', {}, res.errors.map((e) => h('li', {}, `${names[e.rule_id] || e.rule_id}: ${e.message}`))) : 'none')));
    } catch (e) {
      showErrors(form, e, summary);
    }
  });
  return form;
}
