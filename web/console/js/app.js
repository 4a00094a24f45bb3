// app.js: sign-in, sign-out and the hash router that shows one view at a time.
import { api, session, ApiError } from './api.js';
import { h, field, view, announce, showErrors } from './ui.js';
import { channelsView } from './channels.js';
import { rulesView } from './rules.js';
import { slaView } from './sla.js';
import { peopleView } from './people.js';
import { queueView, ticketView } from './queue.js';
import { installShortcuts } from './shortcuts.js';
// issue 26: the inbox (views, search, bulk), names in the header, notifications
import { inboxView } from './inbox.js';
import { notificationBell } from './notifications.js';
import { userNames } from './names.js';
import { startLive, stopLive } from './live.js';
// issue 30: retention policies and the audit log
import { retentionView } from './retention.js';
import { auditView } from './audit.js';
// issue 28: reports
import { reportsView } from './reports.js';

const routes = [
  [/^#\/channels(?:\/(new|[^/]+))?$/, (m) => channelsView(m[1] ? decodeURIComponent(m[1]) : ''), true],
  [/^#\/rules(?:\/(new|[^/]+))?$/, (m) => rulesView(m[1] ? decodeURIComponent(m[1]) : ''), true],
  [/^#\/sla(?:\/(new|[^/]+))?$/, (m) => slaView(m[1] ? decodeURIComponent(m[1]) : ''), true],
  [/^#\/people$/, () => peopleView(), false],
  [/^#\/retention$/, () => retentionView(), true],
  [/^#\/audit$/, () => auditView(), true],
  [/^#\/tickets\/([^/]+)$/, (m) => ticketView(decodeURIComponent(m[1])), false],
  [/^#\/queue$/, () => queueView(), false],
  [/^#\/inbox(?:\?(.*))?$/, (m) => inboxView(m[1] || ''), false],
  [/^#\/reports(?:\?(.*))?$/, (m) => reportsView(m[1] || ''), true],
];

function loginView(message) {
  document.getElementById('nav').hidden = true;
  document.getElementById('who').replaceChildren();
  const summary = h('p', { class: 'error', tabindex: '-1', id: 'login-error' }, message || '');
  const form = h('form', { class: 'card login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', tabindex: '-1' }, 'Sign in to routedesk'),
    h('p', { class: 'muted' }, 'Paste an API token: the admin token `routedesk dev` printed, or an agent token.'),
    field({ name: 'token', label: 'API token', type: 'password', required: true, id: 'token', secret: true }),
    summary,
    h('button', { class: 'primary', type: 'submit' }, 'Sign in'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = form.token.value.trim();
    try {
      session.me = await api('GET', '/v1/me', undefined, token);
      session.save(token);
      start();
    } catch (e) {
      const msg = e instanceof ApiError && e.status === 401 ? 'That token is not valid.' : e.message;
      showErrors(form, new ApiError(e.status, { detail: msg, errors: [{ field: 'token', message: msg }] }), summary);
    }
  });
  const main = document.getElementById('main');
  main.replaceChildren(form);
  document.title = 'Sign in · routedesk';
  form.token.focus();
}

function logout(message) {
  stopLive();
  session.clear();
  location.hash = '';
  loginView(message);
  announce(message || 'Signed out.');
}

function chrome() {
  const nav = document.getElementById('nav');
  nav.hidden = false;
  nav.querySelectorAll('[data-admin]').forEach((a) => { a.hidden = !session.isAdmin; });
  const me = session.me;
  const role = me.role === 'admin' ? 'Admin' : 'Agent';
  const whoName = h('span', { id: 'who-name' }, role);
  if (me.user_id) userNames().then((names) => { whoName.textContent = `${names.get(me.user_id) || 'Unknown user'} (${role.toLowerCase()})`; }, () => {});
  document.getElementById('who').replaceChildren(
    whoName,
    h('button', { type: 'button', onclick: () => logout() }, 'Sign out'),
    h('button', { type: 'button', class: 'link', 'aria-keyshortcuts': '?', onclick: () => document.dispatchEvent(new KeyboardEvent('keydown', { key: '?' })) }, 'Shortcuts (?)'),
    notificationBell() || '');
}

async function route() {
  if (!session.me) return;
  const hash = location.hash || '#/queue';
  for (const a of document.querySelectorAll('#nav a')) {
    if (hash.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const [re, show, adminOnly] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    if (adminOnly && !session.isAdmin) break;
    try {
      await show(m);
    } catch (e) {
      view('Something went wrong', h('p', { class: 'error' }, e.message));
    }
    return;
  }
  location.hash = '#/queue';
}

function start() {
  chrome();
  startLive();
  if (!location.hash || location.hash === '#') location.hash = '#/queue';
  else route();
}

window.addEventListener('hashchange', route);
window.addEventListener('routedesk:unauthorized', () => logout('Your token is no longer valid; sign in again.'));

async function boot() {
  if (!session.token) return loginView();
  try {
    session.me = await api('GET', '/v1/me');
    start();
  } catch {
    session.clear();
    loginView('Sign in again.');
  }
}
installShortcuts();
boot();
