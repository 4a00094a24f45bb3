// channels.js: the channel list and the connect/edit form of each channel type.
import { api, listAll, seg } from './api.js';
import { h, field, view, announce, showErrors, clearErrors, badge, guard, nextId } from './ui.js';
import { TYPES, CONFIG_FIELDS, FORM_FIELD_TYPES, MAILBOX_PROVIDERS, getPath, setPath } from './channelforms.js';
import { setupSection } from './channelsetup.js';

/** channelsView shows the list, or the form of one channel ('new' connects one). */
export async function channelsView(id) {
  if (id) return channelForm(id === 'new' ? null : await api('GET', `/v1/channels/${seg(id)}`));
  const channels = await listAll('/v1/channels');
  const typeName = Object.fromEntries(TYPES);
  const rows = channels.map((c) => h('tr', {},
    h('td', {}, h('a', { href: `#/channels/${seg(c.id)}` }, c.name)),
    h('td', {}, typeName[c.type] || c.type),
    h('td', {}, badge(c.status || 'connected')),
    h('td', {}, healthBadge(c.health)),
    h('td', { class: 'optional mono' }, c.id),
    h('td', {}, c.status === 'disconnected'
      ? h('button', { type: 'button', onclick: () => setStatus(c, 'connected') }, `Reconnect ${c.name}`)
      : h('button', { type: 'button', class: 'danger', onclick: () => disconnect(c) }, `Disconnect ${c.name}`))));
  view('Channels',
    h('p', {}, h('a', { href: '#/channels/new' }, 'Connect a channel')),
    channels.length === 0 ? h('p', { class: 'muted' }, 'No channel yet.') :
      h('div', { class: 'tablewrap' }, h('table', {},
        h('caption', { class: 'muted' }, `${channels.length} channel(s)`),
        h('thead', {}, h('tr', {}, ['Name', 'Type', 'Status', 'Health'].map((t) => h('th', { scope: 'col' }, t)),
          h('th', { scope: 'col', class: 'optional' }, 'Id'), h('th', { scope: 'col' }, 'Actions'))),
        h('tbody', {}, rows))));
}

/** healthBadge shows a channel's health: ok, degraded or failing, with the reason and since when on hover and for screen readers. */
function healthBadge(health) {
  if (!health) return '';
  const state = health.state || 'ok';
  const since = health.since ? new Date(health.since).toLocaleString() : '';
  const last = health.last_success_at ? ` Last worked ${new Date(health.last_success_at).toLocaleString()}.` : '';
  const detail = state === 'ok' ? `Working.${last}` : `${health.reason} (since ${since}).${last}`;
  return h('span', { class: `badge health-${state}`, title: detail, 'data-health': state },
    state, state === 'ok' ? '' : h('span', { class: 'sr-only' }, `: ${detail}`));
}

async function disconnect(c) {
  if (!confirm(`Disconnect ${c.name}? Its inbound routes stop taking messages; its tickets stay.`)) return;
  await guard(async () => {
    await api('DELETE', `/v1/channels/${seg(c.id)}`);
    announce(`${c.name} disconnected.`);
    await channelsView('');
  });
}

async function setStatus(c, status) {
  await guard(async () => {
    await api('PATCH', `/v1/channels/${seg(c.id)}`, { status });
    announce(`${c.name} reconnected.`);
    await channelsView('');
  });
}

function configFields(type, ch) {
  const cfg = ch ? ch.config || {} : {};
  return (CONFIG_FIELDS[type] || []).map((s) => {
    const v = getPath(cfg, s.path);
    const spec = { ...s, name: `config.${s.path}`, label: s.label };
    if (s.secret) {
      spec.type = 'password';
      spec.value = '';
      spec.required = s.required && !ch;
      spec.help = v ? 'A value is stored and never shown; leave empty to keep it.' : 'Stored sealed; never shown again.';
    } else if (s.type === 'checkbox') {
      spec.value = v ?? (s.path === 'original_sender_for_forwards');
    } else if (s.type === 'lines') {
      spec.type = 'textarea';
      spec.value = (v || []).join('\n');
    } else {
      spec.value = v ?? '';
    }
    return field(spec);
  });
}

function formFieldRow(f, i) {
  const p = `config.fields[${i}]`;
  return h('fieldset', { class: 'formfield' }, h('legend', {}, `Form field ${i + 1}`),
    field({ name: `${p}.name`, label: 'Name', value: f.name, required: true }),
    field({ name: `${p}.label`, label: 'Label', value: f.label }),
    field({ name: `${p}.type`, label: 'Type', type: 'select', options: FORM_FIELD_TYPES, value: f.type || 'text' }),
    field({ name: `${p}.required`, label: 'Required', type: 'checkbox', value: f.required }),
    field({ name: `${p}.hidden`, label: 'Hidden', type: 'checkbox', value: f.hidden }),
    field({ name: `${p}.options`, label: 'Options (select fields; one per line)', type: 'textarea', value: (f.options || []).join('\n') }),
    h('button', { type: 'button', class: 'link', onclick: (ev) => { ev.target.closest('fieldset').remove(); } }, `Remove form field ${i + 1}`));
}

