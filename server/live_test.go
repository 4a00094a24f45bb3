package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
)

// liveEnv is an account with a ticket and two agents, for the event stream tests.
type liveEnv struct {
	t              *testing.T
	s              *testenv.Stack
	admin, channel string
	ticket         string
	agent1, agent2 string // tokens
	user1, user2   string
}

func newLiveEnv(t *testing.T, s *testenv.Stack, name string) liveEnv {
	t.Helper()
	_, admin := s.Account(name, "enterprise")
	e := liveEnv{t: t, s: s, admin: admin, channel: chatChannel(t, s, admin)}
	for i, p := range []*[2]*string{{&e.user1, &e.agent1}, {&e.user2, &e.agent2}} {
		u := s.Do(http.MethodPost, "/v1/users", admin, map[string]any{"email": strings.ToLower(name) + string(rune('1'+i)) + "@agents.test", "name": name + " agent " + string(rune('1'+i)), "availability": "away"})
		require.Equal(t, http.StatusCreated, u.Status, string(u.Body))
		*p[0] = u.Map(t)["id"].(string)
		tok := s.Do(http.MethodPost, "/v1/users/"+*p[0]+"/tokens", admin, nil)
		require.Equal(t, http.StatusCreated, tok.Status, string(tok.Body))
		*p[1] = tok.Map(t)["token"].(string)
	}
	e.inbound("first")
	e.ticket = waitTicket(t, s, admin, "")["id"].(string)
	return e
}

// inbound delivers a customer message on the account's chat channel.
func (e liveEnv) inbound(id string) {
	r := e.s.Do(http.MethodPost, "/v1/channels/"+e.channel+"/messages", e.admin,
		map[string]any{"external_id": id, "thread_id": "visitor-1", "text": "hello " + id, "from": map[string]any{"email": "customer@example.com"}})
	require.Equal(e.t, http.StatusAccepted, r.Status, string(r.Body))
}

// open connects a stream with the token (and Last-Event-ID when last is set) and returns its events after the first.
func (e liveEnv) open(ctx context.Context, token, last string) (<-chan testenv.SSEEvent, testenv.SSEEvent) {
	e.t.Helper()
	h := map[string]string{"Authorization": "Bearer " + token}
	if last != "" {
		h["Last-Event-ID"] = last
	}
	evs, status, _, err := testenv.OpenSSE(ctx, e.s.HTTP.URL+"/v1/events", h)
	require.NoError(e.t, err)
	require.Equal(e.t, http.StatusOK, status)
	return evs, nextEvent(e.t, evs, "")
}

// nextEvent returns the stream's next event of kind (any with ""), skipping presence and others.
func nextEvent(t *testing.T, evs <-chan testenv.SSEEvent, kind string) testenv.SSEEvent {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-evs:
			require.True(t, ok, "the stream ended before a %q event", kind)
			if kind == "" || ev.Event == kind {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %q event within 30 s", kind)
		}
	}
}

func data(t *testing.T, ev testenv.SSEEvent) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(ev.Data), &m), ev.Data)
	return m
}

