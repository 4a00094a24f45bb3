package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// scaleBench is the stack and the channels of the scale benchmark.
type scaleBench struct {
	t         *testing.T
	f         *fleet
	db        *pgxpool.Pool
	server    atomic.Pointer[apiProc] // the server traffic goes to (replaced on a restart)
	awayAgent string                  // never available: conversations routed to them wait
	waiting   string                  // chat channel whose tickets wait 7 days for the away agent
	messenger string                  // Messenger channel (page benchPage): tickets hold reply windows
	chats     atomic.Int64            // conversations opened on waiting
	psids     atomic.Int64            // conversations opened on messenger
	fillRate  float64                 // conversations per second of the last fill
}

const (
	benchPage   = "777000"
	benchSecret = "bench-secret"
	waitMax     = 7 * 24 * 3600 // longest routing timeout_seconds
)

func (b *scaleBench) base() string { return b.server.Load().base }

// user creates an agent with capacity 1000.
func (b *scaleBench) user(availability string) string {
	r := mustCall(b.t, http.MethodPost, b.base(), "/v1/users", b.f.token, map[string]any{
		"email": fmt.Sprintf("a%d@example.com", time.Now().UnixNano()), "name": "Agent",
		"has_profile": true, "capacity": 1000, "availability": availability})
	require.Equal(b.t, http.StatusCreated, r.Status, string(r.Body))
	return r.Map(b.t)["id"].(string)
}

// routedTo is a chat channel routing to agent, waiting at most timeout seconds.
func (b *scaleBench) routedTo(agent string, timeout int) string {
	return chatChannel(b.t, b.base(), b.f.token, map[string]any{"assign_to": "users_and_teams", "users": []string{agent},
		"only_available": true, "timeout_seconds": timeout})
}

// liveChannel is a chat channel with four available agents of its own (4,000
// tickets of room): its conversations are assigned at once.
func (b *scaleBench) liveChannel() string {
	var agents []string
	for range 4 {
		agents = append(agents, b.user("available"))
	}
	return chatChannel(b.t, b.base(), b.f.token, map[string]any{"assign_to": "users_and_teams", "users": agents,
		"only_available": true, "timeout_seconds": waitMax})
}

// postChat delivers the first message of conversation id on a chat channel,
// from a customer of its own (as on a real desk, no contact gathers them all).
func (b *scaleBench) postChat(channel, id string) (testenv.Response, error) {
	return call(http.MethodPost, b.base(), "/v1/channels/"+channel+"/messages", b.f.token, map[string]any{
		"external_id": id, "thread_id": id, "from": map[string]any{"email": id + "@bench.example.com"}, "text": "help " + id,
	})
}

// count runs a count(*) query.
func (b *scaleBench) count(query string, args ...any) int {
	b.t.Helper()
	var n int
	require.NoError(b.t, b.db.QueryRow(context.Background(), query, args...).Scan(&n))
	return n
}

// postMessenger delivers one signed webhook with a first message from each of psids.
func (b *scaleBench) postMessenger(psids []string) error {
	now := time.Now().UnixMilli()
	var events []any
	for _, id := range psids {
		events = append(events, map[string]any{"sender": map[string]any{"id": id}, "recipient": map[string]any{"id": benchPage},
			"timestamp": now, "message": map[string]any{"mid": "m." + id, "text": "hello"}})
	}
	body, err := json.Marshal(map[string]any{"object": "page", "entry": []any{map[string]any{"id": benchPage, "time": now, "messaging": events}}})
	if err != nil {
		return fmt.Errorf("encode webhook: %w", err)
	}
	req, err := http.NewRequest(http.MethodPost, b.base()+"/webhooks/messenger", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", signMeta(body, benchSecret))
	resp, err := httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("post webhook: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook: status %d", resp.StatusCode)
	}
	return nil
}

