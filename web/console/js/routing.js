// routing.js: the ticket's "Why this agent?" panel, from GET /v1/tickets/{id}/routing.
import { api, seg } from './api.js';
import { h, nextId, since } from './ui.js';

const STRATEGIES = { least_loaded: 'least loaded of the channel\'s users and teams', contact_owner: 'the contact\'s owner',
  previous_agent: 'back to the previous agent', dispatch: 'given out when an agent had room', none: 'nobody to route to' };

/** candidateList lists a decision's candidates, each with its reason code (data-reason) and text. */
function candidateList(d) {
  const listed = d.candidates.length;
  return h('div', {},
    h('ul', { class: 'routing-candidates' }, d.candidates.map((c) => h('li', { dataset: { reason: c.reason, user: c.user_id } },
      h('span', { class: `badge ${c.reason}` }, c.reason.replaceAll('_', ' ')), ' ', c.text))),
    d.considered > listed ? h('p', { class: 'muted' }, `${listed} of ${d.considered} candidates listed; all counted: `,
      Object.entries(d.reasons).map(([r, n]) => `${n} ${r.replaceAll('_', ' ')}`).join(', ')) : null);
}

/** decisionBlock is one decision: its summary, strategy, time and candidates. */
function decisionBlock(d, live) {
  return h('div', { class: 'routing-decision', dataset: { outcome: d.outcome, strategy: d.strategy } },
    h('p', { class: 'routing-summary' }, d.summary),
    h('p', { class: 'muted' }, live ? 'Judged now.' : `${STRATEGIES[d.strategy] || d.strategy} · ${since(d.decided_at)}`,
      d.required_skills.length ? ` · needs ${d.required_skills.join(', ')}` : ''),
    candidateList(d));
}

/** routingPanel is the "Why this agent?" panel of a ticket; it loads after the ticket shows. */
export function routingPanel(ticket) {
  const id = nextId('why');
  const waiting = ticket.routing_state === 'waiting_for_agent';
  const body = h('div', { class: 'routing-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const panel = h('section', { class: 'card routing-why', 'aria-labelledby': id },
    h('h2', { id }, waiting ? 'Why is nobody taking it?' : 'Why this agent?'), body);
  api('GET', `/v1/tickets/${seg(ticket.id)}/routing`).then((rec) => {
    const [latest, ...earlier] = rec.decisions;
    const parts = [];
    if (rec.waiting) parts.push(decisionBlock(rec.waiting, true));
    if (latest && !rec.waiting) parts.push(decisionBlock(latest, false));
    if (latest && rec.assignee && latest.chosen && rec.assignee.user_id !== latest.chosen.user_id) {
      parts.push(h('p', { class: 'muted' }, 'Reassigned by hand since this decision.'));
    }
    const older = rec.waiting ? rec.decisions : earlier;
    if (older.length) parts.push(h('details', {}, h('summary', {}, `Earlier decisions (${older.length})`), older.map((d) => decisionBlock(d, false))));
    if (!parts.length) parts.push(h('p', { class: 'muted' }, 'No routing decision recorded (imported, assigned by hand, or routed before routing records).'));
    if (rec.rules && rec.rules.matched.length) parts.push(h('p', { class: 'muted' }, `Rules matched: ${rec.rules.matched.join(', ')}`));
    body.replaceChildren(...parts);
  }, (e) => body.replaceChildren(h('p', { class: 'error' }, `Routing record not loaded: ${e.message}`)));
  return panel;
}
