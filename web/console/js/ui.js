// ui.js: small DOM helpers shared by the views: elements, labelled fields, errors, status.

/** h builds an element: h('button', {class: 'x', onclick}, 'text', child). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let uid = 0;
/** nextId returns a unique element id with the prefix. */
export const nextId = (prefix) => `${prefix}-${++uid}`;

/**
 * field is a labelled control with a help text and an error slot tied by aria-describedby.
 * spec: {name (API field path), label, type, value, options, help, required, placeholder, secret}
 */
export function field(spec) {
  const id = spec.id || nextId('f');
  const errId = `${id}-err`;
  const helpId = spec.help ? `${id}-help` : null;
  let control;
  const common = { id, name: spec.name, dataset: { field: spec.name || '' }, required: spec.required, 'aria-describedby': [helpId, errId].filter(Boolean).join(' ') };
  if (spec.type === 'select') {
    control = h('select', common, (spec.options || []).map((o) => {
      const [v, l] = Array.isArray(o) ? o : [o, o];
      return h('option', { value: v, selected: String(spec.value ?? '') === v }, l);
    }));
  } else if (spec.type === 'textarea') {
    control = h('textarea', { ...common, rows: spec.rows || 3, placeholder: spec.placeholder }, spec.value ?? '');
  } else if (spec.type === 'checkbox') {
    control = h('input', { ...common, type: 'checkbox', checked: !!spec.value });
  } else {
    control = h('input', { ...common, type: spec.type || 'text', value: spec.value ?? '', placeholder: spec.placeholder, autocomplete: spec.secret ? 'new-password' : 'off', min: spec.min, max: spec.max, inputmode: spec.inputmode });
  }
  const label = h('label', { for: id }, spec.label, spec.required ? h('span', { 'aria-hidden': 'true' }, ' *') : null);
  const parts = spec.type === 'checkbox' ? [control, label] : [label, control];
  return h('div', { class: `field${spec.type === 'checkbox' ? ' check' : ''}` }, parts,
    helpId ? h('span', { id: helpId, class: 'help' }, spec.help) : null,
    h('span', { id: errId, class: 'error', 'aria-live': 'polite' }));
}

/** clearErrors removes the field errors shown in root. */
export function clearErrors(root) {
  root.querySelectorAll('[aria-invalid="true"]').forEach((el) => el.removeAttribute('aria-invalid'));
  root.querySelectorAll('.error').forEach((el) => { el.textContent = ''; });
}

/**
 * showErrors puts each problem+json errors[] entry next to the control whose data-field names it
 * (or its closest named parent), the rest into the form's summary; focuses the first.
 */
export function showErrors(root, err, summary) {
  clearErrors(root);
  const rest = [];
  let first = null;
  for (const fe of err.fields || []) {
    let name = fe.field || '';
    let el = null;
    while (name && !(el = root.querySelector(`[data-field="${CSS.escape(name)}"]`))) {
      name = name.includes('.') || name.includes('[') ? name.replace(/(\.[^.[\]]*|\[\d+\])$/, '') : '';
    }
    if (!el) { rest.push(`${fe.field}: ${fe.message}`); continue; }
    el.setAttribute('aria-invalid', 'true');
    const slot = document.getElementById(`${el.id}-err`);
    const msg = name === fe.field ? fe.message : `${fe.field}: ${fe.message}`;
    if (slot) slot.textContent = slot.textContent ? `${slot.textContent}; ${msg}` : msg;
    first = first || el;
  }
  if (summary) summary.textContent = rest.length || !first ? [err.message, ...rest].join(' — ') : err.message;
  if (first) first.focus();
  else if (summary) summary.focus();
}

/** announce writes to the page's aria-live status region. */
export function announce(message, bad = false) {
  const s = document.getElementById('status');
  s.classList.toggle('bad', bad);
  s.textContent = message;
  clearTimeout(announce.timer);
  if (!bad) announce.timer = setTimeout(() => { s.textContent = ''; }, 6000);
}

/** since says how long ago an ISO time was, e.g. "4 min". */
export function since(iso) {
  const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d`;
}

/** badge is a small status pill. */
export const badge = (text) => h('span', { class: `badge ${text}` }, String(text).replaceAll('_', ' '));

/** view replaces main's content, sets the document title and moves focus to the heading. */
export function view(title, ...children) {
  const main = document.getElementById('main');
  const h1 = h('h1', { tabindex: '-1' }, title);
  const kept = title === main.dataset.title ? keptEdits(main) : null;
  main.replaceChildren(h1, ...children);
  main.dataset.title = title;
  document.title = `${title} · routedesk`;
  for (const el of main.querySelectorAll('[data-keep]')) rendered.set(el, el.value);
  if (!kept || !restoreEdits(main, kept)) h1.focus();
  return main;
}

// rendered is each [data-keep] field's value when its view was drawn.
const rendered = new WeakMap();

/** keptEdits is what the person typed, since the view was drawn, into its [data-keep] fields (by id), and which had the focus. */
function keptEdits(main) {
  const values = new Map();
  for (const el of main.querySelectorAll('[data-keep][id]')) {
    if (rendered.has(el) && el.value !== rendered.get(el)) values.set(el.id, el.value);
  }
  const focused = main.contains(document.activeElement) && document.activeElement.matches('[data-keep][id]') ? document.activeElement.id : '';
  return { values, focused };
}

/** restoreEdits puts typed text back into a redrawn view (a live update or an action's refresh must not lose it); true when it restored the focus. */
function restoreEdits(main, { values, focused }) {
  for (const [id, value] of values) {
    const el = main.querySelector(`#${CSS.escape(id)}`);
    if (el && el.value === rendered.get(el)) el.value = value;
  }
  const el = focused && main.querySelector(`#${CSS.escape(focused)}`);
  if (!el) return false;
  el.focus();
  return true;
}

/** guard runs an async action, announcing its failure. */
export async function guard(fn) {
  try { return await fn(); } catch (e) { announce(e.message, true); return undefined; }
}
