package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

func chatChannel(t *testing.T, s *testenv.Stack, token string) string {
	t.Helper()
	r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{
		"type": "chat", "name": "Website chat",
		"config":          map[string]any{"accent_color": "#112233"},
		"ticket_defaults": map[string]any{"pipeline": "support", "status": "new", "properties": map[string]any{"source": "web"}},
	})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	return r.Map(t)["id"].(string)
}

func waitTicket(t *testing.T, s *testenv.Stack, token, query string) map[string]any {
	t.Helper()
	var ticket map[string]any
	testenv.Eventually(t, 15*time.Second, "a ticket", func() bool {
		r := s.Do(http.MethodGet, "/v1/tickets?"+query, token, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		items := r.Map(t)["items"].([]any)
		if len(items) == 0 {
			return false
		}
		ticket = items[0].(map[string]any)
		return ticket["routing_state"] == domain.RoutingUnassigned
	})
	return ticket
}

func TestInboundMessageBecomesTicket(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "starter")
	ch := chatChannel(t, s, token)

	msg := map[string]any{
		"external_id": "m-1", "thread_id": "visitor-42",
		"from":    map[string]any{"email": "Ada@Example.com", "name": "Ada Lovelace"},
		"subject": "", "text": "My order has not arrived\nOrder 1234, placed last week.",
	}
	r := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, msg)
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	first := r.Map(t)
	require.Equal(t, false, first["duplicate"])
	require.Equal(t, testenv.ConversationIDs(t).ID(ch, "t:visitor-42"), first["workflow_id"])

	ticket := waitTicket(t, s, token, "channel_id="+ch)
	require.Equal(t, "My order has not arrived", ticket["subject"])
	require.Equal(t, "My order has not arrived\nOrder 1234, placed last week.", ticket["description"])
	require.Equal(t, "support", ticket["pipeline"])
	require.Equal(t, "new", ticket["status"])
	require.Equal(t, map[string]any{"source": "web"}, ticket["properties"])
	require.Equal(t, "chat", ticket["channel_type"])
	require.Equal(t, first["conversation_id"], ticket["conversation_id"])
	require.Equal(t, first["workflow_id"], ticket["workflow_id"])
	require.NotEmpty(t, ticket["contact_id"])
	require.Equal(t, map[string]any{"user_id": nil, "team_id": nil}, ticket["assignee"])
	require.Equal(t, map[string]any{"state": "none", "open_until": nil, "human_agent_until": nil}, ticket["reply_window"])
	require.Equal(t, []any{}, ticket["required_skills"])
	for _, k := range []string{"id", "created_at"} {
		require.NotEmpty(t, ticket[k], k)
	}

	// GET /v1/tickets/{id} answers the same shape.
	one := s.Do(http.MethodGet, "/v1/tickets/"+ticket["id"].(string), token, nil)
	require.Equal(t, http.StatusOK, one.Status)
	require.Equal(t, ticket["id"], one.Map(t)["id"])

	// A second message on the thread joins the conversation; the same external id again is a duplicate.
	msg2 := map[string]any{"external_id": "m-2", "thread_id": "visitor-42", "from": map[string]any{"email": "ada@example.com"}, "text": "Any news?"}
	r = s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, msg2)
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	second := r.Map(t)
	require.Equal(t, first["workflow_id"], second["workflow_id"])
	require.Equal(t, first["conversation_id"], second["conversation_id"])

	r = s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, msg2)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	dup := r.Map(t)
	require.Equal(t, true, dup["duplicate"])
	require.Equal(t, second["message_id"], dup["message_id"])

	msgs := s.Do(http.MethodGet, "/v1/tickets/"+ticket["id"].(string)+"/messages", token, nil).Map(t)["items"].([]any)
	require.Len(t, msgs, 2)
	require.Equal(t, "My order has not arrived\nOrder 1234, placed last week.", msgs[0].(map[string]any)["text"])
	require.Equal(t, "inbound", msgs[1].(map[string]any)["direction"])
	require.Equal(t, "received", msgs[1].(map[string]any)["status"])

	tickets := s.Do(http.MethodGet, "/v1/tickets", token, nil).Map(t)["items"].([]any)
	require.Len(t, tickets, 1, "one conversation, one ticket")

	// The workflow holds both messages once, and ops can query it and find it by search attribute.
	ctx := context.Background()
	testenv.Eventually(t, 10*time.Second, "the workflow to see both messages", func() bool {
		v, err := s.Temporal.QueryWorkflow(ctx, first["workflow_id"].(string), "", workflows.QueryState)
		require.NoError(t, err)
		var st workflows.ConversationState
		require.NoError(t, v.Get(&st))
		return st.MessageCount == 2 && st.TicketID == ticket["id"]
	})
	testenv.Eventually(t, 15*time.Second, "the workflow in visibility", func() bool {
		resp, err := s.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf(`ChannelType = "chat" AND ChannelId = %q AND TicketId = %q AND RoutingState = "unassigned"`, ch, ticket["id"]),
		})
		require.NoError(t, err)
		return len(resp.Executions) == 1
	})
	testenv.RecordHistory(t, s.Temporal, first["workflow_id"].(string), "conversation_two_messages_and_duplicate")
	desc, err := s.Temporal.DescribeWorkflowExecution(ctx, first["workflow_id"].(string), "")
	require.NoError(t, err)
	memo := desc.WorkflowExecutionInfo.Memo.Fields[workflows.MemoChannelName]
	require.NotNil(t, memo)
	require.NotContains(t, string(memo.Data), "Website chat", "the memo is stored encrypted")
	var channelName string
	require.NoError(t, s.Codec.DataConverter().FromPayload(memo, &channelName))
	require.Equal(t, "Website chat", channelName)
}

