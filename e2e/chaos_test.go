package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// The chaos suite (`make chaos`) checks routedesk's reliability guarantees
// against the built binary: SIGKILL under load, Temporal stopped, PostgreSQL
// stopped, hostile Unicode ids on every inbound route, and agent capacity
// under a concurrent storm. It runs only with ROUTEDESK_CHAOS=1.
func chaosOnly(t *testing.T) {
	t.Helper()
	if testing.Short() || os.Getenv("ROUTEDESK_CHAOS") != "1" {
		t.Skip("chaos suite: run with `make chaos` (ROUTEDESK_CHAOS=1)")
	}
}

// recoveryBound is how soon after a restart every accepted message must be a ticket.
const recoveryBound = 10 * time.Second

// awaitTickets polls until every accepted message's conversation has exactly
// one ticket, for up to limit, and returns how long that took; it fails the
// test when limit passes, naming what is missing or doubled.
func awaitTickets(t *testing.T, base, token, channel string, acc *accepted, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	var missing, doubled []string
	for time.Since(start) < limit {
		missing, doubled = acc.check(ticketsOf(t, base, token, "channel_id="+channel))
		if len(missing) == 0 && len(doubled) == 0 {
			return time.Since(start)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("after %s: %d of %d accepted messages have no ticket (e.g. %v); conversations with more than one ticket: %v",
		limit, len(missing), len(acc.conversations), head(missing, 5), doubled)
	return 0
}

func head(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// TestChaosSIGKILLUnderLoad kills `routedesk dev` with SIGKILL while 200
// messages are in flight, three times: every message answered 202 ends with
// exactly one ticket for its thread within 10 s of the restart.
func TestChaosSIGKILLUnderLoad(t *testing.T) {
	chaosOnly(t)
	d := newDev(t)
	d.start()
	for round := 1; round <= 3; round++ {
		ch := d.chatChannel()
		acc := newAccepted()
		var mu sync.Mutex
		var answered atomic.Int32
		killAt := int32(40 + rand.IntN(120))
		killed := make(chan struct{})
		var killOnce sync.Once
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range 24 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					ext := fmt.Sprintf("r%d-m%d", round, i)
					r, err := postMessage(d.api, devToken, ch, ext, fmt.Sprintf("r%d-thread-%d", round, i))
					if err != nil || r.Status != http.StatusAccepted {
						continue // cut off by the kill: not accepted, nothing promised
					}
					mu.Lock()
					acc.conversations[ext] = conversationOf(t, r)
					mu.Unlock()
					if answered.Add(1) == killAt {
						killOnce.Do(func() { d.kill(); close(killed) })
					}
				}
			}()
		}
		for i := range 200 {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		killOnce.Do(func() { d.kill(); close(killed) })
		<-killed
		t.Logf("round %d: %d of 200 messages answered 202 before SIGKILL", round, len(acc.conversations))

		d.start() // same database, same data dir
		took := awaitTickets(t, d.api, devToken, ch, acc, 90*time.Second)
		t.Logf("round %d: every accepted message had exactly one ticket %s after the restarted process was ready", round, took.Round(time.Millisecond))
		require.LessOrEqual(t, took, recoveryBound, "round %d: recovery after SIGKILL took %s", round, took)
		time.Sleep(time.Second)
		_, doubled := acc.check(ticketsOf(t, d.api, devToken, "channel_id="+ch))
		require.Empty(t, doubled, "round %d: no second ticket appears later", round)
	}
}

// TestChaosTemporalStopped stops `routedesk temporal` under `server` +
// `worker`: ingest keeps answering 202, and every message becomes a ticket
// once Temporal is back.
func TestChaosTemporalStopped(t *testing.T) {
	chaosOnly(t)
	f := newFleet(t)
	s := f.addServer()
	f.addWorker()
	ch := chatChannel(t, s.base, f.token, nil)
	acc := newAccepted()
	send := func(prefix string, n int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ext := fmt.Sprintf("%s-%d", prefix, i)
				r, err := postMessage(s.base, f.token, ch, ext, ext)
				require.NoError(t, err)
				require.Equal(t, http.StatusAccepted, r.Status, "%s: %s", ext, r.Body)
				mu.Lock()
				acc.conversations[ext] = conversationOf(t, r)
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	send("before", 5)
	awaitTickets(t, s.base, f.token, ch, acc, 30*time.Second)

	f.temporal.stop() // `routedesk temporal` exits cleanly on SIGTERM
	started := time.Now()
	send("during", 20)
	t.Logf("20 messages answered 202 with Temporal down in %s", time.Since(started).Round(time.Millisecond))
	r := mustCall(t, http.MethodGet, s.base, "/readyz", "", nil)
	require.Equal(t, http.StatusServiceUnavailable, r.Status, "/readyz reports Temporal down: %s", r.Body)

	f.startTemporal()
	took := awaitTickets(t, s.base, f.token, ch, acc, 90*time.Second)
	t.Logf("all %d messages were tickets %s after Temporal was back", len(acc.conversations), took.Round(time.Millisecond))
	send("after", 5)
	awaitTickets(t, s.base, f.token, ch, acc, 30*time.Second)
}

// TestChaosPostgresStopped stops a throw-away PostgreSQL cluster under
// `routedesk dev`: ingest answers 503 with Retry-After, /readyz answers 503
// naming only the failing dependency, and after PostgreSQL is back nothing
// accepted is lost.
func TestChaosPostgresStopped(t *testing.T) {
	chaosOnly(t)
	pg := testenv.ThrowawayPostgres(t)
	d := newDev(t)
	d.env = append(d.env, "DATABASE_URL="+pg.DatabaseURL("routedesk")+"&connect_timeout=3")
	d.start()
	ch := d.chatChannel()
	acc := newAccepted()
	post := func(ext string) (int, string) {
		r, err := postMessage(d.api, devToken, ch, ext, ext)
		require.NoError(t, err, "the API answers while PostgreSQL is down")
		if r.Status == http.StatusAccepted {
			acc.conversations[ext] = conversationOf(t, r)
		}
		return r.Status, r.Header.Get("Retry-After")
	}
	for i := range 5 {
		status, _ := post(fmt.Sprintf("before-%d", i))
		require.Equal(t, http.StatusAccepted, status)
	}

	pg.Stop()
	for i := range 5 {
		status, retry := post(fmt.Sprintf("down-%d", i))
		require.Equal(t, http.StatusServiceUnavailable, status, "ingest with PostgreSQL down")
		secs, err := strconv.Atoi(retry)
		require.NoError(t, err, "Retry-After is a number of seconds: %q", retry)
		require.Positive(t, secs)
	}
	r := mustCall(t, http.MethodGet, d.api, "/readyz", "", nil)
	require.Equal(t, http.StatusServiceUnavailable, r.Status)
	require.Contains(t, string(r.Body), "postgres")
	require.NotContains(t, string(r.Body), strconv.Itoa(pg.Port()), "/readyz names the dependency, not its address")

	pg.Start()
	eventually(t, 30*time.Second, "ingest to accept again", func() bool {
		status, _ := post("back-0")
		return status == http.StatusAccepted
	})
	for i := 1; i < 5; i++ {
		status, _ := post(fmt.Sprintf("back-%d", i))
		require.Equal(t, http.StatusAccepted, status)
	}
	took := awaitTickets(t, d.api, devToken, ch, acc, 60*time.Second)
	t.Logf("all %d accepted messages were tickets %s after PostgreSQL was back", len(acc.conversations), took.Round(time.Millisecond))
	require.Len(t, acc.conversations, 10, "before and after the outage")
}

// eventually polls cond every 250 ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
