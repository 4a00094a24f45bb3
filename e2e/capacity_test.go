package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// agent is a user of the capacity storm.
type agent struct {
	id       string
	capacity int
}

// openLoad counts an agent's tickets that are not closed.
func openLoad(base, token, userID string) (int, error) {
	tickets, err := listTickets(base, token, "assignee_id="+userID)
	n := 0
	for _, tk := range tickets {
		if tk["status"] != "closed" {
			n++
		}
	}
	return n, err
}

// TestChaosCapacityStorm: agents of capacity 1 and 2, many waiting tickets,
// and over HTTP concurrent bursts of availability flips (8 at once per agent)
// and closes; tickets are polled throughout and no agent may ever hold more
// open tickets than their capacity.
func TestChaosCapacityStorm(t *testing.T) {
	chaosOnly(t)
	d := newDev(t)
	d.start()
	agents := make([]agent, 4)
	var ids []string
	for i := range agents {
		agents[i].capacity = 1 + i%2
		r := d.do(http.MethodPost, "/v1/users", map[string]any{"email": fmt.Sprintf("agent%d@example.com", i), "name": fmt.Sprintf("Agent %d", i),
			"has_profile": true, "capacity": agents[i].capacity, "availability": "away"})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
		agents[i].id = r.Map(t)["id"].(string)
		ids = append(ids, agents[i].id)
	}
	ch := chatChannel(t, d.api, devToken, map[string]any{"assign_to": "users_and_teams", "users": ids, "only_available": true, "timeout_seconds": 3600})
	const waiting = 20
	for i := range waiting {
		r, err := postMessage(d.api, devToken, ch, fmt.Sprintf("storm-%d", i), fmt.Sprintf("storm-thread-%d", i))
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	}
	eventually(t, 60*time.Second, "every ticket waiting for an agent", func() bool {
		n := 0
		for _, tk := range ticketsOf(t, d.api, devToken, "channel_id="+ch) {
			if tk["routing_state"] == "waiting_for_agent" {
				n++
			}
		}
		return n == waiting
	})

	violations := map[string]int{} // "agent has n of capacity c" → times seen
	var mu sync.Mutex
	check := func(when string) {
		for _, a := range agents {
			n, err := openLoad(d.api, devToken, a.id)
			mu.Lock()
			if err != nil {
				violations[fmt.Sprintf("poll failed %s: %v", when, err)]++
			} else if n > a.capacity {
				violations[fmt.Sprintf("agent %s had %d open tickets, capacity %d", a.id, n, a.capacity)]++
			}
			mu.Unlock()
		}
	}
	setAvailability := func(id, to string) {
		r, err := call(http.MethodPut, d.api, "/v1/users/"+id+"/availability", devToken, map[string]any{"availability": to})
		if err == nil && r.Status != http.StatusOK {
			t.Errorf("PUT availability %s: %d %s", to, r.Status, r.Body)
		}
	}

	// A poller checks the invariant the whole time.
	stop := make(chan struct{})
	var polls atomic.Int32
	pollerDone := make(chan struct{})
	go func() {
		defer close(pollerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			check("during the storm")
			polls.Add(1)
			time.Sleep(50 * time.Millisecond)
		}
	}()

	closed := 0
	for round := range 4 {
		// Eight concurrent "available" per agent, with "away" flips mixed in.
		var wg sync.WaitGroup
		for _, a := range agents {
			for k := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					to := "available"
					if k%4 == 3 && round%2 == 1 {
						to = "away"
					}
					setAvailability(a.id, to)
				}()
			}
		}
		wg.Wait()
		time.Sleep(300 * time.Millisecond) // let dispatches land
		check(fmt.Sprintf("after burst %d", round))

		// Close some assigned tickets concurrently, which frees capacity and wakes waiting ones.
		var toClose []string
		for _, a := range agents {
			for _, tk := range ticketsOf(t, d.api, devToken, "assignee_id="+a.id) {
				if tk["status"] != "closed" && rand.IntN(2) == 0 {
					toClose = append(toClose, tk["id"].(string))
				}
			}
		}
		for _, id := range toClose {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := call(http.MethodPatch, d.api, "/v1/tickets/"+id, devToken, map[string]any{"status": "closed"})
				if err == nil && r.Status == http.StatusOK {
					mu.Lock()
					closed++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		check(fmt.Sprintf("after closes %d", round))
	}
	close(stop)
	<-pollerDone
	for _, a := range agents {
		setAvailability(a.id, "available")
	}
	time.Sleep(time.Second)
	check("at rest")
	t.Logf("%d closes, %d invariant polls", closed, polls.Load())
	require.Positive(t, closed, "the storm closed tickets (agents were assigned work)")
	require.Empty(t, violations, "no agent ever holds more open tickets than their capacity (value: polls that saw it)")
}