func TestSameSenderWithoutThreadIDJoinsOneConversation(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "starter")
	ch := chatChannel(t, s, token)
	var wf []string
	for i := range 2 {
		r := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{
			"external_id": fmt.Sprintf("v-%d", i), "from": map[string]any{"external_user_id": "visitor-7"}, "text": "hello",
		})
		require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
		wf = append(wf, r.Map(t)["workflow_id"].(string))
	}
	require.Equal(t, wf[0], wf[1])
	waitTicket(t, s, token, "channel_id="+ch)
}

func TestTemporalDownMessageIsKeptAndRedriven(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "starter")
	ch := chatChannel(t, s, token)

	// An API whose Temporal is unreachable still accepts and stores the message.
	dead, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	defer dead.Close()
	down := server.New(s.Store, dead, server.Config{ConversationIDs: testenv.ConversationIDs(t), TaskQueue: workflows.DefaultTaskQueue}, quietLog(), nil, nil)
	hs := httptestServer(t, down)
	r := testenv.Do(t, hs, http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{
		"external_id": "down-1", "thread_id": "x", "from": map[string]any{"email": "bob@example.com"}, "text": "anyone there?",
	})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	pending, err := s.Store.UndeliveredMessages(context.Background(), 0, 10)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	require.Empty(t, s.Do(http.MethodGet, "/v1/tickets", token, nil).Map(t)["items"])

	// Once Temporal is back, the redrive loop delivers it and the ticket appears.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.API.Redrive(ctx, 100*time.Millisecond, 0)
	waitTicket(t, s, token, "channel_id="+ch)
	pending, err = s.Store.UndeliveredMessages(context.Background(), 0, 10)
	require.NoError(t, err)
	require.Empty(t, pending)
}

func TestConcurrentDuplicateDeliveriesStoreOneMessage(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "starter")
	ch := chatChannel(t, s, token)
	const n = 8
	statuses := make(chan int, n)
	for range n {
		go func() {
			r := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{
				"external_id": "same", "thread_id": "t", "from": map[string]any{"email": "c@example.com"}, "text": "hi",
			})
			statuses <- r.Status
		}()
	}
	accepted := 0
	for range n {
		switch st := <-statuses; st {
		case http.StatusAccepted:
			accepted++
		case http.StatusOK:
		default:
			t.Fatalf("unexpected status %d", st)
		}
	}
	require.Equal(t, 1, accepted, "exactly one delivery is new")
	ticket := waitTicket(t, s, token, "channel_id="+ch)
	msgs := s.Do(http.MethodGet, "/v1/tickets/"+ticket["id"].(string)+"/messages", token, nil).Map(t)["items"].([]any)
	require.Len(t, msgs, 1)
}

