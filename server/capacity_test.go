package server_test

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestConcurrentAvailabilityNeverExceedsCapacity is issue #9's defect 3
// through the whole stack: an agent of capacity 1 with 12 tickets waiting for
// them, then 8 concurrent PUT /v1/users/{id}/availability "available". A
// watcher checks all along that the agent never holds more than one open
// ticket; three rounds (the agent goes away, closes the ticket, and the 8
// calls race again).
func TestConcurrentAvailabilityNeverExceedsCapacity(t *testing.T) {
	d := newDesk(t)
	agent := d.user("solo@acme.test", map[string]any{"capacity": 1, "availability": "away"})
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{agent}, "timeout_seconds": 604800})
	const waiting = 12
	for i := range waiting {
		d.message(ch, fmt.Sprintf("w%d", i), map[string]any{"email": fmt.Sprintf("w%d@x.test", i)})
	}
	for i := range waiting {
		d.ticketOf(ch, fmt.Sprintf("w%d", i), "waiting_for_agent")
	}

	db := d.s.Store.DB()
	openOf := func() (int, error) {
		var n int
		err := db.Get(&n, `SELECT count(*) FROM tickets WHERE assignee_user_id = $1 AND status <> 'closed'`, agent)
		return n, err
	}
	var most atomic.Int64
	stop := make(chan struct{})
	var watch sync.WaitGroup
	watch.Add(1)
	go func() {
		defer watch.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if n, err := openOf(); err == nil && int64(n) > most.Load() {
				most.Store(int64(n))
			}
		}
	}()
	defer func() {
		close(stop)
		watch.Wait()
	}()

	for round := range 3 {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := testenv.Do(t, d.s.HTTP.URL, http.MethodPut, "/v1/users/"+agent+"/availability", d.token, map[string]any{"availability": "available"})
				if r.Status != http.StatusOK {
					t.Errorf("availability: %d %s", r.Status, r.Body)
				}
			}()
		}
		close(start)
		wg.Wait()
		var assigned []string
		testenv.Eventually(t, 20*time.Second, "the agent to get a ticket", func() bool {
			assigned = nil
			require.NoError(t, db.Select(&assigned, `SELECT id FROM tickets WHERE assignee_user_id = $1 AND status <> 'closed'`, agent))
			return len(assigned) > 0
		})
		time.Sleep(300 * time.Millisecond) // let any late assignment land where the watcher sees it
		n, err := openOf()
		require.NoError(t, err)
		require.Equal(t, 1, n, "round %d: an agent of capacity 1 holds exactly one open ticket", round)
		require.LessOrEqual(t, most.Load(), int64(1), "round %d: the agent never held more than their capacity", round)

		// The agent steps away and closes the ticket; the next round races again.
		r := d.s.Do(http.MethodPut, "/v1/users/"+agent+"/availability", d.token, map[string]any{"availability": "away"})
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		r = d.s.Do(http.MethodPatch, "/v1/tickets/"+assigned[0], d.token, map[string]any{"status": "closed"})
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	}
	var stillWaiting int
	require.NoError(t, db.Get(&stillWaiting, `SELECT count(*) FROM tickets WHERE channel_id = $1 AND routing_state = 'waiting_for_agent'`, ch))
	require.Equal(t, waiting-3, stillWaiting, "each round took exactly one waiting ticket")
}

// TestManualAssignmentRespectsCapacity: a manual assignment may pick an agent
// who is away, but never one who is full (409 problem+json).
func TestManualAssignmentRespectsCapacity(t *testing.T) {
	d := newDesk(t)
	full := d.user("full@acme.test", map[string]any{"capacity": 1})
	other := d.user("other@acme.test", map[string]any{"capacity": 1, "availability": "away"})
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{full}, "only_available": false, "timeout_seconds": 600})
	d.message(ch, "a", map[string]any{"email": "a@x.test"})
	first := d.ticketOf(ch, "a", "assigned")
	require.Equal(t, full, assignee(first))
	d.message(ch, "b", map[string]any{"email": "b@x.test"})
	second := d.ticketOf(ch, "b", "waiting_for_agent")

	r := d.s.Do(http.MethodPatch, "/v1/tickets/"+second["id"].(string), d.token, map[string]any{"assignee": map[string]any{"user_id": full}})
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	require.Contains(t, r.Map(t)["detail"], "capacity")

	// Away is no obstacle to a manual assignment; then that agent is full too.
	r = d.s.Do(http.MethodPatch, "/v1/tickets/"+second["id"].(string), d.token, map[string]any{"assignee": map[string]any{"user_id": other}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, other, assignee(r.Map(t)))

	// Reopening a solved ticket by PATCH keeps its agent only if they have room.
	r = d.s.Do(http.MethodPatch, "/v1/tickets/"+first["id"].(string), d.token, map[string]any{"status": "solved"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	d.message(ch, "c", map[string]any{"email": "c@x.test"})
	d.ticketOf(ch, "c", "assigned") // full got room from the solve and takes c
	r = d.s.Do(http.MethodPatch, "/v1/tickets/"+first["id"].(string), d.token, map[string]any{"status": "open"})
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	var open int
	require.NoError(t, d.s.Store.DB().Get(&open, `SELECT count(*) FROM tickets WHERE assignee_user_id = $1 AND status NOT IN ('solved', 'closed')`, full))
	require.Equal(t, 1, open)
}
