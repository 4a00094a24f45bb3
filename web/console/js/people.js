// people.js: users (skills, capacity, availability, profile), teams and agent tokens.
import { api, listAll, session, seg } from './api.js';
import { h, field, view, announce, showErrors, clearErrors, badge, guard } from './ui.js';

const AVAIL = ['available', 'away', 'offline'];

function availabilitySelect(u) {
  const f = field({ name: `availability:${u.id}`, label: `Availability of ${u.name || u.email}`, type: 'select', options: AVAIL, value: u.availability });
  f.querySelector('label').classList.add('sr-only');
  f.querySelector('select').addEventListener('change', (ev) => guard(async () => {
    await api('PUT', `/v1/users/${seg(u.id)}/availability`, { availability: ev.target.value });
    announce(`${u.name || u.email} is ${ev.target.value}.`);
  }));
  return f;
}

/** peopleView shows users, teams and agent tokens to admins; an agent sees their own availability. */
export async function peopleView() {
  const users = await listAll('/v1/users');
  if (!session.isAdmin) {
    const me = users.find((u) => u.id === session.me.user_id);
    return view('My availability', me ? h('div', { class: 'card' }, h('p', {}, me.name || me.email), availabilitySelect(me))
      : h('p', {}, 'Your user was not found.'));
  }
  const teams = await listAll('/v1/teams');
  const tokenBox = h('div', { 'aria-live': 'polite', id: 'token-box' });
  const userRows = users.map((u) => h('tr', {},
    h('td', {}, u.name || '—', h('div', { class: 'muted' }, u.email)),
    h('td', {}, (u.skills || []).join(', ') || '—'),
    h('td', {}, String(u.capacity)),
    h('td', {}, availabilitySelect(u)),
    h('td', { class: 'optional' }, u.has_profile ? 'yes' : 'no'),
    h('td', {}, h('div', { class: 'row' },
      h('button', { type: 'button', onclick: () => userForm(u, teams) }, `Edit ${u.name || u.email}`),
      h('button', { type: 'button', onclick: () => issueToken(u, tokenBox) }, `Token for ${u.name || u.email}`),
      h('button', { type: 'button', class: 'danger', onclick: () => removeUser(u) }, `Remove ${u.name || u.email}`)))));
  const userName = Object.fromEntries(users.map((u) => [u.id, u.name || u.email]));
  const teamRows = teams.map((t) => h('tr', {},
    h('td', {}, t.name), h('td', {}, (t.members || []).map((m) => userName[m] || m).join(', ') || '—'),
    h('td', {}, h('div', { class: 'row' },
      h('button', { type: 'button', onclick: () => teamForm(t, users) }, `Edit ${t.name}`),
      h('button', { type: 'button', class: 'danger', onclick: () => removeTeam(t) }, `Remove ${t.name}`)))));
  view('People',
    h('h2', {}, 'Users'),
    h('p', {}, h('button', { type: 'button', onclick: () => userForm(null) }, 'Add a user')),
    tokenBox,
    h('div', { class: 'tablewrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Name', 'Skills', 'Capacity', 'Availability'].map((c) => h('th', { scope: 'col' }, c)),
        h('th', { scope: 'col', class: 'optional' }, 'Profile'), h('th', { scope: 'col' }, 'Actions'))),
      h('tbody', {}, userRows))),
    h('h2', {}, 'Teams'),
    h('p', {}, h('button', { type: 'button', onclick: () => teamForm(null, users) }, 'Add a team')),
    teams.length === 0 ? h('p', { class: 'muted' }, 'No team yet.') : h('div', { class: 'tablewrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Team', 'Members', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, teamRows))));
}

async function issueToken(u, box) {
  await guard(async () => {
    const res = await api('POST', `/v1/users/${seg(u.id)}/tokens`);
    const code = h('code', { class: 'token', tabindex: '0' }, res.token);
    box.replaceChildren(h('div', { class: 'card' },
      h('p', {}, `Agent token for ${u.name || u.email} — copy it now, it is shown only once:`), code));
    code.focus();
  });
}

async function removeUser(u) {
  if (!confirm(`Remove ${u.name || u.email}?`)) return;
  await guard(async () => { await api('DELETE', `/v1/users/${seg(u.id)}`); announce('User removed.'); await peopleView(); });
}

async function removeTeam(t) {
  if (!confirm(`Remove the team ${t.name}?`)) return;
  await guard(async () => { await api('DELETE', `/v1/teams/${seg(t.id)}`); announce('Team removed.'); await peopleView(); });
}

function userForm(u) {
  const summary = h('p', { class: 'error', role: 'alert', tabindex: '-1' });
  const form = h('form', { class: 'card', novalidate: true },
    field({ name: 'email', label: 'Email', type: 'email', value: u ? u.email : '', required: true }),
    field({ name: 'name', label: 'Name', value: u ? u.name : '' }),
    field({ name: 'has_profile', label: 'Has an agent profile (can be assigned tickets)', type: 'checkbox', value: u ? u.has_profile : true }),
    field({ name: 'skills', label: 'Skills (comma-separated)', value: u ? (u.skills || []).join(', ') : '' }),
    field({ name: 'capacity', label: 'Capacity (open tickets at once)', type: 'number', min: 0, max: 1000, value: u ? u.capacity : 5 }),
    field({ name: 'availability', label: 'Availability', type: 'select', options: AVAIL, value: u ? u.availability : 'offline' }),
    summary,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, u ? 'Save user' : 'Add user'),
      h('button', { type: 'button', onclick: () => peopleView() }, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const q = (n) => form.querySelector(`[data-field="${n}"]`);
    const body = { email: q('email').value.trim(), name: q('name').value.trim(), has_profile: q('has_profile').checked,
      skills: q('skills').value.split(',').map((s) => s.trim()).filter(Boolean), capacity: Number(q('capacity').value),
      availability: q('availability').value };
    try {
      await (u ? api('PATCH', `/v1/users/${seg(u.id)}`, body) : api('POST', '/v1/users', body));
      announce(`${body.name || body.email} saved.`);
      await peopleView();
    } catch (e) { showErrors(form, e, summary); }
  });
  view(u ? `Edit ${u.name || u.email}` : 'Add a user', form);
}

function teamForm(t, users) {
  const summary = h('p', { class: 'error', role: 'alert', tabindex: '-1' });
  const members = new Set(t ? t.members || [] : []);
  const form = h('form', { class: 'card', novalidate: true },
    field({ name: 'name', label: 'Team name', value: t ? t.name : '', required: true }),
    h('fieldset', { dataset: { field: 'members' }, id: 'team-members', 'aria-describedby': 'team-members-err' }, h('legend', {}, 'Members'),
      users.map((u) => field({ name: `member:${u.id}`, label: u.name || u.email, type: 'checkbox', value: members.has(u.id) })),
      h('span', { id: 'team-members-err', class: 'error' })),
    summary,
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, t ? 'Save team' : 'Add team'),
      h('button', { type: 'button', onclick: () => peopleView() }, 'Cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = { name: form.querySelector('[data-field="name"]').value.trim(),
      members: users.filter((u) => form.querySelector(`[data-field="member:${CSS.escape(u.id)}"]`).checked).map((u) => u.id) };
    try {
      await (t ? api('PATCH', `/v1/teams/${seg(t.id)}`, body) : api('POST', '/v1/teams', body));
      announce(`Team ${body.name} saved.`);
      await peopleView();
    } catch (e) { showErrors(form, e, summary); }
  });
  view(t ? `Edit team ${t.name}` : 'Add a team', form);
}
