package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/workflows"
)

// bench drives one stack through its HTTP API with a pooled client.
type bench struct {
	t     *testing.T
	s     *testenv.Stack
	token string
	http  *http.Client
}

// do sends one request; safe for concurrent use (it never calls t.Fatal).
func (b *bench) do(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		enc, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, b.s.HTTP.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+b.token)
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// create POSTs body to path, expects 201 and returns the new id.
func (b *bench) create(path string, body any) string {
	b.t.Helper()
	status, out, err := b.do(http.MethodPost, path, body)
	if err != nil || status != http.StatusCreated {
		b.t.Fatalf("POST %s: %d %s %v", path, status, out, err)
	}
	var m struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out, &m); err != nil {
		b.t.Fatal(err)
	}
	return m.ID
}

func (b *bench) user(email, availability string, capacity int) string {
	return b.create("/v1/users", map[string]any{"email": email, "name": email, "availability": availability, "capacity": capacity})
}

// agentsFor creates available agents (capacity 1000 each, at most 100) with
// room for tickets open tickets, so each phase routes to agents of its own.
func (b *bench) agentsFor(prefix string, tickets int) []string {
	n := min(100, max(10, tickets/1000+1))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = b.user(fmt.Sprintf("%s%d@bench.test", prefix, i), "available", 1000)
	}
	return ids
}

// channel creates a chat channel routing to users; timeout 0 keeps the default wait.
func (b *bench) channel(name string, users []string, timeout int) string {
	routing := map[string]any{"assign_to": "users_and_teams", "users": users}
	if timeout > 0 {
		routing["timeout_seconds"] = timeout
	}
	return b.create("/v1/channels", map[string]any{"type": "chat", "name": name, "routing": routing})
}

// conversations posts n first messages on n new threads of ch from c
// goroutines; it returns when each conversation's POST was sent (by
// conversation id) and the POSTs' response times.
func (b *bench) conversations(ch, prefix string, n, c int) (map[string]time.Time, []time.Duration) {
	b.t.Helper()
	type result struct {
		conv string
		sent time.Time
		took time.Duration
		err  error
	}
	jobs := make(chan int)
	out := make(chan result, n)
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				sent := time.Now()
				conv, err := b.postMessage(ch, fmt.Sprintf("%s-%d", prefix, i))
				out <- result{conv: conv, sent: sent, took: time.Since(sent), err: err}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(out)
	sent := map[string]time.Time{}
	var took []time.Duration
	for r := range out {
		if r.err != nil {
			b.t.Fatal(r.err)
		}
		sent[r.conv] = r.sent
		took = append(took, r.took)
	}
	return sent, took
}