func TestProblemsForBadInput(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "starter")
	_, other := s.Account("Other", "starter")
	ch := chatChannel(t, s, token)
	otherCh := chatChannel(t, s, other)

	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		field                     string
	}{
		{"missing token", http.MethodGet, "/v1/tickets", "", nil, 401, ""},
		{"bad token", http.MethodGet, "/v1/tickets", "rdk_nope", nil, 401, ""},
		{"malformed JSON", http.MethodPost, "/v1/channels/" + ch + "/messages", token, `{"external_id": "x",`, 422, "body"},
		{"not an object", http.MethodPost, "/v1/channels/" + ch + "/messages", token, `[1,2]`, 422, "body"},
		{"empty body", http.MethodPost, "/v1/channels/" + ch + "/messages", token, ``, 422, "body"},
		{"unknown field", http.MethodPost, "/v1/channels/" + ch + "/messages", token, `{"external_id":"x","text":"a","colour":"red"}`, 422, "colour"},
		{"wrong type", http.MethodPost, "/v1/channels/" + ch + "/messages", token, `{"external_id":5,"text":"a"}`, 422, "external_id"},
		{"nested wrong type", http.MethodPost, "/v1/channels/" + ch + "/messages", token, `{"external_id":"x","text":"a","from":{"email":7}}`, 422, "from.email"},
		{"missing external id", http.MethodPost, "/v1/channels/" + ch + "/messages", token, `{"text":"a"}`, 422, "external_id"},
		{"bad email", http.MethodPost, "/v1/channels/" + ch + "/messages", token, `{"external_id":"x","text":"a","from":{"email":"nope"}}`, 422, "from.email"},
		{"NUL in text", http.MethodPost, "/v1/channels/" + ch + "/messages", token, `{"external_id":"x","text":"a\u0000b"}`, 422, "text"},
		{"no text", http.MethodPost, "/v1/channels/" + ch + "/messages", token, `{"external_id":"x"}`, 422, "text"},
		{"unknown channel", http.MethodPost, "/v1/channels/ch_nope/messages", token, `{"external_id":"x","text":"a"}`, 404, ""},
		{"other account's channel", http.MethodPost, "/v1/channels/" + otherCh + "/messages", token, `{"external_id":"x","text":"a"}`, 404, ""},
		{"other account's channel read", http.MethodGet, "/v1/channels/" + otherCh, token, nil, 404, ""},
		{"unknown ticket", http.MethodGet, "/v1/tickets/tkt_nope", token, nil, 404, ""},
		{"bad limit", http.MethodGet, "/v1/tickets?limit=0", token, nil, 422, "limit"},
		{"bad cursor", http.MethodGet, "/v1/tickets?cursor=%25%25", token, nil, 422, "cursor"},
		{"bad routing state", http.MethodGet, "/v1/tickets?routing_state=lost", token, nil, 422, "routing_state"},
		{"unknown route", http.MethodGet, "/v1/nothing", token, nil, 404, ""},
		{"wrong method", http.MethodPut, "/v1/tickets", token, nil, 405, ""},
		{"bad channel type", http.MethodPost, "/v1/channels", token, `{"type":"fax","name":"x"}`, 422, "type"},
		{"account without bootstrap token", http.MethodPost, "/v1/accounts", token, `{"name":"x","tier":"starter"}`, 401, ""},
		{"account with bad tier", http.MethodPost, "/v1/accounts", testenv.BootstrapToken, `{"name":"x","tier":"gold"}`, 422, "tier"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(tc.method, tc.path, tc.token, tc.body)
			require.Equal(t, tc.status, r.Status, string(r.Body))
			require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
			p := r.Map(t)
			require.EqualValues(t, tc.status, p["status"])
			require.NotEmpty(t, p["title"])
			require.NotEmpty(t, p["type"])
			if tc.status == 401 {
				require.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer")
			}
			if tc.field != "" {
				errs, _ := p["errors"].([]any)
				require.NotEmpty(t, errs, string(r.Body))
				var fields []string
				for _, e := range errs {
					fields = append(fields, e.(map[string]any)["field"].(string))
					require.NotEmpty(t, e.(map[string]any)["message"])
				}
				require.Contains(t, fields, tc.field, string(r.Body))
			}
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	s := testenv.NewStack(t) // 64 KiB limit
	_, token := s.Account("Acme", "starter")
	ch := chatChannel(t, s, token)
	big := fmt.Sprintf(`{"external_id":"x","text":%q}`, strings.Repeat("a", 100<<10))
	r := s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, big)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status, string(r.Body))
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
}

