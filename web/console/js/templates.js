// templates.js: a WhatsApp ticket's template picker: the number's approved templates (cached by the API,
// refreshable), a field per variable, a live preview, and sending the template as the reply.
import { api, seg } from './api.js';
import { h, field, announce, showErrors, clearErrors, nextId } from './ui.js';

/** fill replaces a template text's {{variables}} of one component with the values typed so far. */
function fill(text, component, vars, inputs) {
  return (text || '').replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (m, name) => {
    const i = vars.findIndex((v) => v.component === component && v.name === name);
    return i >= 0 && inputs[i].value.trim() ? inputs[i].value : m;
  });
}

/** components builds the reply's template components from the variables' values (named or positional). */
export function components(tpl, values) {
  const named = tpl.parameter_format === 'NAMED';
  const groups = new Map();
  tpl.variables.forEach((v, i) => {
    const key = v.component === 'button' ? `button:${v.index}` : v.component;
    if (!groups.has(key)) groups.set(key, { v, parameters: [] });
    const p = { type: 'text', text: values[i] };
    if (named && v.component !== 'button') p.parameter_name = v.name;
    groups.get(key).parameters.push(p);
  });
  return [...groups.values()].map(({ v, parameters }) => (v.component === 'button'
    ? { type: 'button', sub_type: 'url', index: String(v.index), parameters }
    : { type: v.component, parameters }));
}

/**
 * templatePicker is the "Send a WhatsApp template" form of a ticket (t) on channel t.channel_id;
 * onSent runs after the reply is stored.
 */
export function templatePicker(t, onSent, replyOutcome) {
  const summary = h('p', { class: 'error', role: 'alert' });
  const stamp = h('p', { class: 'muted', id: 'template-stamp' });
  const vars = h('div', { id: 'template-vars' });
  const preview = h('div', { class: 'template-preview', id: 'template-preview', 'aria-live': 'polite' });
  const sel = field({ name: 'template', label: 'Template', type: 'select', id: 'template-select', options: [['', '(loading…)']] });
  const select = sel.querySelector('select');
  let templates = [];
  let inputs = [];
  const form = h('form', { class: 'template-form', novalidate: true, 'aria-labelledby': 'template-title' },
    h('h2', { id: 'template-title' }, 'Send a WhatsApp template'),
    t.reply_window && t.reply_window.state === 'closed'
      ? h('p', { class: 'note', id: 'window-closed' }, 'The 24-hour window is closed: only an approved template reaches the customer until they write again.')
      : h('p', { class: 'muted' }, 'Inside the 24-hour window a plain reply works too.'),
    h('div', { class: 'row' }, sel, h('button', { type: 'button', id: 'template-refresh', onclick: () => load(true) }, 'Refresh templates')),
    stamp, vars, h('h3', {}, 'Preview'), preview, summary,
    h('button', { type: 'submit', class: 'primary', id: 'template-send' }, 'Send template'));
  const current = () => templates.find((x) => `${x.name}|${x.language}` === select.value);
  const render = () => {
    const tpl = current();
    if (!tpl) { preview.replaceChildren(h('span', { class: 'muted' }, 'Choose a template.')); return; }
    const parts = [];
    for (const c of tpl.components || []) {
      const kind = (c.type || '').toLowerCase();
      if (kind === 'header' && c.text) parts.push(h('strong', {}, fill(c.text, 'header', tpl.variables, inputs)));
      if (kind === 'body') parts.push(h('p', { class: 'template-body' }, fill(c.text, 'body', tpl.variables, inputs)));
      if (kind === 'footer') parts.push(h('small', { class: 'muted' }, c.text));
      if (kind === 'buttons') parts.push(h('p', {}, (c.buttons || []).map((b, i) => h('span', { class: 'badge' },
        b.type === 'URL' ? `${b.text}: ${fill(b.url, 'button', tpl.variables.map((v) => (v.index === i ? v : {})), inputs)}` : b.text))));
    }
    preview.replaceChildren(...parts);
  };
  const choose = () => {
    clearErrors(form);
    const tpl = current();
    inputs = [];
    vars.replaceChildren(...(tpl ? tpl.variables.map((v, i) => {
      const f = field({ name: `variables[${i}]`, label: `${v.component}${v.index !== undefined ? ` ${v.index + 1}` : ''} {{${v.name}}}`, required: true, id: nextId('tplvar') });
      const input = f.querySelector('input');
      input.addEventListener('input', render);
      inputs.push(input);
      return f;
    }) : []));
    render();
  };
  select.addEventListener('change', choose);
  async function load(refresh) {
    try {
      const list = await api('GET', `/v1/channels/${seg(t.channel_id)}/whatsapp/templates${refresh ? '?refresh=true' : ''}`);
      templates = list.items;
      const keep = select.value;
      select.replaceChildren(h('option', { value: '' }, templates.length ? '(choose a template)' : '(no approved template)'),
        ...templates.map((x) => h('option', { value: `${x.name}|${x.language}` }, `${x.name} (${x.language}, ${x.category.toLowerCase()})`)));
      if (templates.some((x) => `${x.name}|${x.language}` === keep)) select.value = keep;
      stamp.textContent = `Listed ${new Date(list.fetched_at).toLocaleString()}${list.stale ? ` — not refreshed: ${list.error}` : ''}`;
      stamp.classList.toggle('error', !!list.stale);
      if (refresh) announce(list.stale ? `Templates not refreshed: ${list.error}` : 'Templates refreshed.', list.stale);
      choose();
    } catch (e) {
      select.replaceChildren(h('option', { value: '' }, '(templates unavailable)'));
      summary.textContent = e.message;
    }
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const tpl = current();
    if (!tpl) { showErrors(form, { message: 'Choose a template.', fields: [{ field: 'template', message: 'choose one' }] }, summary); return; }
    const missing = inputs.map((el, i) => (el.value.trim() ? null : { field: `variables[${i}]`, message: 'needs a value' })).filter(Boolean);
    if (missing.length) { showErrors(form, { message: 'Fill every variable.', fields: missing }, summary); return; }
    try {
      const res = await api('POST', `/v1/tickets/${seg(t.id)}/replies`, { template: { name: tpl.name, language: tpl.language,
        components: components(tpl, inputs.map((el) => el.value)) } });
      announce(replyOutcome(res), res.status === 'failed' || res.status === 'suppressed');
      await onSent();
    } catch (e) { showErrors(form, e, summary); }
  });
  load(false);
  return form;
}