// fill opens conversations until target are open in all: 60 % chat tickets
// waiting for the away agent, 40 % Messenger conversations holding their
// reply-window timers; it returns once PostgreSQL shows every ticket in place.
func (b *scaleBench) fill(target int) {
	t := b.t
	have := int(b.chats.Load() + b.psids.Load())
	if target <= have {
		return
	}
	wantChats := target*6/10 - int(b.chats.Load())
	wantPsids := target - have - wantChats
	started := time.Now()
	var wg sync.WaitGroup
	var failures atomic.Int64
	chatJobs := make(chan int64)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range chatJobs {
				id := "w-" + strconv.FormatInt(i, 10)
				for try := 0; ; try++ {
					r, err := b.postChat(b.waiting, id)
					if err == nil && (r.Status == http.StatusAccepted || r.Status == http.StatusOK) {
						break
					}
					if failures.Add(1); try == 5 {
						t.Errorf("chat %s: %v %d %s", id, err, r.Status, r.Body)
						break
					}
					time.Sleep(time.Second)
				}
			}
		}()
	}
	const batch = 20
	psidJobs := make(chan []string)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ids := range psidJobs {
				for try := 0; ; try++ {
					err := b.postMessenger(ids)
					if err == nil {
						break
					}
					if failures.Add(1); try == 5 {
						t.Errorf("messenger batch: %v", err)
						break
					}
					time.Sleep(time.Second)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { // progress, so a long fill shows its rate
		tick := time.NewTicker(30 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				n := int(b.chats.Load()+b.psids.Load()) - have
				t.Logf("fill: %d of %d posted, %.1f/s", n, target-have, float64(n)/time.Since(started).Seconds())
			}
		}
	}()
	go func() {
		defer close(psidJobs)
		for sent := 0; sent < wantPsids; sent += batch {
			var ids []string
			for range min(batch, wantPsids-sent) {
				ids = append(ids, "p-"+strconv.FormatInt(b.psids.Add(1), 10))
			}
			psidJobs <- ids
		}
	}()
	for range wantChats {
		chatJobs <- b.chats.Add(1)
	}
	close(chatJobs)
	wg.Wait()
	close(done)
	chats, psids := int(b.chats.Load()), int(b.psids.Load())
	// Posting outruns ticketing (accepted messages wait in PostgreSQL), so the wait is
	// bounded by progress, not by a fixed time: it fails after 3 minutes without a new ticket.
	var last, lastAt = -1, time.Now()
	for {
		waiting := b.count(`SELECT count(*) FROM tickets WHERE channel_id = $1 AND routing_state = 'waiting_for_agent'`, b.waiting)
		windows := b.count(`SELECT count(*) FROM tickets WHERE channel_id = $1 AND reply_window->>'state' = 'open'`, b.messenger)
		if waiting >= chats && windows >= psids {
			break
		}
		if n := waiting + windows; n > last {
			if last >= 0 && time.Since(lastAt) >= time.Minute {
				t.Logf("fill: %d of %d tickets in place", n, chats+psids)
			}
			if last < 0 || time.Since(lastAt) >= time.Minute {
				last, lastAt = n, time.Now()
			}
		} else if time.Since(lastAt) > 3*time.Minute {
			t.Fatalf("fill: no new ticket in place for 3 minutes (%d of %d)", n, chats+psids)
		}
		time.Sleep(5 * time.Second)
	}
	took := time.Since(started)
	b.fillRate = float64(target-have) / took.Seconds()
	t.Logf("fill to %d open: %d conversations in %s (%.1f/s, %d retried posts)", target, target-have, took.Round(time.Second), b.fillRate, failures.Load())
}

// paced posts n first messages on channel at rate per second (open loop: each is
// sent at its due time; n = 0: until stop is closed), returning each accepted
// conversation's due time, the accept latencies, and how many posts were not accepted.
func (b *scaleBench) paced(channel, prefix string, n int, rate float64, stop <-chan struct{}) (due map[string]time.Time, accept []time.Duration, refused int) {
	due = map[string]time.Time{}
	var failed atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; n <= 0 || i < n; i++ {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		select {
		case <-stop:
			wg.Wait()
			return due, accept, int(failed.Load())
		case <-time.After(time.Until(at)):
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := fmt.Sprintf("%s-%d", prefix, i)
			r, err := b.postChat(channel, id)
			if err != nil || r.Status != http.StatusAccepted {
				failed.Add(1) // a server being restarted, or overloaded
				return
			}
			var body struct {
				ConversationID string `json:"conversation_id"`
			}
			if json.Unmarshal(r.Body, &body) != nil {
				return
			}
			mu.Lock()
			due[body.ConversationID] = at
			accept = append(accept, time.Since(at))
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	return due, accept, int(failed.Load())
}

// assigned waits until every conversation of due is assigned on channel and
// returns, per conversation, due time → tickets.assigned_at.
func (b *scaleBench) assigned(channel string, due map[string]time.Time, limit time.Duration) []time.Duration {
	t := b.t
	eventually(t, limit, fmt.Sprintf("%d conversations assigned", len(due)), func() bool {
		return b.count(`SELECT count(*) FROM tickets WHERE channel_id = $1 AND routing_state = 'assigned'`, channel) >= len(due)
	})
	rows, err := b.db.Query(context.Background(), `SELECT conversation_id, assigned_at FROM tickets WHERE channel_id = $1 AND assigned_at IS NOT NULL`, channel)
	require.NoError(t, err)
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var conv string
		var at time.Time
		require.NoError(t, rows.Scan(&conv, &at))
		if d, ok := due[conv]; ok {
			out = append(out, at.Sub(d))
		}
	}
	require.NoError(t, rows.Err())
	return out
}