func TestAgentTokenCannotChangeChannels(t *testing.T) {
	s := testenv.NewStack(t)
	accID, token := s.Account("Acme", "starter")
	_, err := s.Store.DB().Exec(`INSERT INTO users (id, account_id, email, name) VALUES ('usr_1', $1, 'agent@acme.test', 'Agent')`, accID)
	require.NoError(t, err)
	agent, err := s.Store.CreateUserToken(context.Background(), accID, "usr_1", "agent")
	require.NoError(t, err)
	ch := chatChannel(t, s, token)
	require.Equal(t, http.StatusOK, s.Do(http.MethodGet, "/v1/channels/"+ch, agent, nil).Status)
	r := s.Do(http.MethodPost, "/v1/channels", agent, map[string]any{"type": "chat", "name": "x"})
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Equal(t, http.StatusForbidden, s.Do(http.MethodDelete, "/v1/channels/"+ch, agent, nil).Status)
}

func TestHealthReadyMetrics(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "starter")
	ch := chatChannel(t, s, token)
	require.Equal(t, http.StatusAccepted, s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token,
		map[string]any{"external_id": "1", "text": "hi", "from": map[string]any{"email": "a@b.se"}}).Status)
	waitTicket(t, s, token, "")

	require.Equal(t, http.StatusOK, s.Do(http.MethodGet, "/healthz", "", nil).Status)
	ready := s.Do(http.MethodGet, "/readyz", "", nil)
	require.Equal(t, http.StatusOK, ready.Status, string(ready.Body))
	require.Equal(t, map[string]any{"postgres": "ok", "temporal": "ok"}, ready.Map(t)["checks"])

	m := s.Do(http.MethodGet, "/metrics", "", nil)
	require.Equal(t, http.StatusOK, m.Status)
	body := string(m.Body)
	require.Contains(t, body, `routedesk_http_requests_total{method="POST",route="/v1/channels/:id/messages",status="202"} 1`)
	require.Contains(t, body, "temporal_request", "the Temporal SDK's client metrics are exported")
	require.Contains(t, body, `temporal_local_activity_execution_latency_seconds_count{activity_type="OpenConversation"`, "the worker's activity metrics are exported (the opening is a local activity)")
	require.Contains(t, body, "go_goroutines")
}

func TestReadyzFailsWhenTemporalIsDown(t *testing.T) {
	st := testenv.Store(t)
	dead, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	defer dead.Close()
	hs := httptestServer(t, server.New(st, dead, server.Config{ConversationIDs: testenv.ConversationIDs(t)}, quietLog(), nil, nil))
	r := testenv.Do(t, hs, http.MethodGet, "/readyz", "", nil)
	require.Equal(t, http.StatusServiceUnavailable, r.Status)
	checks := r.Map(t)["checks"].(map[string]any)
	require.Equal(t, "ok", checks["postgres"])
	require.NotEqual(t, "ok", checks["temporal"])
}

func TestStoreUndeliveredIgnoresDeliveredMessages(t *testing.T) {
	st := testenv.Store(t)
	ctx := context.Background()
	acc, _, err := st.CreateAccount(ctx, "A", "starter", false)
	require.NoError(t, err)
	ch, err := st.CreateChannel(ctx, acc.ID, store.ChannelWrite{Type: "chat", Name: "c", Redacted: []byte(`{}`), Full: []byte(`{}`)})
	require.NoError(t, err)
	a, err := st.AcceptInbound(ctx, store.Inbound{AccountID: acc.ID, ChannelID: ch.ID, ThreadKey: "t", ExternalID: "1", Text: "x", SentAt: time.Now()}, testenv.ConversationIDs(t).ID)
	require.NoError(t, err)
	require.NoError(t, st.MarkDelivered(ctx, a.MessageID))
	pending, err := st.UndeliveredMessages(ctx, 0, 10)
	require.NoError(t, err)
	require.Empty(t, pending)
}
