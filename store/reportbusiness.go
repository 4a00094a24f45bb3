package store

import (
	"context"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/sla"
)

// MeasureNextResponse is a report fact, one per agent reply that answers a customer's message
// written after the agent's previous reply: from that message to the reply.
const MeasureNextResponse = "next_response"

// businessTodo is a duration fact whose business seconds are still to compute.
type businessTodo struct {
	TicketID string    `db:"ticket_id"`
	Kind     string    `db:"kind"`
	Ref      string    `db:"ref"`
	Start    time.Time `db:"start_at"`
	Seconds  float64   `db:"v"`
	PolicyID string    `db:"policy_id"`
}

// businessBatch is how many facts one round of FillReportBusiness computes.
const businessBatch = 5000

// FillReportBusiness computes the business seconds of the account's duration facts whose SLA
// policy counts business hours only and that have none yet: the open time of the
// policy's calendar between the clock's start and its end (start + v), less the time the ticket spent in a
// status the policy pauses on (its status changes on the audit trail). A fact whose policy was
// deleted since is left out of the business figures.
func (s *Store) FillReportBusiness(ctx context.Context, accountID string) error {
	var policies map[string]sla.Policy
	meters := map[string]*sla.Meter{}
	for {
		var todo []businessTodo
		if err := s.db.SelectContext(ctx, &todo,
			`SELECT ticket_id, kind, ref, start_at, v, policy_id FROM report_facts
			  WHERE account_id = $1 AND business AND business_v IS NULL AND start_at IS NOT NULL AND v IS NOT NULL LIMIT $2`,
			accountID, businessBatch); err != nil {
			return fmt.Errorf("report business hours to compute: %w", err)
		}
		if len(todo) == 0 {
			return nil
		}
		if policies == nil {
			list, err := s.SLAPolicies(ctx, accountID)
			if err != nil {
				return err
			}
			policies = map[string]sla.Policy{}
			for _, p := range list {
				policies[p.ID] = p
				meters[p.ID] = sla.NewMeter(p.Clock())
			}
		}
		statuses, err := s.statusChanges(ctx, todo, policies)
		if err != nil {
			return err
		}
		var tickets, kinds, refs []string
		var values []float64
		var keep []bool
		for _, f := range todo {
			p, ok := policies[f.PolicyID]
			v := 0.0
			if ok {
				end := f.Start.Add(time.Duration(f.Seconds * float64(time.Second)))
				if pauses := pausesOf(p, statuses[f.TicketID]); len(pauses) > 0 {
					v = sla.Elapsed(f.Start, end, p.Clock(), pauses).Seconds()
				} else {
					v = meters[p.ID].Elapsed(f.Start, end).Seconds() // sla.Elapsed without pauses, each day's hours computed once
				}
			}
			tickets, kinds, refs = append(tickets, f.TicketID), append(kinds, f.Kind), append(refs, f.Ref)
			values, keep = append(values, v), append(keep, ok)
		}
		if _, err := s.db.ExecContext(ctx,
			`UPDATE report_facts f SET business_v = CASE WHEN u.keep THEN u.v END, business = u.keep
			   FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::boolean[]) AS u(ticket_id, kind, ref, v, keep)
			  WHERE f.account_id = $1 AND f.ticket_id = u.ticket_id AND f.kind = u.kind AND f.ref = u.ref`,
			accountID, tickets, kinds, refs, values, keep); err != nil {
			return fmt.Errorf("store report business hours: %w", err)
		}
	}
}

// statusChange is a ticket's status from a moment on.
type statusChange struct {
	TicketID string    `db:"ticket_id"`
	Status   string    `db:"status"`
	At       time.Time `db:"created_at"`
}

// statusChanges lists, in order, the status changes of the facts' tickets whose policy pauses.
func (s *Store) statusChanges(ctx context.Context, todo []businessTodo, policies map[string]sla.Policy) (map[string][]statusChange, error) {
	var ids []string
	for _, f := range todo {
		if p, ok := policies[f.PolicyID]; ok && (p.PauseOnPending || p.PauseOnHold) {
			ids = append(ids, f.TicketID)
		}
	}
	return s.statusChangesOf(ctx, ids)
}

// statusChangesOf lists, in order, the status changes of the tickets on their audit trails.
func (s *Store) statusChangesOf(ctx context.Context, ids []string) (map[string][]statusChange, error) {
	out := map[string][]statusChange{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []statusChange
	if err := s.db.SelectContext(ctx, &rows,
		`SELECT ticket_id, CASE WHEN kind = 'TicketReopened' THEN 'open' ELSE data ->> 'status' END AS status, created_at
		   FROM ticket_events
		  WHERE ticket_id = ANY($1) AND (kind = 'TicketReopened' OR (kind = 'TicketChanged' AND data ? 'status'))
		  ORDER BY ticket_id, id`, ids); err != nil {
		return nil, fmt.Errorf("ticket status changes: %w", err)
	}
	for _, r := range rows {
		out[r.TicketID] = append(out[r.TicketID], r)
	}
	return out, nil
}

// TicketPauses are the spans in which the ticket's status paused policy p's clocks (none when p
// pauses on no status), from the status changes on its audit trail.
func (s *Store) TicketPauses(ctx context.Context, ticketID string, p sla.Policy) ([]sla.Interval, error) {
	if !p.PauseOnPending && !p.PauseOnHold {
		return nil, nil
	}
	changes, err := s.statusChangesOf(ctx, []string{ticketID})
	if err != nil {
		return nil, err
	}
	return pausesOf(p, changes[ticketID]), nil
}

// pausesOf are the spans in which a ticket's status (new at first, which never pauses, then each
// change) paused the policy's clocks, as the conversation workflow follows them.
func pausesOf(p sla.Policy, changes []statusChange) []sla.Interval {
	var out []sla.Interval
	for _, c := range changes {
		out = sla.FollowPauses(out, p.Pauses(c.Status), c.At, 0)
	}
	return out
}
