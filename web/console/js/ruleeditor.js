// ruleeditor.js: the `when` editor (validates as you type, marks the error's line and column),
// and the key/value editor of `set`.
import { api } from './api.js';
import { h, nextId } from './ui.js';

/**
 * whenEditor returns {el, input, check()}: a line-numbered textarea checked through
 * POST /v1/rules/validate 300 ms after the last keystroke; help is the hint under its label.
 */
export function whenEditor(value, help = 'e.g. lower(message.text) contains "refund" && contact.country == "FR"') {
  const id = nextId('when');
  const msgId = `${id}-err`;
  const gutter = h('pre', { class: 'gutter', 'aria-hidden': 'true' });
  const input = h('textarea', { id, name: 'when', dataset: { field: 'when' }, rows: 4, spellcheck: 'false',
    autocapitalize: 'off', 'aria-describedby': `${id}-help ${msgId}` }, value || '');
  const box = h('div', { class: 'editor' }, gutter, input);
  const marker = h('pre', { class: 'marker', id: `${id}-marker`, 'aria-hidden': 'true' });
  const message = h('p', { id: msgId, class: 'error', 'aria-live': 'polite' });
  const ok = h('p', { class: 'check-ok', 'aria-live': 'polite' });
  let badLine = 0;
  let seq = 0;
  let timer;

  const paintGutter = () => {
    const n = input.value.split('\n').length;
    gutter.replaceChildren(...Array.from({ length: n }, (_, i) => h('span', { class: i + 1 === badLine ? 'bad' : null }, String(i + 1))));
  };
  const show = (res) => {
    if (res.valid) {
      badLine = 0;
      input.removeAttribute('aria-invalid');
      box.removeAttribute('data-invalid');
      message.textContent = '';
      marker.textContent = '';
      ok.textContent = input.value.trim() ? 'Compiles.' : '';
    } else {
      badLine = res.line || 0;
      input.setAttribute('aria-invalid', 'true');
      box.dataset.invalid = 'true';
      ok.textContent = '';
      message.textContent = res.line ? `Line ${res.line}, column ${res.column}: ${res.error}` : res.error;
      if (res.line) {
        const src = input.value.split('\n')[res.line - 1] ?? '';
        marker.textContent = `${src}\n${' '.repeat(Math.max(0, res.column - 1))}^`;
      } else marker.textContent = '';
    }
    paintGutter();
  };
  const check = async () => {
    const mine = ++seq;
    try {
      const res = await api('POST', '/v1/rules/validate', { when: input.value });
      if (mine === seq) show(res);
      return res;
    } catch (e) {
      if (mine === seq) show({ valid: false, error: e.message });
      return { valid: false };
    }
  };
  input.addEventListener('input', () => { paintGutter(); clearTimeout(timer); timer = setTimeout(check, 300); });
  input.addEventListener('scroll', () => { gutter.scrollTop = input.scrollTop; });
  paintGutter();
  const el = h('div', { class: 'field' },
    h('label', { for: id }, 'When (expression)'),
    h('span', { id: `${id}-help`, class: 'help' }, help),
    box, marker, message, ok);
  if (value) check();
  return { el, input, check, showError: (line, column, error) => show({ valid: false, line, column, error }) };
}

/** setEditor edits `set` as key/value rows; values starting with "=" are expressions. */
export function setEditor(set) {
  const rows = h('div', { dataset: { field: 'set' }, id: nextId('set'), tabindex: '-1' });
  const add = (k = '', v = '') => {
    const n = rows.children.length + 1;
    const key = h('input', { 'aria-label': `Property ${n} name`, value: k, class: 'set-key', placeholder: 'priority' });
    const val = h('input', { 'aria-label': `Property ${n} value`, value: typeof v === 'string' ? v : JSON.stringify(v), class: 'set-value', placeholder: 'high or =upper(contact.country)' });
    const row = h('div', { class: 'kv' }, key, val,
      h('button', { type: 'button', class: 'link', onclick: () => { row.remove(); } }, `Remove property ${n}`));
    rows.append(row);
    return key;
  };
  for (const [k, v] of Object.entries(set || {})) add(k, v);
  const errId = `${rows.id}-err`;
  const el = h('fieldset', { 'aria-describedby': errId }, h('legend', {}, 'Set properties'),
    h('p', { class: 'help muted' }, 'A value is a literal, or an expression after "=".'),
    rows, h('button', { type: 'button', onclick: () => add().focus() }, 'Add a property'),
    h('span', { id: errId, class: 'error' }));
  const value = () => {
    const out = {};
    for (const row of rows.children) {
      const k = row.querySelector('.set-key').value.trim();
      if (k) out[k] = row.querySelector('.set-value').value;
    }
    return out;
  };
  return { el, value };
}