function formFieldsEditor(ch) {
  const list = h('div', {}, ((ch && ch.config && ch.config.fields) || []).map(formFieldRow));
  const add = h('button', { type: 'button', onclick: () => {
    const row = formFieldRow({}, list.children.length);
    list.append(row);
    row.querySelector('input').focus();
  } }, 'Add a form field');
  return h('div', { id: 'form-fields' }, list, add);
}

function pickList(name, legend, items, chosen, labelOf) {
  const id = nextId('pick');
  return h('fieldset', { id, dataset: { field: name }, 'aria-describedby': `${id}-err` }, h('legend', {}, legend),
    items.length === 0 ? h('p', { class: 'muted' }, 'None in this account.') : null,
    items.map((it) => field({ name: `${name}:${it.id}`, label: labelOf(it), type: 'checkbox', value: chosen.includes(it.id) })),
    h('span', { id: `${id}-err`, class: 'error' }));
}

async function channelForm(ch) {
  const [users, teams] = await Promise.all([listAll('/v1/users'), listAll('/v1/teams')]);
  let type = ch ? ch.type : 'chat';
  const td = (ch && ch.ticket_defaults) || {};
  const rt = (ch && ch.routing) || {};
  const summary = h('p', { class: 'error', tabindex: '-1', role: 'alert' });
  const configBox = h('div', {});
  const renderConfig = () => {
    configBox.replaceChildren(...(type === 'email' ? [mailboxConnect(ch, summary)] : []),
      ...configFields(type, ch && ch.type === type ? ch : null),
      ...(type === 'form' ? [formFieldsEditor(ch)] : []));
  };
  renderConfig();
  const typeField = field({ name: 'type', label: 'Type', type: 'select', options: TYPES, value: type, required: true });
  const typeSelect = typeField.querySelector('select');
  typeSelect.disabled = !!ch;
  typeSelect.addEventListener('change', () => { type = typeSelect.value; renderConfig(); });
  const usersPick = pickList('routing.users', 'Users (with a profile)', users, rt.users || [], (u) => `${u.name || u.email}${u.has_profile ? '' : ' (no profile)'}`);
  const teamsPick = pickList('routing.teams', 'Teams', teams, rt.teams || [], (t) => t.name);
  const assign = field({ name: 'routing.assign_to', label: 'Assign to', type: 'select', value: rt.assign_to || 'none',
    options: [['none', 'No one (leave unassigned)'], ['users_and_teams', 'Users and teams'], ['contact_owner', "The contact's owner"]] });
  const assignSel = assign.querySelector('select');
  const toggle = () => { const on = assignSel.value === 'users_and_teams'; usersPick.hidden = !on; teamsPick.hidden = !on; };
  assignSel.addEventListener('change', toggle);
  toggle();

  const form = h('form', { class: 'channel-form', novalidate: true },
    h('div', { class: 'grid2' },
      h('div', {},
        h('fieldset', {}, h('legend', {}, 'Channel'), typeField, field({ name: 'name', label: 'Name', value: ch ? ch.name : '', required: true })),
        h('fieldset', {}, h('legend', {}, 'Configuration'), configBox)),
      h('div', {},
        h('fieldset', {}, h('legend', {}, 'Ticket defaults'),
          field({ name: 'ticket_defaults.pipeline', label: 'Pipeline', value: td.pipeline || 'support' }),
          field({ name: 'ticket_defaults.status', label: 'Status', value: td.status || 'new' }),
          field({ name: 'ticket_defaults.priority', label: 'Priority', value: td.priority || '' }),
          field({ name: 'ticket_defaults.properties', label: 'Properties (JSON object)', type: 'textarea', value: JSON.stringify(td.properties || {}, null, 1) })),
        h('fieldset', {}, h('legend', {}, 'Routing'), assign, usersPick, teamsPick,
          field({ name: 'routing.only_available', label: 'Only agents who are available', type: 'checkbox', value: rt.only_available ?? true }),
          field({ name: 'routing.timeout_seconds', label: 'Wait for an agent (seconds, 10 – 604800)', type: 'number', min: 10, max: 604800, value: rt.timeout_seconds || 300 })))),
    summary,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, ch ? 'Save changes' : 'Connect channel'), h('a', { href: '#/channels' }, 'Cancel')));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    summary.textContent = '';
    let body;
    try {
      body = collect(form, type, !!ch, users, teams);
    } catch (e) {
      showErrors(form, e, summary);
      return;
    }
    try {
      const saved = ch ? await api('PATCH', `/v1/channels/${seg(ch.id)}`, body) : await api('POST', '/v1/channels', body);
      announce(ch ? `${saved.name} saved.` : `${saved.name} connected.`);
      location.hash = '#/channels';
    } catch (e) {
      showErrors(form, e, summary);
    }
  });
  view(ch ? `Edit ${ch.name}` : 'Connect a channel', form, ...(ch ? [setupSection(ch)] : []));
}

