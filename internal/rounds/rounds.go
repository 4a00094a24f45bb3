// Package rounds drives load rounds against a running routedesk — the
// routed rate of a burst, recovery after SIGKILL with a backlog, a constant
// arrival rate — and measures ticket creation from the outside, for the
// chaos suite (e2e) and the benchmark (bench). Tickets are counted in
// PostgreSQL every 100 ms; messages go through the HTTP API.
package rounds

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Target is a running routedesk and the means to kill and restart it.
type Target struct {
	API   string  // base URL of the HTTP API
	Token string  // an admin token of the account
	DB    *sql.DB // routedesk's database, to count tickets
	// Kill SIGKILLs the process; Start starts it again and returns once /readyz answers 200.
	Kill, Start func()
}

// client is shared by every round: enough idle connections for the concurrency used.
var client = &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}

// Channel connects a new chat channel (no assignment: a ticket is the end of a conversation's opening).
func (tg Target) Channel(name string) (string, error) {
	body, _ := json.Marshal(map[string]any{"type": "chat", "name": name})
	req, err := http.NewRequest(http.MethodPost, tg.API+"/v1/channels", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+tg.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("create channel: %w", err)
	}
	defer resp.Body.Close()
	var ch struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ch); err != nil || resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("create channel: %d %v", resp.StatusCode, err)
	}
	return ch.ID, nil
}

// refusedFor bounds how long post keeps retrying a message the server refused with a Retry-After.
const refusedFor = 3 * time.Minute

// post sends one first message on its own thread as a sender that retries
// does: a 503 or 429 with a Retry-After (the intake limit) is tried again
// after that wait or an exponential backoff, whichever is longer, for up to refusedFor. It reports whether the message was
// answered 202, how many times it was refused first, and how long that took.
func (tg Target) post(channel, id string) (ok bool, refused int, took time.Duration) {
	body, _ := json.Marshal(map[string]any{"external_id": id, "thread_id": id, "text": "round " + id,
		"from": map[string]any{"name": "Customer " + id}})
	start := time.Now()
	for {
		req, err := http.NewRequest(http.MethodPost, tg.API+"/v1/channels/"+channel+"/messages", bytes.NewReader(body))
		if err != nil {
			return false, refused, 0
		}
		req.Header.Set("Authorization", "Bearer "+tg.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return false, refused, time.Since(start)
		}
		resp.Body.Close()
		wait, werr := strconv.Atoi(resp.Header.Get("Retry-After"))
		retry := (resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests) && werr == nil
		if !retry || time.Since(start) > refusedFor {
			return resp.StatusCode == http.StatusAccepted, refused, time.Since(start)
		}
		refused++
		// As mail servers and webhook senders do: at least the wait asked for, backing off
		// exponentially on repeated refusals (up to a minute), spread by up to half again.
		d := max(time.Duration(max(wait, 1))*time.Second, min(time.Second<<(refused-1), time.Minute))
		time.Sleep(d + rand.N(d/2))
	}
}

// Tickets counts the channel's tickets.
func (tg Target) Tickets(ctx context.Context, channel string) (int, error) {
	var n int
	err := tg.DB.QueryRowContext(ctx, `SELECT count(*) FROM tickets WHERE channel_id = $1`, channel).Scan(&n)
	return n, err
}

// sample is the channel's ticket count and the messages accepted so far at one moment.
type sample struct {
	at       time.Time
	tickets  int
	accepted int
}

// recorder samples a channel's tickets every 100 ms while messages are posted.
type recorder struct {
	tg       Target
	channel  string
	accepted atomic.Int64
	mu       sync.Mutex
	samples  []sample
	stop     chan struct{}
	done     chan struct{}
}

func (tg Target) record(channel string) *recorder {
	r := &recorder{tg: tg, channel: channel, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			r.sample()
			select {
			case <-r.stop:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

func (r *recorder) sample() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := r.tg.Tickets(ctx, r.channel)
	if err != nil {
		return // PostgreSQL is shared and busy: the next sample counts
	}
	r.mu.Lock()
	r.samples = append(r.samples, sample{at: time.Now(), tickets: n, accepted: int(r.accepted.Load())})
	r.mu.Unlock()
}

// last is the latest sample.
func (r *recorder) last() sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.samples) == 0 {
		return sample{at: time.Now()}
	}
	return r.samples[len(r.samples)-1]
}

// waitDrained waits until every accepted message has its ticket, up to limit; it returns when that was.
func (r *recorder) waitDrained(limit time.Duration) (time.Time, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if s := r.last(); s.tickets >= int(r.accepted.Load()) && s.tickets > 0 {
			return s.at, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s := r.last()
	return time.Time{}, fmt.Errorf("after %s: %d of %d accepted messages have a ticket", limit, s.tickets, r.accepted.Load())
}

func (r *recorder) finish() []sample {
	close(r.stop)
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sample(nil), r.samples...)
}

// rate is tickets per second between two moments (by the samples nearest to them).
func rate(samples []sample, from, to time.Time) float64 {
	a, b := at(samples, from), at(samples, to)
	if d := b.at.Sub(a.at).Seconds(); d > 0 {
		return float64(b.tickets-a.tickets) / d
	}
	return 0
}

// at is the last sample taken at or before t (the first one if none).
func at(samples []sample, t time.Time) sample {
	i := sort.Search(len(samples), func(i int) bool { return samples[i].at.After(t) })
	if i == 0 {
		return samples[0]
	}
	return samples[i-1]
}

// longestStall is the longest time between from and to during which
// accepted messages waited for tickets and no ticket was made.
func longestStall(samples []sample, from, to time.Time) time.Duration {
	d, _ := longestStallAt(samples, from, to)
	return d
}

// longestStallAt is longestStall and when that stall began.
func longestStallAt(samples []sample, from, to time.Time) (time.Duration, time.Time) {
	var longest time.Duration
	var began time.Time
	var since time.Time
	prev := at(samples, from)
	for _, s := range samples {
		if !s.at.After(from) || s.at.After(to) {
			continue
		}
		switch {
		case s.tickets > prev.tickets || s.tickets >= s.accepted:
			since = time.Time{}
		case since.IsZero():
			since = prev.at
			if since.Before(from) {
				since = from
			}
		}
		if !since.IsZero() && s.at.Sub(since) > longest {
			longest, began = s.at.Sub(since), since
		}
		prev = s
	}
	return longest, began
}

// percentile returns the p-th percentile (0–100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p/100))]
}