// TestLiveEventsStreamCatchUpAndIsolation: an agent's stream carries ticket changes, messages, notes and their own
// notifications (assignment, customer answer) with growing ids; a reconnect with Last-Event-ID replays the same events;
// another account's stream and another agent's carry none of them; stream tickets stand in for EventSource.
func TestLiveEventsStreamCatchUpAndIsolation(t *testing.T) {
	s := testenv.NewStack(t)
	a := newLiveEnv(t, s, "Alpha")
	b := newLiveEnv(t, s, "Beta")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	evs, ready := a.open(ctx, a.agent1, "")
	require.Equal(t, "ready", ready.Event)
	bevs, _ := b.open(ctx, b.agent1, "")

	r := s.Do(http.MethodPatch, "/v1/tickets/"+a.ticket, a.admin, map[string]any{"priority": "high"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	first := nextEvent(t, evs, "ticket.changed")
	d := data(t, first)
	require.Equal(t, a.ticket, d["ticket_id"])
	require.Contains(t, d["data"].(map[string]any)["changed"], "priority")

	r = s.Do(http.MethodPatch, "/v1/tickets/"+a.ticket, a.admin, map[string]any{"assignee": map[string]any{"user_id": a.user1}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	assigned := nextEvent(t, evs, "notification")
	require.Equal(t, "assigned", data(t, assigned)["data"].(map[string]any)["kind"])

	a.inbound("second")
	msg := nextEvent(t, evs, "message.created")
	require.Equal(t, "inbound", data(t, msg)["data"].(map[string]any)["direction"])
	answered := nextEvent(t, evs, "notification")
	require.Equal(t, "customer_reply", data(t, answered)["data"].(map[string]any)["kind"])

	r = s.Do(http.MethodPost, "/v1/tickets/"+a.ticket+"/notes", a.agent2, map[string]any{"body": "looking"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	note := nextEvent(t, evs, "note.created")
	require.Equal(t, a.user2, data(t, note)["data"].(map[string]any)["author_user_id"])

	// Catch up: a stream resuming after the first change replays every later event, same ids, same order.
	var got []testenv.SSEEvent
	cctx, ccancel := context.WithCancel(ctx)
	replay, resumed := a.open(cctx, a.agent1, first.ID)
	require.Equal(t, "ready", resumed.Event)
	for ev := nextEvent(t, replay, ""); ; ev = nextEvent(t, replay, "") {
		got = append(got, ev)
		if ev.ID == note.ID {
			break
		}
	}
	ccancel()
	ids := map[string]bool{}
	prev, err := strconv.ParseInt(first.ID, 10, 64)
	require.NoError(t, err)
	for _, ev := range got {
		id, err := strconv.ParseInt(ev.ID, 10, 64)
		require.NoError(t, err, "an event id is a number")
		require.Greater(t, id, prev, "ids grow")
		prev, ids[ev.ID] = id, true
	}
	for _, want := range []testenv.SSEEvent{assigned, msg, answered, note} {
		require.True(t, ids[want.ID], "the replay has %s %s", want.Event, want.ID)
	}

	// Another agent of the account replays the account's events but not agent 1's notifications.
	cctx2, ccancel2 := context.WithCancel(ctx)
	defer ccancel2()
	other, _ := a.open(cctx2, a.agent2, "0")
	for ev := nextEvent(t, other, ""); ev.ID != note.ID; ev = nextEvent(t, other, "") {
		require.NotEqual(t, "notification", ev.Event, "agent 2 got agent 1's notification: %s", ev.Data)
	}

	// Account B's stream: its own change arrives, and nothing of account A came before it.
	r = s.Do(http.MethodPatch, "/v1/tickets/"+b.ticket, b.admin, map[string]any{"priority": "urgent"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	for {
		ev := nextEvent(t, bevs, "")
		require.NotContains(t, ev.Data, a.ticket, "account B's stream carries account A's ticket")
		if ev.Event == "ticket.changed" && strings.Contains(ev.Data, b.ticket) {
			break
		}
	}

	// A stream ticket opens the stream without a header; a forged or bad resume id does not.
	tk := s.Do(http.MethodPost, "/v1/events/tickets", a.agent1, nil)
	require.Equal(t, http.StatusCreated, tk.Status, string(tk.Body))
	tevs, status, _, err := testenv.OpenSSE(cctx2, s.HTTP.URL+"/v1/events?ticket="+tk.Map(t)["ticket"].(string), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ready", nextEvent(t, tevs, "").Event)
	_, status, _, err = testenv.OpenSSE(cctx2, s.HTTP.URL+"/v1/events?ticket=rdst_forged", nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, status)
	bad := rawDo(t, http.MethodGet, s.HTTP.URL+"/v1/events", map[string]string{"Authorization": "Bearer " + a.agent1, "Last-Event-ID": "x1"}, "")
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
	require.Contains(t, string(bad.Body), "Last-Event-ID")
	// An id the account does not keep (another account's) cannot be resumed from: the stream says reset.
	_, reset := a.open(cctx2, a.agent1, strings.TrimSpace(nextEventIDOf(t, b, ctx)))
	require.Equal(t, "reset", reset.Event)
}

// nextEventIDOf is the id of a fresh event of env's account.
func nextEventIDOf(t *testing.T, e liveEnv, ctx context.Context) string {
	t.Helper()
	c, cancel := context.WithCancel(ctx)
	defer cancel()
	evs, _ := e.open(c, e.admin, "")
	r := e.s.Do(http.MethodPatch, "/v1/tickets/"+e.ticket, e.admin, map[string]any{"priority": "low"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	return nextEvent(t, evs, "ticket.changed").ID
}

// TestLiveStreamCapsAndPresence: streams are capped per user and per server (429 with Retry-After, counted in
// /metrics), and a heartbeat of agent 1 on a ticket reaches agent 2's stream and GET presence (viewing, typing, left).
func TestLiveStreamCapsAndPresence(t *testing.T) {
	s := testenv.NewStack(t, testenv.WithServerConfig(func(c *server.Config) { c.LiveStreamsPerUser, c.LiveStreamsPerServer = 2, 3 }))
	a := newLiveEnv(t, s, "Alpha")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	watch, _ := a.open(ctx, a.agent2, "")
	beat := func(state string) {
		r := s.Do(http.MethodPost, "/v1/tickets/"+a.ticket+"/presence", a.agent1, map[string]any{"state": state})
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	}
	for _, state := range []string{"viewing", "typing"} {
		beat(state)
		ev := data(t, nextEvent(t, watch, "presence"))
		require.Equal(t, a.user1, ev["user_id"])
		require.Equal(t, state, ev["state"])
		require.Equal(t, a.ticket, ev["ticket_id"])
	}
	r := s.Do(http.MethodGet, "/v1/tickets/"+a.ticket+"/presence", a.agent2, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	items := r.Map(t)["items"].([]any)
	require.Len(t, items, 1)
	require.Equal(t, a.user1, items[0].(map[string]any)["user_id"])
	require.Equal(t, true, items[0].(map[string]any)["typing"])
	beat("left")
	require.Equal(t, "left", data(t, nextEvent(t, watch, "presence"))["state"])
	r = s.Do(http.MethodGet, "/v1/tickets/"+a.ticket+"/presence", a.agent2, nil)
	require.Empty(t, r.Map(t)["items"])
	bad := s.Do(http.MethodPost, "/v1/tickets/"+a.ticket+"/presence", a.agent1, map[string]any{"state": "dancing"})
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
	require.Contains(t, string(bad.Body), "state")

	// Caps: agent 1 may hold 2 streams (the third is refused), the server 3 (agent 2 holds one already).
	a.open(ctx, a.agent1, "")
	a.open(ctx, a.agent1, "")
	_, status, retry, err := testenv.OpenSSE(ctx, s.HTTP.URL+"/v1/events", map[string]string{"Authorization": "Bearer " + a.agent1})
	require.NoError(t, err)
	require.Equal(t, http.StatusTooManyRequests, status)
	require.Equal(t, "30", retry)
	_, status, _, err = testenv.OpenSSE(ctx, s.HTTP.URL+"/v1/events", map[string]string{"Authorization": "Bearer " + a.admin})
	require.NoError(t, err)
	require.Equal(t, http.StatusTooManyRequests, status, "the server's cap")
	m := s.Do(http.MethodGet, "/metrics", "", nil)
	require.Contains(t, string(m.Body), "routedesk_live_streams_open 3")
	require.Contains(t, string(m.Body), `routedesk_live_streams_refused_total{scope="server"} 1`)
	require.Contains(t, string(m.Body), `routedesk_live_streams_refused_total{scope="user"} 1`)
}
