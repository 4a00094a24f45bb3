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

// TestBulkTickets: one change to many tickets, each through PATCH /v1/tickets/{id}: its own outcome
// (200 with the ticket, 422 for a move its status does not allow, 404 for another account's ticket or
// none), the request refused as a whole only when no item could succeed (ids, change); the audit
// trail names the bulk route and the caller.
func TestBulkTickets(t *testing.T) {
	d := newDesk(t)
	agentID, agent := d.agent("alice@acme.test", "Alice")
	ch := d.channel(nil)
	var ids []string
	for i := range 3 {
		d.message(ch, fmt.Sprint("b", i), map[string]any{"email": fmt.Sprintf("b%d@x.test", i)})
		ids = append(ids, d.ticketOf(ch, fmt.Sprint("b", i), "unassigned")["id"].(string))
	}
	require.Equal(t, http.StatusOK, d.s.Do(http.MethodPatch, "/v1/tickets/"+ids[2], agent, map[string]any{"status": "closed"}).Status)
	_, otherToken := d.s.Account("Other", "enterprise")
	och := d.s.Do(http.MethodPost, "/v1/channels", otherToken, map[string]any{"type": "chat", "name": "Chat"}).Map(t)["id"].(string)
	r := d.s.Do(http.MethodPost, "/v1/channels/"+och+"/messages", otherToken, map[string]any{"external_id": "o1", "thread_id": "o", "from": map[string]any{"email": "o@x.test"}, "text": "hi"})
	require.Less(t, r.Status, 300, string(r.Body))
	var foreign string
	testenv.Eventually(t, 20*time.Second, "the other account's ticket", func() bool {
		items := d.s.Do(http.MethodGet, "/v1/tickets", otherToken, nil).Map(t)["items"].([]any)
		if len(items) > 0 {
			foreign = items[0].(map[string]any)["id"].(string)
		}
		return foreign != ""
	})

	r = d.s.Do(http.MethodPost, "/v1/tickets/bulk", agent, map[string]any{"ids": append(append([]string{}, ids...), foreign, "tkt_nope"),
		"change": map[string]any{"status": "pending", "priority": "high", "add_tags": []string{"Outage"}, "assignee": map[string]any{"user_id": agentID}}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	items := r.Map(t)["items"].([]any)
	require.Len(t, items, 5)
	status := func(i int) float64 { return items[i].(map[string]any)["status"].(float64) }
	for i := range 2 {
		tk := items[i].(map[string]any)["ticket"].(map[string]any)
		require.Equal(t, ids[i], tk["id"])
		require.Equal(t, "pending", tk["status"])
		require.Equal(t, "high", tk["priority"])
		require.Equal(t, []any{"outage"}, tk["tags"])
		require.Equal(t, agentID, assignee(tk))
	}
	require.EqualValues(t, http.StatusUnprocessableEntity, status(2), "%v", items[2])
	require.Equal(t, "status", items[2].(map[string]any)["errors"].([]any)[0].(map[string]any)["field"])
	require.EqualValues(t, http.StatusNotFound, status(3), "another account's ticket")
	require.EqualValues(t, http.StatusNotFound, status(4))
	other := d.s.Do(http.MethodGet, "/v1/tickets/"+foreign, otherToken, nil).Map(t)
	require.Equal(t, "normal", other["priority"], "the other account's ticket is unchanged")
	require.Equal(t, "normal", d.s.Do(http.MethodGet, "/v1/tickets/"+ids[2], d.token, nil).Map(t)["priority"], "a refused item changes nothing")

	var byBulk int
	for _, it := range d.s.Do(http.MethodGet, "/v1/tickets/"+ids[0]+"/events?limit=500", d.token, nil).Map(t)["items"].([]any) {
		if e := it.(map[string]any); e["via"] == "POST /v1/tickets/bulk" {
			require.Equal(t, agentID, e["actor_user_id"])
			byBulk++
		}
	}
	require.Equal(t, 2, byBulk, "the status/assignee change and the edit")

	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = fmt.Sprint("tkt_", i)
	}
	bad := []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"ids": tooMany, "change": map[string]any{"status": "open"}}, "ids"},
		{map[string]any{"ids": []string{}, "change": map[string]any{"status": "open"}}, "ids"},
		{map[string]any{"ids": []string{ids[0], ids[0]}, "change": map[string]any{"status": "open"}}, "ids[1]"},
		{map[string]any{"ids": []string{ids[0]}}, "change"},
		{map[string]any{"ids": []string{ids[0]}, "change": map[string]any{"priority": "P1"}}, "change.priority"},
		{map[string]any{"ids": []string{ids[0]}, "change": map[string]any{"colour": "red"}}, "change.colour"},
		{map[string]any{"ids": []string{ids[0]}, "change": map[string]any{"status": "banana"}}, "change.status"},
	}
	for _, c := range bad {
		requireField(t, d.s.Do(http.MethodPost, "/v1/tickets/bulk", agent, c.body), http.StatusUnprocessableEntity, c.field)
	}
}

