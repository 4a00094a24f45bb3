package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// answerBound is how long a request may take before the tests below call it
// hung: generous for a loaded machine, far below the minutes a reply used to
// wait on an unreachable channel.
const answerBound = 30 * time.Second

// graphBound is how long a request that calls a hanging Graph API may take:
// above messenger.GraphCallTimeout, below the Graph client's own 20 s timeout
// that used to be the only bound.
const graphBound = 10 * time.Second

// doWithin sends a request that must be answered within answerBound.
func doWithin(t *testing.T, base, method, path, token string, body any) testenv.Response {
	t.Helper()
	return doBounded(t, answerBound, base, method, path, token, body)
}

// doBounded sends a request that must be answered within bound.
func doBounded(t *testing.T, bound time.Duration, base, method, path, token string, body any) testenv.Response {
	t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(method, base+path, bytes.NewReader(raw))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: bound}).Do(req)
	require.NoError(t, err, "%s %s was not answered within %s", method, path, bound)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: out}
}

// lastMessage is the newest message of a ticket.
func lastMessage(t *testing.T, s *testenv.Stack, token, ticketID string) map[string]any {
	msgs := s.Do(http.MethodGet, "/v1/tickets/"+ticketID+"/messages?limit=500", token, nil).Map(t)["items"].([]any)
	require.NotEmpty(t, msgs)
	return msgs[len(msgs)-1].(map[string]any)
}

