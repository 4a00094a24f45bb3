package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAgentLoadsBusiestFirstWithinTheLimit: agents are listed by open assigned tickets (solved and
// closed ones do not count), the busiest first, at most limit of them, with the total of all agents.
func TestAgentLoadsBusiestFirstWithinTheLimit(t *testing.T) {
	d := newCapacityDesk(t, 5, 3, 2)
	ctx := context.Background()
	assign := func(ticket, agent, status string) {
		_, err := d.st.DB().Exec(`UPDATE tickets SET assignee_user_id = $2, status = $3 WHERE id = $1`, ticket, agent, status)
		require.NoError(t, err)
	}
	assign(d.ticket(1), d.agents[1], "open")
	assign(d.ticket(2), d.agents[1], "pending")
	assign(d.ticket(3), d.agents[2], "open")
	assign(d.ticket(4), d.agents[2], "solved")
	assign(d.ticket(5), d.agents[0], "closed")

	loads, total, err := d.st.AgentLoads(ctx, 2)
	require.NoError(t, err)
	require.Equal(t, 3, total)
	require.Len(t, loads, 2)
	require.Equal(t, d.agents[1], loads[0].AgentID)
	require.Equal(t, 2, loads[0].OpenTickets)
	require.Equal(t, 3, loads[0].Capacity)
	require.Equal(t, d.agents[2], loads[1].AgentID)
	require.Equal(t, 1, loads[1].OpenTickets)

	loads, total, err = d.st.AgentLoads(ctx, 10)
	require.NoError(t, err)
	require.Equal(t, 3, total)
	require.Len(t, loads, 3)
	require.Equal(t, d.agents[0], loads[2].AgentID)
	require.Zero(t, loads[2].OpenTickets)
	require.Equal(t, 5, loads[2].Capacity)
}