// TestBulkStatusKeepsCapacity: bulk solves and bulk reassignments racing customer messages on the same
// tickets never leave an agent holding more tickets than their capacity, and every item answers 200 or
// 409 (the new agent is full), never a 500.
func TestBulkStatusKeepsCapacity(t *testing.T) {
	d := newDesk(t)
	const capacity = 2
	a := d.user("a@acme.test", map[string]any{"capacity": capacity})
	b := d.user("b@acme.test", map[string]any{"capacity": capacity})
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{a, b}, "timeout_seconds": 604800})
	const n = 8
	threads := make([]string, n)
	for i := range n {
		threads[i] = fmt.Sprint("c", i)
		d.message(ch, threads[i], map[string]any{"email": fmt.Sprintf("c%d@x.test", i)})
	}
	ids := make([]string, n)
	testenv.Eventually(t, 30*time.Second, "the tickets", func() bool {
		var got []string
		require.NoError(t, d.s.Store.DB().Select(&got, `SELECT id FROM tickets WHERE channel_id = $1 AND routing_state IN ('assigned', 'waiting_for_agent') ORDER BY id`, ch))
		if len(got) == n {
			copy(ids, got)
		}
		return len(got) == n
	})
	db := d.s.Store.DB()
	held := func() (int, error) {
		var most int
		err := db.Get(&most, `SELECT coalesce(max(c), 0) FROM (SELECT count(*) c FROM tickets
			WHERE channel_id = $1 AND assignee_user_id IS NOT NULL AND status NOT IN ('solved', 'closed') GROUP BY assignee_user_id) x`, ch)
		return most, err
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
			if m, err := held(); err == nil && int64(m) > most.Load() {
				most.Store(int64(m))
			}
		}
	}()

	for round := range 2 {
		var wg sync.WaitGroup
		start := make(chan struct{})
		bulk := func(change map[string]any) {
			defer wg.Done()
			<-start
			r := testenv.Do(t, d.s.HTTP.URL, http.MethodPost, "/v1/tickets/bulk", d.token, map[string]any{"ids": ids, "change": change})
			if r.Status != http.StatusOK {
				t.Errorf("bulk: %d %s", r.Status, r.Body)
				return
			}
			for _, it := range r.Map(t)["items"].([]any) {
				if s := it.(map[string]any)["status"].(float64); s != 200 && s != 409 && s != 422 {
					t.Errorf("round %d: an item answered %v: %v", round, s, it)
				}
			}
		}
		wg.Add(4)
		go bulk(map[string]any{"status": "solved"})
		go bulk(map[string]any{"assignee": map[string]any{"user_id": b}})
		go bulk(map[string]any{"assignee": map[string]any{"user_id": a}, "status": "open"})
		go func() {
			defer wg.Done()
			<-start
			for i := range n {
				d.message(ch, threads[i], map[string]any{"email": fmt.Sprintf("c%d@x.test", i)})
			}
		}()
		close(start)
		wg.Wait()
		time.Sleep(500 * time.Millisecond) // let the reopened tickets' routing land where the watcher sees it
		m, err := held()
		require.NoError(t, err)
		require.LessOrEqual(t, m, capacity, "round %d: no agent holds more than their capacity", round)
	}
	close(stop)
	watch.Wait()
	require.LessOrEqual(t, most.Load(), int64(capacity), "no agent ever held more than their capacity")
}
