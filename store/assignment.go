package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
)

// Claim asks for an agent for a ticket among candidates.
type Claim struct {
	AccountID  string
	TicketID   string
	Candidates []string
	// RequiredSkills must all be among an agent's skills.
	RequiredSkills []string
	// OnlyAvailable excludes agents who are away or offline.
	OnlyAvailable bool
	// Wait, when no agent can take the ticket, marks it waiting_for_agent in
	// the same transaction, so an agent freed meanwhile finds it.
	Wait bool
	// Strategy names the decision in the routing record (default least_loaded).
	Strategy string
	// Outside are users considered but outside the routing's users and teams:
	// recorded as not_in_team, never picked.
	Outside []string
}

// ClaimResult is the outcome of a claim.
type ClaimResult struct {
	// UserID is the assigned agent, "" when nobody could take the ticket.
	UserID       string    `json:"user_id"`
	WaitingSince time.Time `json:"waiting_since"`
}

// Capacity holds on every path that gives an agent a ticket (a routing claim,
// a dispatch, a manual assignment, a reopen that keeps the agent) because each
// locks the agent's user row first, then counts the agent's open tickets in a
// later statement, then assigns, in one transaction. Under READ COMMITTED a
// statement that waits for a row lock still reads every other row from the
// snapshot it started with, so a count taken in the statement that locks can
// miss tickets assigned by the transaction it waited for: count after the
// lock is held. Locks are taken users first (in id order), tickets after.

// ErrAtCapacity refuses to give a ticket to an agent whose open tickets fill their capacity.
var ErrAtCapacity = fmt.Errorf("at capacity: %w", domain.ErrConflict)

// lockAgents locks the candidate agents' rows, in id order, so every claim
// and dispatch touching an agent is serialised and capacity is never exceeded.
func lockAgents(ctx context.Context, tx *sqlx.Tx, accountID string, ids []string) error {
	_, err := tx.ExecContext(ctx,
		`SELECT id FROM users WHERE account_id = $1 AND id = ANY($2) ORDER BY id FOR UPDATE`, accountID, nonNil(ids))
	if err != nil {
		return fmt.Errorf("lock agents: %w", err)
	}
	return nil
}

// agentRoom is how many more open tickets an agent whose row the transaction
// has locked can take (never below zero), not counting exceptTicket.
func agentRoom(ctx context.Context, tx *sqlx.Tx, userID, exceptTicket string) (int, error) {
	var room int
	err := tx.GetContext(ctx, &room,
		`SELECT greatest(u.capacity - (SELECT count(*) FROM tickets o
		                                WHERE o.assignee_user_id = u.id AND o.status NOT IN ('solved', 'closed') AND o.id <> $2), 0)
		   FROM users u WHERE u.id = $1`, userID, exceptTicket)
	if err != nil {
		return 0, fmt.Errorf("count open tickets of %s: %w", userID, err)
	}
	return room, nil
}

// checkRoom fails with ErrAtCapacity when the locked agent has no room for one more ticket.
func checkRoom(ctx context.Context, tx *sqlx.Tx, userID, ticketID string) error {
	room, err := agentRoom(ctx, tx, userID, ticketID)
	if err != nil {
		return err
	}
	if room == 0 {
		return fmt.Errorf("user %s has as many open tickets as their capacity; close or reassign one first: %w", userID, ErrAtCapacity)
	}
	return nil
}

