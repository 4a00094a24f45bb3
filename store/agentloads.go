package store

import (
	"context"
	"fmt"
)

// AgentLoad is one agent's open assigned tickets against its capacity, for the per-agent gauges.
type AgentLoad struct {
	// AgentID is the user id (never a name or an address: metric labels carry no personal data).
	AgentID     string `db:"agent_id"`
	OpenTickets int    `db:"open_tickets"`
	Capacity    int    `db:"capacity"`
}

// AgentLoads lists up to limit agents (users with a service profile, of every account of the
// installation), the busiest first (then by id), and how many agents there are in all, so a
// scrape can say how many it left out.
func (s *Store) AgentLoads(ctx context.Context, limit int) ([]AgentLoad, int, error) {
	var rows []struct {
		AgentLoad
		Total int `db:"total"`
	}
	if err := s.db.SelectContext(ctx, &rows,
		`SELECT u.id AS agent_id, u.capacity,
		        (SELECT count(*) FROM tickets o WHERE o.assignee_user_id = u.id AND o.status NOT IN ('solved', 'closed')) AS open_tickets,
		        count(*) OVER () AS total
		   FROM users u WHERE u.has_profile
		  ORDER BY open_tickets DESC, u.id LIMIT $1`, limit); err != nil {
		return nil, 0, fmt.Errorf("agent loads: %w", err)
	}
	out := make([]AgentLoad, len(rows))
	total := 0
	for i, r := range rows {
		out[i], total = r.AgentLoad, r.Total
	}
	return out, total, nil
}
