// names.js: people by name, never by raw id: the account's users (cached per page load) and contact labels.
import { api, listAll, seg, session } from './api.js';

let users = null;
let loadedAt = 0;
let loadedFor = ''; // the token the caches belong to: another sign-in starts afresh
let teams = null;
const contacts = new Map();

function sameSession() {
  if (loadedFor === session.token) return;
  loadedFor = session.token;
  users = null;
  teams = null;
  contacts.clear();
}

/** teamNames resolves to a Map of team id → name (listed once per sign-in). */
export async function teamNames() {
  sameSession();
  if (!teams) teams = listAll('/v1/teams').catch((e) => { teams = null; throw e; });
  return new Map((await teams).map((t) => [t.id, t.name || 'Unnamed team']));
}

/** loadUsers lists the account's users, kept for a minute (reload: true lists them again); resolves to the list. */
export function loadUsers(reload = false) {
  sameSession();
  if (!users || reload || Date.now() - loadedAt > 60000) {
    loadedAt = Date.now();
    users = listAll('/v1/users').catch((e) => { users = null; throw e; });
  }
  return users;
}

/** userNames resolves to a Map of user id → display name (name, else email). */
export async function userNames() {
  return new Map((await loadUsers()).map((u) => [u.id, u.name || u.email || 'Unnamed user']));
}

/** userLabel is a user's name for an id, '—' for none, 'a removed user' for an id no longer listed. */
export function userLabel(names, id) {
  if (!id) return '—';
  return names.get(id) || 'a removed user';
}

/** contactLabel names a contact: its name, else its email, else its phone, never an external id (a PSID). */
export function contactLabel(c) {
  if (!c) return 'Unknown contact';
  return c.name || c.email || c.phone || 'Unnamed contact';
}

/** contactName resolves a contact id to its label (cached; a contact that cannot be read is 'Unknown contact'). */
export function contactName(id) {
  if (!id) return Promise.resolve('—');
  sameSession();
  if (!contacts.has(id)) contacts.set(id, api('GET', `/v1/contacts/${seg(id)}`).then(contactLabel, () => 'Unknown contact'));
  return contacts.get(id);
}