// postMessage posts the first message of a new thread from a new customer
// to ch and returns the conversation id; safe for concurrent use.
func (b *bench) postMessage(ch, thread string) (string, error) {
	body := map[string]any{
		"external_id": thread + "-m1", "thread_id": thread, "text": "Where is my order?",
		"from": map[string]any{"email": thread + "@customer.test", "name": "Customer " + thread},
	}
	status, raw, err := b.do(http.MethodPost, "/v1/channels/"+ch+"/messages", body)
	if err != nil {
		return "", err
	}
	if status != http.StatusAccepted {
		return "", fmt.Errorf("POST message: %d %s", status, raw)
	}
	var m struct {
		ConversationID string `json:"conversation_id"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return "", fmt.Errorf("POST message: %w", err)
	}
	return m.ConversationID, nil
}

// waitTickets polls PostgreSQL until n tickets of ch are in state.
func (b *bench) waitTickets(ch, state string, n int) {
	b.t.Helper()
	b.waitTicketsFor(ch, state, n, settleTimeout)
}

// waitTicketsFor is waitTickets with its own bound.
func (b *bench) waitTicketsFor(ch, state string, n int, settle time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(settle)
	for {
		var got int
		if err := b.s.Store.DB().Get(&got, `SELECT count(*) FROM tickets WHERE channel_id = $1 AND routing_state = $2`, ch, state); err != nil {
			b.t.Fatal(err)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("after %s only %d of %d tickets of %s are %s", settle, got, n, ch, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type ticket struct {
	ID             string     `db:"id"`
	ConversationID string     `db:"conversation_id"`
	WorkflowID     string     `db:"workflow_id"`
	AssignedAt     *time.Time `db:"assigned_at"`
}

const ticketSQL = `SELECT t.id, t.conversation_id, c.workflow_id, t.assigned_at FROM tickets t JOIN conversations c ON c.id = t.conversation_id `

func (b *bench) tickets(ch string) []ticket {
	b.t.Helper()
	var out []ticket
	if err := b.s.Store.DB().Select(&out, ticketSQL+`WHERE t.channel_id = $1`, ch); err != nil {
		b.t.Fatal(err)
	}
	return out
}

// assignedTo waits for the ticket assigned to user and returns it.
func (b *bench) assignedTo(user string) ticket {
	b.t.Helper()
	deadline := time.Now().Add(settleTimeout)
	for {
		var out []ticket
		if err := b.s.Store.DB().Select(&out, ticketSQL+`WHERE t.assignee_user_id = $1 AND t.routing_state = 'assigned'`, user); err != nil {
			b.t.Fatal(err)
		}
		if len(out) > 0 && out[0].AssignedAt != nil {
			return out[0]
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no ticket assigned to %s after %s", user, settleTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// workflowAssignedAt is the server's time of the history event in which the
// workflow set its RoutingState search attribute to assigned.
func (b *bench) workflowAssignedAt(workflowID string) time.Time {
	b.t.Helper()
	key := workflows.RoutingStateKey.GetName()
	dc := converter.GetDefaultDataConverter()
	deadline := time.Now().Add(settleTimeout)
	for {
		it := b.s.Temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				b.t.Fatalf("history of %s: %v", workflowID, err)
			}
			attrs := ev.GetUpsertWorkflowSearchAttributesEventAttributes()
			if attrs == nil {
				continue
			}
			p, ok := attrs.GetSearchAttributes().GetIndexedFields()[key]
			if !ok {
				continue
			}
			var state string
			if err := dc.FromPayload(p, &state); err == nil && state == "assigned" {
				return ev.GetEventTime().AsTime()
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("workflow %s never recorded RoutingState=assigned", workflowID)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// bareRun signal-with-starts n bare workflows from c goroutines and waits
// until each ran its last activity; it returns the window from the first
// start to the last activity, and each workflow's start-to-last-activity time.
func (b *bench) bareRun(rec *bareRecorder, prefix string, n, c int) (time.Duration, []time.Duration) {
	b.t.Helper()
	base := rec.count()
	ids := make([]string, n)
	sent := make([]time.Time, n)
	errs := make([]error, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				ids[i] = fmt.Sprintf("bare:%s:%d", prefix, i)
				sent[i] = time.Now()
				errs[i] = signalWithStartBare(context.Background(), b.s.Temporal, ids[i], fmt.Sprintf("msg-%s-%d", prefix, i))
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.t.Fatalf("signal-with-start bare workflow: %v", err)
		}
	}
	deadline := time.Now().Add(settleTimeout)
	for rec.count() < base+n {
		if time.Now().After(deadline) {
			b.t.Fatalf("after %s only %d of %d bare workflows finished", settleTimeout, rec.count()-base, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	first := sent[0]
	var last time.Time
	lat := make([]time.Duration, n)
	for i, id := range ids {
		done, _ := rec.at(id)
		lat[i] = done.Sub(sent[i])
		if sent[i].Before(first) {
			first = sent[i]
		}
		if done.After(last) {
			last = done
		}
	}
	return last.Sub(first), lat
}

// earliest is the first of the times in m.
func earliest(m map[string]time.Time) time.Time {
	var first time.Time
	for _, at := range m {
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	return first
}

// clockSkew bounds the offset between this process's clock and PostgreSQL's:
// |offset| plus half the round trip of the quickest of ten samples.
func (b *bench) clockSkew() time.Duration {
	b.t.Helper()
	best := time.Duration(1<<63 - 1)
	var bound time.Duration
	for range 10 {
		var db time.Time
		t0 := time.Now()
		if err := b.s.Store.DB().Get(&db, `SELECT clock_timestamp()`); err != nil {
			b.t.Fatal(err)
		}
		rtt := time.Since(t0)
		if rtt < best {
			best = rtt
			off := db.Sub(t0.Add(rtt / 2))
			if off < 0 {
				off = -off
			}
			bound = off + rtt/2
		}
	}
	return bound
}