/**
 * mailboxConnect shows how the email channel's mailbox is connected: the provider's account and health with a
 * Reconnect button, or the Connect Gmail / Connect Microsoft 365 buttons that open the provider's consent screen.
 */
function mailboxConnect(ch, summary) {
  const oauth = ch && ch.config && ch.config.oauth;
  const label = Object.fromEntries(MAILBOX_PROVIDERS);
  const start = (provider) => guard(async () => {
    summary.textContent = '';
    const body = { provider };
    if (ch) body.channel_id = ch.id;
    else body.name = document.querySelector('[data-field="name"]').value.trim();
    try {
      const res = await api('POST', '/v1/email/oauth/authorizations', body);
      location.assign(res.authorization_url);
    } catch (e) {
      summary.textContent = e.message;
      summary.focus();
    }
  });
  const box = h('div', { class: 'card', id: 'mailbox-connect' });
  if (oauth) {
    const health = ch.health || {};
    const failing = health.state && health.state !== 'ok';
    box.append(h('p', { id: 'mailbox-account' }, `Connected through ${label[oauth.provider] || oauth.provider} as `, h('strong', {}, oauth.account), '. ',
      healthBadge(health)),
    failing ? h('p', { class: 'error', id: 'mailbox-reason' }, health.reason || '') : '',
    h('button', { type: 'button', class: failing ? 'primary' : '', onclick: () => start(oauth.provider) }, `Reconnect ${label[oauth.provider] || oauth.provider}`));
    return box;
  }
  box.append(h('p', { class: 'muted' }, 'Gmail and Microsoft 365 connect with their own sign-in (OAuth); a hosted mailbox uses the IMAP and SMTP fields below.'),
    h('div', { class: 'row' }, MAILBOX_PROVIDERS.map(([p, name]) => h('button', { type: 'button', dataset: { provider: p }, onclick: () => start(p) }, `Connect ${name}`))));
  return box;
}

const val = (form, name) => form.querySelector(`[data-field="${CSS.escape(name)}"]`);

function collect(form, type, editing, users, teams) {
  const body = { name: val(form, 'name').value.trim(), config: {} };
  if (!editing) body.type = type;
  const groups = {};
  for (const s of CONFIG_FIELDS[type] || []) {
    const el = val(form, `config.${s.path}`);
    let v = s.type === 'checkbox' ? el.checked : el.value.trim();
    if (s.type === 'number') { if (v === '') continue; v = Number(v); }
    if (s.type === 'lines') {
      v = v.split('\n').map((l) => l.trim()).filter(Boolean);
      if (!v.length && !editing) continue;
      setPath(body.config, s.path, v);
      continue;
    }
    if (s.group && !(s.group in groups)) groups[s.group] = false;
    if (s.secret && v === '') continue;
    if (s.group && v !== '' && v !== false) groups[s.group] = true;
    if (v === '' && !editing) continue;
    setPath(body.config, s.path, v);
  }
  for (const [g, filled] of Object.entries(groups)) {
    if (!filled) { if (editing) body.config[g] = null; else delete body.config[g]; }
  }
  if (type === 'form') {
    body.config.fields = [...form.querySelectorAll('#form-fields fieldset.formfield')].map((fs) => {
      const get = (k) => fs.querySelector(`[data-field$=".${k}"]`);
      const f = { name: get('name').value.trim(), type: get('type').value, required: get('required').checked, hidden: get('hidden').checked };
      if (get('label').value.trim()) f.label = get('label').value.trim();
      const options = get('options').value.split('\n').map((l) => l.trim()).filter(Boolean);
      if (options.length) f.options = options;
      return f;
    });
    // renumber so API errors (config.fields[i].x) land on the right row
    [...form.querySelectorAll('#form-fields fieldset.formfield')].forEach((fs, i) => fs.querySelectorAll('[data-field]').forEach((el) => {
      el.dataset.field = el.dataset.field.replace(/fields\[\d+\]/, `fields[${i}]`);
    }));
  }
  let props;
  try {
    props = JSON.parse(val(form, 'ticket_defaults.properties').value || '{}');
  } catch { props = null; }
  if (!props || typeof props !== 'object' || Array.isArray(props)) {
    throw Object.assign(new Error('Check the highlighted field.'), { fields: [{ field: 'ticket_defaults.properties', message: 'must be a JSON object' }] });
  }
  body.ticket_defaults = { pipeline: val(form, 'ticket_defaults.pipeline').value.trim(), status: val(form, 'ticket_defaults.status').value.trim(),
    priority: val(form, 'ticket_defaults.priority').value.trim(), properties: props };
  const assign = val(form, 'routing.assign_to').value;
  const picked = (name, items) => items.filter((it) => val(form, `${name}:${it.id}`).checked).map((it) => it.id);
  body.routing = { assign_to: assign, only_available: val(form, 'routing.only_available').checked,
    timeout_seconds: Number(val(form, 'routing.timeout_seconds').value) || 300,
    users: assign === 'users_and_teams' ? picked('routing.users', users) : [],
    teams: assign === 'users_and_teams' ? picked('routing.teams', teams) : [] };
  return body;
}
