// slaticket.js: a ticket's SLA card (#28): its policy, next deadline, breach, and how long each team held it.
import { api, seg, session } from './api.js';
import { h } from './ui.js';
import { teamNames } from './names.js';

/** hm writes seconds as "2 h 5 min" (or "1 d 3 h" past a day). */
function hm(sec) {
  const m = Math.round(sec / 60);
  if (m >= 1440) return `${Math.floor(m / 1440)} d${Math.floor((m % 1440) / 60) ? ` ${Math.floor((m % 1440) / 60)} h` : ''}`;
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** slaPanel is the ticket view's SLA card; null when no policy applies to the ticket. */
export function slaPanel(t) {
  const s = t.sla;
  if (!s) return null;
  const policy = h('dd', { class: 'sla-policy' }, s.policy_id);
  if (session.isAdmin) {
    api('GET', `/v1/sla-policies/${seg(s.policy_id)}`).then((p) => policy.replaceChildren(h('a', { href: `#/sla/${seg(p.id)}` }, p.name)), () => {});
  }
  let due = 'none running';
  if (s.due_at) {
    const left = (new Date(s.due_at) - Date.now()) / 1000;
    due = `${new Date(s.due_at).toLocaleString()} (${left >= 0 ? `in ${hm(left)}` : `overdue ${hm(-left)}`})`;
  }
  const clocks = h('dd', { class: 'sla-team-clocks' }, (s.team_clocks || []).length ? '' : 'no team yet');
  if ((s.team_clocks || []).length) {
    teamNames().catch(() => new Map()).then((names) => clocks.replaceChildren(h('ul', {}, s.team_clocks.map((c) => h('li', { dataset: { team: c.team_id } },
      `${names.get(c.team_id) || c.team_id}: ${hm(c.seconds)}`, c.business_seconds === null ? '' : ` (${hm(c.business_seconds)} in business hours)`)))));
  }
  return h('section', { class: 'card sla-panel', 'aria-label': 'SLA' }, h('h2', {}, 'SLA'),
    h('dl', { class: 'result' },
      h('dt', {}, 'Policy'), policy,
      h('dt', {}, 'Next deadline'), h('dd', { class: `sla-due${s.breached ? ' error' : ''}`, dataset: s.due_at ? { due: s.due_at } : {} }, due),
      h('dt', {}, 'Breached'), h('dd', { class: 'sla-breached' }, s.breached ? 'yes' : 'no'),
      h('dt', {}, 'Team clocks'), clocks));
}
