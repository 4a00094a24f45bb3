// Package reportdata writes tickets with known times straight into PostgreSQL, for the tests and
// the benchmark of reports (docs/reports.md): creation, first response, resolution, SLA breaches
// and CSAT ratings, as routedesk records them (tickets, ticket_measures, ticket_events, csat_surveys).
package reportdata

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Ticket is one ticket and what happened to it.
type Ticket struct {
	ID        string
	ChannelID string
	TeamID    string
	UserID    string
	PolicyID  string
	Created   time.Time
	// FirstResponse and Resolution are measured from Created; 0 is not (yet) measured.
	FirstResponse, Resolution time.Duration
	// Breached maps an SLA target (first_response, resolution) to when its breach was recorded.
	Breached map[string]time.Time
	// Rating (1–5) answered at Answered; -1 is a survey sent and not answered, 0 no survey.
	Rating   int
	Answered time.Time
}

// Insert writes the tickets of an account (channels, teams, users and policies must exist).
func Insert(ctx context.Context, db *sqlx.DB, accountID string, ts []Ticket) error {
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	for _, t := range ts {
		status := "open"
		if t.Resolution > 0 {
			status = "solved"
		}
		var conversation any
		if t.ChannelID != "" {
			conversation = "cnv_" + t.ID
			if _, err := db.ExecContext(ctx, `INSERT INTO conversations (id, account_id, channel_id, thread_key, workflow_id, thread_hash)
			        VALUES ($1, $2, $3, $1, 'wf_' || $1, decode(md5($1), 'hex'))`, conversation, accountID, t.ChannelID); err != nil {
				return fmt.Errorf("insert conversation of %s: %w", t.ID, err)
			}
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO tickets (id, account_id, conversation_id, channel_id, subject, status, routing_state,
		        assignee_team_id, assignee_user_id, sla_policy_id, created_at, updated_at)
		  VALUES ($1, $2, $9, $3, 'Ticket ' || $1, $4, 'assigned', $5, $6, $7, $8, $8)`,
			t.ID, accountID, nullable(t.ChannelID), status, nullable(t.TeamID), nullable(t.UserID), nullable(t.PolicyID), t.Created, conversation); err != nil {
			return fmt.Errorf("insert ticket %s: %w", t.ID, err)
		}
		for kind, d := range map[string]time.Duration{"first_response": t.FirstResponse, "resolution": t.Resolution} {
			if d <= 0 {
				continue
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO ticket_measures (ticket_id, kind, seconds, measured_at) VALUES ($1, $2, $3, $4)`,
				t.ID, kind, d.Seconds(), t.Created.Add(d)); err != nil {
				return fmt.Errorf("insert %s of %s: %w", kind, t.ID, err)
			}
		}
		for target, at := range t.Breached {
			if _, err := db.ExecContext(ctx, `INSERT INTO ticket_events (ticket_id, kind, data, via, created_at)
			        VALUES ($1, 'SLABreached', jsonb_build_object('target', $2::text, 'policy_id', $3::text), 'sla', $4)`,
				t.ID, target, t.PolicyID, at); err != nil {
				return fmt.Errorf("insert breach of %s: %w", t.ID, err)
			}
		}
		if t.Rating != 0 {
			var rating, answered any
			state := "sent"
			if t.Rating > 0 {
				rating, answered, state = t.Rating, t.Answered, "answered"
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO csat_surveys (ticket_id, account_id, channel_id, state, rating, answered_at)
			        VALUES ($1, $2, COALESCE($3, ''), $4, $5, $6)`, t.ID, accountID, nullable(t.ChannelID), state, rating, answered); err != nil {
				return fmt.Errorf("insert survey of %s: %w", t.ID, err)
			}
		}
	}
	return nil
}