// ClaimAgent assigns the ticket to the least-loaded eligible candidate (ties:
// the one assigned longest ago) in one transaction, holding the candidates'
// row locks so two claims can never overbook an agent; the decision, with
// every candidate's verdict, is recorded in the same transaction.
func (s *Store) ClaimAgent(ctx context.Context, c Claim) (ClaimResult, error) {
	var out ClaimResult
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := lockAgents(ctx, tx, c.AccountID, c.Candidates); err != nil {
			return err
		}
		var state string
		var assignee *string
		if err := tx.QueryRowxContext(ctx,
			`SELECT routing_state, assignee_user_id FROM tickets WHERE id = $1 AND account_id = $2 FOR UPDATE`,
			c.TicketID, c.AccountID).Scan(&state, &assignee); err != nil {
			return notFound(err, "lock ticket")
		}
		if state == domain.RoutingAssigned && assignee != nil { // a dispatch got here first
			out.UserID = *assignee
			return nil
		}
		// Judge every candidate and pick, counted after the locks are held, so the record is exact.
		rows, err := evaluateCandidates(ctx, tx, c.AccountID, c.Candidates, c.RequiredSkills)
		if err != nil {
			return err
		}
		verdicts, chosen := pickCandidate(rows, c.OnlyAvailable, ReasonNotChosen)
		for _, id := range c.Outside {
			verdicts = append(verdicts, CandidateVerdict{UserID: id, Reason: ReasonNotInTeam})
		}
		strategy := c.Strategy
		if strategy == "" {
			strategy = StrategyLeastLoaded
		}
		if chosen >= 0 {
			out.UserID = rows[chosen].UserID
			if err := assign(ctx, tx, c.AccountID, c.TicketID, out.UserID); err != nil {
				return err
			}
			return recordDecision(ctx, tx, c.TicketID, newDecision(strategy, OutcomeAssigned, &out.UserID, c.RequiredSkills, c.OnlyAvailable, verdicts))
		}
		if !c.Wait {
			return recordDecision(ctx, tx, c.TicketID, newDecision(strategy, OutcomeNotTaken, nil, c.RequiredSkills, c.OnlyAvailable, verdicts))
		}
		if err := recordDecision(ctx, tx, c.TicketID, newDecision(strategy, OutcomeWaiting, nil, c.RequiredSkills, c.OnlyAvailable, verdicts)); err != nil {
			return err
		}
		return tx.QueryRowxContext(ctx,
			`UPDATE tickets SET routing_state = 'waiting_for_agent', waiting_since = COALESCE(waiting_since, now()),
			        candidate_users = $3, required_skills = $4, only_available = $5, updated_at = now()
			  WHERE id = $1 AND account_id = $2 RETURNING waiting_since`,
			c.TicketID, c.AccountID, nonNil(c.Candidates), nonNil(c.RequiredSkills), c.OnlyAvailable).Scan(&out.WaitingSince)
	})
	if err != nil {
		return ClaimResult{}, fmt.Errorf("claim agent: %w", err)
	}
	return out, nil
}

// assign gives the ticket to the agent: the ticket, the agent's last
// assignment time and the ticket's event, in one statement (one round trip
// while the agents' row locks are held).
func assign(ctx context.Context, tx *sqlx.Tx, accountID, ticketID, userID string) error {
	if _, err := tx.ExecContext(ctx,
		`WITH t AS (UPDATE tickets SET assignee_user_id = $3, routing_state = 'assigned', assigned_at = clock_timestamp(), waiting_since = NULL, updated_at = now()
		             WHERE id = $1 AND account_id = $2),
		      u AS (UPDATE users SET last_assigned_at = clock_timestamp() WHERE id = $3)
		 INSERT INTO ticket_events (ticket_id, kind, data) VALUES ($1, 'Assigned', jsonb_build_object('user_id', $3::text))`,
		ticketID, accountID, userID); err != nil {
		return fmt.Errorf("assign ticket: %w", err)
	}
	_, err := measureAgentWait(ctx, tx, ticketID) // the first agent only, in the transaction that assigns
	return err
}

// Dispatched is a waiting ticket that a dispatch assigned.
type Dispatched struct {
	TicketID   string `db:"id" json:"ticket_id"`
	WorkflowID string `db:"workflow_id" json:"workflow_id"`
	UserID     string `db:"-" json:"user_id"`
	// RequiredSkills and OnlyAvailable are the ticket's, for its routing record.
	RequiredSkills textArray `db:"required_skills" json:"-"`
	OnlyAvailable  bool      `db:"only_available" json:"-"`
}

