package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/sla"
)

// Escalation is a warning or a breach of one of a ticket's SLA targets and the actions it takes, or
// (Kind "achieved", no actions) a target met in time.
type Escalation struct {
	// Kind is "warning", "breach" or "achieved"; Target is first_response, next_response or resolution.
	Kind, Target string
	PolicyID     string
	DueAt        time.Time
	Actions      []sla.Action
}

// Escalated is what an escalation did in PostgreSQL; the assignments it asks for are the workflow's to make.
type Escalated struct {
	// Notified are the users notified (console, and email).
	Notified []string
	// AssignTeam and AssignUser are the reassignment the actions ask for ("" = none).
	AssignTeam, AssignUser string
}

// Escalate records an escalation on the ticket's audit trail (SLAWarning or SLABreached), notifies the
// users its actions name (each notification is also queued for email) and raises the priority or adds
// the tags they ask for, in one transaction.
func (s *Store) Escalate(ctx context.Context, accountID, ticketID string, e Escalation) (Escalated, error) {
	var out Escalated
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var cur struct {
			Priority string  `db:"priority"`
			Assignee *string `db:"assignee_user_id"`
			Team     *string `db:"assignee_team_id"`
		}
		if err := tx.GetContext(ctx, &cur, `SELECT priority, assignee_user_id, assignee_team_id FROM tickets WHERE id = $1 AND account_id = $2 FOR UPDATE`,
			ticketID, accountID); err != nil {
			return notFound(err, "lock ticket")
		}
		var edit TicketEdit
		for _, a := range e.Actions {
			users, err := escalationUsers(ctx, tx, accountID, a, cur.Assignee, cur.Team)
			if err != nil {
				return err
			}
			out.Notified = append(out.Notified, users...)
			switch a.Type {
			case sla.ActionRaisePriority:
				p := raised(cur.Priority, a.Priority)
				edit.Priority = &p
			case sla.ActionAddTag:
				if t, err := domain.NormalizeTag(a.Tag); err == nil {
					edit.AddTags = append(edit.AddTags, t)
				}
			case sla.ActionAssignTeam:
				out.AssignTeam = a.TeamID
			case sla.ActionAssignAgent:
				out.AssignUser = a.UserID
			}
		}
		slices.Sort(out.Notified)
		out.Notified = slices.Compact(out.Notified)
		if err := notifySLA(ctx, tx, accountID, ticketID, e, out.Notified); err != nil {
			return err
		}
		kind := map[string]string{"warning": "SLAWarning", "breach": "SLABreached", "achieved": "SLAAchieved"}[e.Kind]
		if err := addEvent(ctx, tx, ticketID, kind, map[string]any{"target": e.Target, "policy_id": e.PolicyID, "due_at": e.DueAt.UTC(),
			"notified": out.Notified, "actions": e.Actions}, "", "sla"); err != nil {
			return err
		}
		if err := countOutcome(ctx, tx, e); err != nil {
			return err
		}
		if edit.Empty() {
			return nil
		}
		edit.Via = "sla"
		return editTicket(ctx, tx, accountID, ticketID, edit)
	})
	if err != nil {
		return Escalated{}, fmt.Errorf("escalate: %w", err)
	}
	return out, nil
}

// raised is the priority raise_priority gives: to, when it is higher, else one step above cur.
func raised(cur, to string) string {
	i := slices.Index(domain.TicketPriorities, cur)
	if to != "" {
		if slices.Index(domain.TicketPriorities, to) > i {
			return to
		}
		return cur
	}
	return domain.TicketPriorities[min(i+1, len(domain.TicketPriorities)-1)]
}

// escalationUsers are the account's users a notify action names.
func escalationUsers(ctx context.Context, tx *sqlx.Tx, accountID string, a sla.Action, assignee, team *string) ([]string, error) {
	var query string
	var arg any
	switch a.Type {
	case sla.ActionNotifyAssignee:
		if assignee == nil {
			return nil, nil
		}
		query, arg = `SELECT id FROM users WHERE account_id = $1 AND id = $2`, *assignee
	case sla.ActionNotifyTeam:
		teamID := a.TeamID
		if teamID == "" && team != nil {
			teamID = *team
		}
		query, arg = `SELECT m.user_id FROM team_members m JOIN teams t ON t.id = m.team_id WHERE t.account_id = $1 AND t.id = $2`, teamID
	case sla.ActionNotifyAdmins:
		query, arg = `SELECT DISTINCT user_id FROM api_tokens WHERE account_id = $1 AND role = 'admin' AND user_id IS NOT NULL AND $2::text IS NULL`, nil
	default:
		return nil, nil
	}
	var ids []string
	if err := tx.SelectContext(ctx, &ids, query, accountID, arg); err != nil {
		return nil, fmt.Errorf("users to notify: %w", err)
	}
	return ids, nil
}

// notifySLA adds a notification of kind sla_warning or sla_breach for each user, queued for email.
func notifySLA(ctx context.Context, tx *sqlx.Tx, accountID, ticketID string, e Escalation, users []string) error {
	detail := fmt.Sprintf("%s of policy %s due %s", e.Target, e.PolicyID, e.DueAt.UTC().Format(time.RFC3339))
	for _, u := range users {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO notifications (id, account_id, user_id, kind, ticket_id, email, detail) VALUES ($1, $2, $3, $4, $5, 'queued', $6)`,
			NewID("ntf"), accountID, u, "sla_"+e.Kind, ticketID, detail); err != nil {
			return fmt.Errorf("notify %s: %w", u, err)
		}
	}
	return nil
}

// countOutcome counts an achieved or breached target in sla_outcomes (a warning counts nothing).
func countOutcome(ctx context.Context, tx *sqlx.Tx, e Escalation) error {
	outcome := map[string]string{"achieved": "achieved", "breach": "breached"}[e.Kind]
	if outcome == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sla_outcomes (target, outcome, n) VALUES ($1, $2, 1)
		ON CONFLICT (target, outcome) DO UPDATE SET n = sla_outcomes.n + 1`, e.Target, outcome); err != nil {
		return fmt.Errorf("count sla outcome: %w", err)
	}
	return nil
}

// SLAOutcome is how many times a target was achieved or breached.
type SLAOutcome struct {
	Target  string `db:"target"`
	Outcome string `db:"outcome"`
	N       int64  `db:"n"`
}

// SLAOutcomes are the counts of achieved and breached targets, for the metrics.
func (s *Store) SLAOutcomes(ctx context.Context) ([]SLAOutcome, error) {
	var out []SLAOutcome
	if err := s.db.SelectContext(ctx, &out, `SELECT target, outcome, n FROM sla_outcomes ORDER BY 1, 2`); err != nil {
		return nil, fmt.Errorf("sla outcomes: %w", err)
	}
	return out, nil
}
