package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/sla"
)

type slaPolicyRow struct {
	ID         string          `db:"id"`
	Position   int             `db:"position"`
	Name       string          `db:"name"`
	Definition json.RawMessage `db:"definition"`
	CreatedAt  time.Time       `db:"created_at"`
	UpdatedAt  time.Time       `db:"updated_at"`
}

func (r slaPolicyRow) policy() (sla.Policy, error) {
	var p sla.Policy
	if err := json.Unmarshal(r.Definition, &p); err != nil {
		return p, fmt.Errorf("decode sla policy %s: %w", r.ID, err)
	}
	p.ID, p.Position, p.Name, p.CreatedAt, p.UpdatedAt = r.ID, r.Position, r.Name, r.CreatedAt, r.UpdatedAt
	return p, nil
}

const slaPolicyColumns = `id, position, name, definition, created_at, updated_at`

// definition is what the definition column keeps of p: everything but its id, position, name and times.
func definition(p sla.Policy) ([]byte, error) {
	p.ID, p.Position, p.Name, p.CreatedAt, p.UpdatedAt = "", 0, "", time.Time{}, time.Time{}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode sla policy: %w", err)
	}
	return b, nil
}

// CreateSLAPolicy saves a validated policy; a conflict once the account has sla.MaxPolicies.
func (s *Store) CreateSLAPolicy(ctx context.Context, accountID string, p sla.Policy) (sla.Policy, error) {
	def, err := definition(p)
	if err != nil {
		return sla.Policy{}, err
	}
	var row slaPolicyRow
	err = s.db.GetContext(ctx, &row,
		`INSERT INTO sla_policies (id, account_id, position, name, definition)
		 SELECT $1, $2, $3, $4, $5 WHERE (SELECT count(*) FROM sla_policies WHERE account_id = $2) < $6
		 RETURNING `+slaPolicyColumns, NewID("sla"), accountID, p.Position, p.Name, def, sla.MaxPolicies)
	if isNoRows(err) {
		return sla.Policy{}, fmt.Errorf("create sla policy: %d policies is the limit: %w", sla.MaxPolicies, domain.ErrConflict)
	}
	if err != nil {
		return sla.Policy{}, fmt.Errorf("create sla policy: %w", err)
	}
	return row.policy()
}

// SLAPolicies lists the account's policies in the order they are tried: by position, then id.
func (s *Store) SLAPolicies(ctx context.Context, accountID string) ([]sla.Policy, error) {
	var rows []slaPolicyRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+slaPolicyColumns+` FROM sla_policies WHERE account_id = $1 ORDER BY position, id`, accountID); err != nil {
		return nil, fmt.Errorf("list sla policies: %w", err)
	}
	out := make([]sla.Policy, 0, len(rows))
	for _, r := range rows {
		p, err := r.policy()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// SLAPolicy returns one of the account's policies.
func (s *Store) SLAPolicy(ctx context.Context, accountID, id string) (sla.Policy, error) {
	var row slaPolicyRow
	if err := s.db.GetContext(ctx, &row, `SELECT `+slaPolicyColumns+` FROM sla_policies WHERE id = $1 AND account_id = $2`, id, accountID); err != nil {
		return sla.Policy{}, notFound(err, "get sla policy")
	}
	return row.policy()
}

// UpdateSLAPolicy replaces a policy with p (validated).
func (s *Store) UpdateSLAPolicy(ctx context.Context, accountID, id string, p sla.Policy) (sla.Policy, error) {
	def, err := definition(p)
	if err != nil {
		return sla.Policy{}, err
	}
	var row slaPolicyRow
	err = s.db.GetContext(ctx, &row,
		`UPDATE sla_policies SET position = $3, name = $4, definition = $5, updated_at = now()
		  WHERE id = $1 AND account_id = $2 RETURNING `+slaPolicyColumns, id, accountID, p.Position, p.Name, def)
	if err != nil {
		return sla.Policy{}, notFound(err, "update sla policy")
	}
	return row.policy()
}

// DeleteSLAPolicy removes a policy; tickets under it keep their deadlines until their workflow chooses again.
func (s *Store) DeleteSLAPolicy(ctx context.Context, accountID, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sla_policies WHERE id = $1 AND account_id = $2`, id, accountID)
	if err != nil {
		return fmt.Errorf("delete sla policy: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete sla policy: %w", domain.ErrNotFound)
	}
	return nil
}

// TicketSLAState is what the conversation workflow shows of a ticket's SLA.
type TicketSLAState struct {
	PolicyID string
	DueAt    *time.Time
	Breached bool
	// TeamID is the team holding the ticket now, for its per-team clock ("" for none).
	TeamID string
	At     time.Time
}

// SetTicketSLA records the ticket's policy, next deadline and breach, and closes the span of the team
// that held it when another team (or none) holds it now.
func (s *Store) SetTicketSLA(ctx context.Context, accountID, ticketID string, st TicketSLAState) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tickets SET sla_policy_id = (SELECT id FROM sla_policies WHERE id = $3 AND account_id = $2),
		        sla_due_at = $4, sla_breached = $5 WHERE id = $1 AND account_id = $2`,
			ticketID, accountID, nullable(st.PolicyID), st.DueAt, st.Breached)
		if err != nil {
			return fmt.Errorf("set ticket sla: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("set ticket sla: %w", domain.ErrNotFound)
		}
		return recordTeamSpan(ctx, tx, ticketID, st.TeamID, st.At)
	})
}

// recordTeamSpan ends the open span of another team at at and opens teamID's (none for "").
func recordTeamSpan(ctx context.Context, tx *sqlx.Tx, ticketID, teamID string, at time.Time) error {
	var open string
	err := tx.GetContext(ctx, &open, `SELECT team_id FROM ticket_team_spans WHERE ticket_id = $1 AND to_at IS NULL`, ticketID)
	switch {
	case err == nil && open == teamID:
		return nil
	case err == nil:
		if _, err := tx.ExecContext(ctx, `UPDATE ticket_team_spans SET to_at = GREATEST($2, from_at) WHERE ticket_id = $1 AND to_at IS NULL`, ticketID, at); err != nil {
			return fmt.Errorf("end team span: %w", err)
		}
	case !isNoRows(err):
		return fmt.Errorf("open team span: %w", err)
	}
	if teamID == "" {
		return nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO ticket_team_spans (ticket_id, team_id, from_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, ticketID, teamID, at)
	if err != nil {
		return fmt.Errorf("start team span: %w", err)
	}
	return nil
}

// TeamSpan is a span of time a team held a ticket; To is nil while it still does.
type TeamSpan struct {
	TeamID string     `db:"team_id" json:"team_id"`
	From   time.Time  `db:"from_at" json:"from"`
	To     *time.Time `db:"to_at" json:"to"`
}

// TeamSpans lists the spans each team held the ticket, oldest first.
func (s *Store) TeamSpans(ctx context.Context, accountID, ticketID string) ([]TeamSpan, error) {
	out := []TeamSpan{}
	err := s.db.SelectContext(ctx, &out, `SELECT sp.team_id, sp.from_at, sp.to_at FROM ticket_team_spans sp JOIN tickets t ON t.id = sp.ticket_id
		  WHERE sp.ticket_id = $1 AND t.account_id = $2 ORDER BY sp.from_at`, ticketID, accountID)
	if err != nil {
		return nil, fmt.Errorf("list team spans: %w", err)
	}
	return out, nil
}