// Dispatch gives an agent with free capacity the oldest waiting tickets they
// can serve, as many as their capacity allows, and returns them so their
// workflows can be told.
func (s *Store) Dispatch(ctx context.Context, accountID, userID string) ([]Dispatched, error) {
	var out []Dispatched
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var hasProfile bool
		err := tx.GetContext(ctx, &hasProfile, `SELECT has_profile FROM users WHERE id = $1 AND account_id = $2 FOR UPDATE`, userID, accountID)
		if isNoRows(err) || (err == nil && !hasProfile) {
			return nil // the user was deleted, or takes no tickets
		}
		if err != nil {
			return fmt.Errorf("lock agent: %w", err)
		}
		free, err := agentRoom(ctx, tx, userID, "") // counted after the lock is held
		if err != nil || free == 0 {
			return err
		}
		if err := tx.SelectContext(ctx, &out,
			`SELECT t.id, COALESCE(c.workflow_id, t.workflow_id) AS workflow_id, t.required_skills, t.only_available
			   FROM users u, tickets t LEFT JOIN conversations c ON c.id = t.conversation_id
			  WHERE u.id = $2 AND t.account_id = $1 AND t.routing_state = 'waiting_for_agent'
			    AND u.id = ANY(t.candidate_users) AND u.skills @> t.required_skills
			    AND (NOT t.only_available OR u.availability = 'available')
			  ORDER BY t.waiting_since, t.id
			  LIMIT $3
			  FOR UPDATE OF t SKIP LOCKED`, accountID, userID, free); err != nil {
			return fmt.Errorf("find waiting tickets: %w", err)
		}
		if len(out) == 0 {
			return nil
		}
		rows, err := evaluateCandidates(ctx, tx, accountID, []string{userID}, nil)
		if err != nil || len(rows) != 1 {
			return err
		}
		for i := range out {
			out[i].UserID = userID
			if err := assign(ctx, tx, accountID, out[i].TicketID, userID); err != nil {
				return err
			}
			v := CandidateVerdict{UserID: userID, Reason: ReasonChosen, Availability: rows[0].Availability, Load: rows[0].Load + i, Capacity: rows[0].Capacity}
			d := newDecision(StrategyDispatch, OutcomeAssigned, &userID, out[i].RequiredSkills, out[i].OnlyAvailable, []CandidateVerdict{v})
			if err := recordDecision(ctx, tx, out[i].TicketID, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dispatch to %s: %w", userID, err)
	}
	return out, nil
}

// StopWaiting ends a ticket's wait for an agent: a ticket still waiting becomes
// unassigned (and "" is returned); one a dispatch assigned meanwhile keeps its agent.
func (s *Store) StopWaiting(ctx context.Context, accountID, ticketID string) (string, error) {
	var assignee *string
	err := s.db.QueryRowxContext(ctx,
		`WITH cur AS (SELECT id, routing_state, assignee_user_id FROM tickets WHERE id = $1 AND account_id = $2 FOR UPDATE),
		      upd AS (UPDATE tickets t SET routing_state = 'unassigned', waiting_since = NULL, updated_at = now()
		                FROM cur WHERE t.id = cur.id AND cur.routing_state = 'waiting_for_agent' RETURNING t.id)
		 SELECT CASE WHEN cur.routing_state = 'assigned' THEN cur.assignee_user_id END FROM cur`,
		ticketID, accountID).Scan(&assignee)
	if err != nil {
		return "", notFound(err, "stop waiting")
	}
	if assignee == nil {
		return "", nil
	}
	return *assignee, nil
}

// RoutingCandidates resolves a channel's routing users and the members of its
// teams to the distinct user ids that may be assigned.
func (s *Store) RoutingCandidates(ctx context.Context, accountID string, users, teams []string) ([]string, error) {
	var ids []string
	err := s.db.SelectContext(ctx, &ids,
		`SELECT id FROM users WHERE account_id = $1 AND id = ANY($2)
		 UNION
		 SELECT m.user_id FROM team_members m JOIN teams t ON t.id = m.team_id WHERE t.account_id = $1 AND t.id = ANY($3)
		 ORDER BY 1`, accountID, nonNil(users), nonNil(teams))
	if err != nil {
		return nil, fmt.Errorf("resolve routing candidates: %w", err)
	}
	return nonNil(ids), nil
}