// TestReplyOnUnreachableCustomChannelAnswersQueued: a custom channel whose
// outbound_url never answers used to hold the reply request for minutes. Now
// the reply is answered 201 "queued" within seconds while the send retries;
// a channel that refuses a reply answers 201 with the reply failed and the
// channel's reason, as the ticket's messages show it.
func TestReplyOnUnreachableCustomChannelAnswersQueued(t *testing.T) {
	d := newDesk(t)
	var refuse atomic.Bool
	released := make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refuse.Load() {
			http.Error(w, "no such conversation", http.StatusBadRequest)
			return
		}
		select { // never answers: a black-holed outbound_url
		case <-r.Context().Done():
		case <-released:
		}
	}))
	t.Cleanup(app.Close)
	t.Cleanup(func() { close(released) })

	r := d.s.Do(http.MethodPost, "/v1/channels", d.token, map[string]any{"type": "custom", "name": "Portal",
		"config": map[string]any{"app_name": "Portal", "outbound_url": app.URL + "/hook", "secret": "s"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	ch := r.Map(t)["id"].(string)
	d.message(ch, "c1", map[string]any{"email": "c1@x.test"})
	id := d.ticketOf(ch, "c1", "unassigned")["id"].(string)

	r = doWithin(t, d.s.HTTP.URL, http.MethodPost, "/v1/tickets/"+id+"/replies", d.token, map[string]any{"text": "Hello?"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	reply := r.Map(t)
	require.Equal(t, "queued", reply["status"], "the channel has not answered: the reply is queued")
	require.NotEmpty(t, reply["message_id"])
	out := lastMessage(t, d.s, d.token, id)
	require.Equal(t, reply["message_id"], out["id"])
	require.Equal(t, "queued", out["status"])

	refuse.Store(true)
	r = doWithin(t, d.s.HTTP.URL, http.MethodPost, "/v1/tickets/"+id+"/replies", d.token, map[string]any{"text": "Anyone?"})
	require.Equal(t, http.StatusCreated, r.Status, "a refusal is the reply's status, not a 502: %s", r.Body)
	require.Equal(t, "failed", r.Map(t)["status"])
	require.Equal(t, "Portal refused the reply: 400 Bad Request: no such conversation", r.Map(t)["failure_reason"])
	out = lastMessage(t, d.s, d.token, id)
	require.Equal(t, "failed", out["status"])
	require.Equal(t, "Portal refused the reply: 400 Bad Request: no such conversation", out["failure_reason"])
}

// TestCourtesyMessagesWithGraphDown: with the Graph API hanging, connecting a
// Messenger channel (page greeting) and a visitor's first message (consent
// prompt, instant reply) are answered promptly, the ticket is routed and its
// reply window opens; a reply answers "queued" and is sent once Graph is back.
func TestCourtesyMessagesWithGraphDown(t *testing.T) {
	d := newDesk(t)
	u := d.user("agent@acme.test", nil)
	d.s.Graph.Hang()
	config := map[string]any{"page_id": "333", "page_access_token": "tok-333", "app_secret": "app-secret",
		"greeting": "Hi! How can we help?", "instant_reply": "Thanks, an agent will answer soon.",
		"gdpr": map[string]any{"enabled": true, "consent": "implicit", "text": "By writing you agree to our privacy notice."}}
	r := doBounded(t, graphBound, d.s.HTTP.URL, http.MethodPost, "/v1/channels", d.token, map[string]any{"type": "messenger", "name": "FB", "config": config,
		"routing": map[string]any{"assign_to": "users_and_teams", "users": []string{u}}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	explicit := map[string]any{"page_id": "444", "page_access_token": "tok-444", "app_secret": "app-secret",
		"gdpr": map[string]any{"enabled": true, "consent": "explicit", "text": "May we store your messages?"}}
	r = doBounded(t, graphBound, d.s.HTTP.URL, http.MethodPost, "/v1/channels", d.token, map[string]any{"type": "messenger", "name": "FB2", "config": explicit})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))

	ask := messengerPayload(map[string][]string{"444": {"m.ask"}}) // the consent prompt goes to the hanging Graph
	resp := postWebhookWithin(t, d.s, ask)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	first := messengerPayload(map[string][]string{"333": {"m.first"}})
	resp = postWebhookWithin(t, d.s, first)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var ticket map[string]any
	testenv.Eventually(t, 15*time.Second, "the ticket to be routed and its window to open while Graph hangs", func() bool {
		for _, it := range d.s.Do(http.MethodGet, "/v1/tickets", d.token, nil).Map(t)["items"].([]any) {
			ticket = it.(map[string]any)
			return ticket["routing_state"] == "assigned" && ticket["reply_window"].(map[string]any)["state"] == "open"
		}
		return false
	})
	id := ticket["id"].(string)

	r = doWithin(t, d.s.HTTP.URL, http.MethodPost, "/v1/tickets/"+id+"/replies", d.token, map[string]any{"text": "We're here."})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, "queued", r.Map(t)["status"])
	queued := r.Map(t)["message_id"]

	d.s.Graph.Answer()
	testenv.Eventually(t, 40*time.Second, "the queued reply and the instant reply to be sent once Graph is back", func() bool {
		sent := map[string]bool{}
		for _, m := range d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/messages", d.token, nil).Map(t)["items"].([]any) {
			msg := m.(map[string]any)
			if msg["status"] == "sent" {
				sent[msg["text"].(string)] = true
				if msg["id"] == queued {
					sent["queued reply"] = true
				}
			}
		}
		return sent["queued reply"] && sent["Thanks, an agent will answer soon."]
	})
	r = doWithin(t, d.s.HTTP.URL, http.MethodPost, "/v1/tickets/"+id+"/replies", d.token, map[string]any{"text": "Sent at once."})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, "sent", r.Map(t)["status"], "a send done within the wait answers with its status")
	testenv.RecordHistory(t, d.s.Temporal, ticket["workflow_id"].(string), "conversation_messenger_courtesy_beside_bounded_reply")
}

// postWebhookWithin posts a signed Messenger delivery that must be answered within graphBound.
func postWebhookWithin(t *testing.T, s *testenv.Stack, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.HTTP.URL+"/webhooks/messenger", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", sign(body, "app-secret"))
	resp, err := (&http.Client{Timeout: graphBound}).Do(req)
	require.NoError(t, err, "the webhook was not answered within %s", graphBound)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp
}
