package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestLiveBenchmark measures the live path of issue 27: ROUTEDESK_BENCH_LIVE_AGENTS (50) agents hold the event
// stream (GET /v1/events) open, and ROUTEDESK_BENCH_LIVE_N (100) ticket changes are made one after another through
// PATCH /v1/tickets/{id}. The latency of a change is from just before its PATCH is sent to the moment each agent's
// stream has delivered its ticket.changed event (the event read off the wire by an SSE client: the proxy for
// "visible in the console", which re-renders on that event); p50/p95/max over agents × changes, for
// ROUTEDESK_BENCH_RUNS (3) runs, then min / median / max of each figure.
func TestLiveBenchmark(t *testing.T) {
	if os.Getenv("ROUTEDESK_BENCH") != "1" {
		t.Skip("set ROUTEDESK_BENCH=1 to run the benchmark")
	}
	agents := envInt(t, "ROUTEDESK_BENCH_LIVE_AGENTS", 50)
	n := envInt(t, "ROUTEDESK_BENCH_LIVE_N", 100)
	runs := envInt(t, "ROUTEDESK_BENCH_RUNS", 3)
	st := testenv.NewStack(t)
	_, admin := st.Account("Live bench", "enterprise")
	tokens := make([]string, agents)
	for i := range tokens {
		u := st.Do(http.MethodPost, "/v1/users", admin, map[string]any{"email": fmt.Sprintf("agent%d@bench.test", i), "name": fmt.Sprintf("Agent %d", i)})
		require.Equal(t, http.StatusCreated, u.Status, string(u.Body))
		tk := st.Do(http.MethodPost, "/v1/users/"+u.Map(t)["id"].(string)+"/tokens", admin, nil)
		require.Equal(t, http.StatusCreated, tk.Status, string(tk.Body))
		tokens[i] = tk.Map(t)["token"].(string)
	}
	ch := st.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Website chat"}).Map(t)["id"].(string)
	r := st.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", admin, map[string]any{"external_id": "m-1", "thread_id": "v-1", "text": "hello",
		"from": map[string]any{"email": "customer@example.com"}})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	var ticket string
	testenv.Eventually(t, 30*time.Second, "the ticket", func() bool {
		var l struct {
			Items []struct {
				ID           string `json:"id"`
				RoutingState string `json:"routing_state"`
			}
		}
		st.Do(http.MethodGet, "/v1/tickets", admin, nil).JSON(t, &l)
		if len(l.Items) == 1 && l.Items[0].RoutingState != "routing" {
			ticket = l.Items[0].ID
		}
		return ticket != ""
	})

	var p50s, p95s, maxes []time.Duration
	for run := range runs {
		ctx, cancel := context.WithCancel(context.Background())
		streams := make([]<-chan testenv.SSEEvent, agents)
		for i, tok := range tokens {
			evs, status, _, err := testenv.OpenSSE(ctx, st.HTTP.URL+"/v1/events", map[string]string{"Authorization": "Bearer " + tok})
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, status)
			require.Equal(t, "ready", (<-evs).Event)
			streams[i] = evs
		}
		var lat []time.Duration
		for i := range n {
			priority := []string{"high", "normal"}[i%2]
			var wg sync.WaitGroup
			got := make([]time.Time, agents)
			for a, evs := range streams {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for ev := range evs {
						var d struct {
							TicketID string                    `json:"ticket_id"`
							Data     struct{ Priority string } `json:"data"`
						}
						if ev.Event == "ticket.changed" && json.Unmarshal([]byte(ev.Data), &d) == nil && d.TicketID == ticket && d.Data.Priority == priority {
							got[a] = ev.At
							return
						}
					}
				}()
			}
			began := time.Now()
			p := st.Do(http.MethodPatch, "/v1/tickets/"+ticket, admin, map[string]any{"priority": priority})
			require.Equal(t, http.StatusOK, p.Status, string(p.Body))
			wg.Wait()
			for _, at := range got {
				require.False(t, at.IsZero(), "a stream ended before the change arrived")
				lat = append(lat, at.Sub(began))
			}
		}
		cancel()
		slices.Sort(lat)
		p50s, p95s, maxes = append(p50s, percentile(lat, 50)), append(p95s, percentile(lat, 95)), append(maxes, lat[len(lat)-1])
		t.Logf("run %d: %d agents × %d changes: event → received p50 %s p95 %s max %s", run+1, agents, n,
			ms(percentile(lat, 50)), ms(percentile(lat, 95)), ms(lat[len(lat)-1]))
	}
	for _, f := range []struct {
		name string
		ds   []time.Duration
	}{{"p50", p50s}, {"p95", p95s}, {"max", maxes}} {
		slices.Sort(f.ds)
		t.Logf("live path %s over %d runs: min %s median %s max %s", f.name, runs, ms(f.ds[0]), ms(f.ds[len(f.ds)/2]), ms(f.ds[len(f.ds)-1]))
	}
}
