package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	"github.com/routedesk/routedesk/internal/testenv"
)

// mixedWorkload sends one conversation on every kind of channel — chat, email (raw
// mail with a Message-ID), Messenger, WhatsApp, a missed call, a form, a custom app —
// and a channel-less ticket routed by its own workflow that a reply moves to an email
// conversation. It returns every piece of personal data it sent, once all are ticketed.
func mixedWorkload(t *testing.T, s *testenv.Stack, token string) []string {
	t.Helper()
	var personal []string
	sent := func(p ...string) { personal = append(personal, p...) }

	chat := chatChannel(t, s, token)
	r := s.Do(http.MethodPost, "/v1/channels/"+chat+"/messages", token, map[string]any{"external_id": "w-1", "thread_id": "visitor-hopper",
		"subject": "Moth in relay seventy", "from": map[string]any{"email": "grace.hopper@navy.example", "name": "Grace Hopper"},
		"text": "There is a moth stuck in the panel."})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	sent("grace.hopper@navy.example", "Grace Hopper", "Moth in relay seventy", "moth stuck in the panel", "visitor-hopper")

	mail := createChannel(t, s, token, map[string]any{"type": "email", "name": "Support", "config": map[string]any{"address": "support@acme.test"}})
	raw := rawDo(t, http.MethodPost, s.HTTP.URL+"/v1/channels/"+mail+"/email",
		map[string]string{"Authorization": "Bearer " + token, "Content-Type": "message/rfc822"}, strings.ReplaceAll(`From: Edsger Dijkstra <edsger.dijkstra@eindhoven.example>
To: support@acme.test
Subject: Goto statement considered harmful
Message-ID: <ewd-215-considered@eindhoven.example>
MIME-Version: 1.0
Content-Type: text/plain

Please remove every jump from the invoice printer.
`, "\n", "\r\n"))
	require.Equal(t, http.StatusAccepted, raw.Status, string(raw.Body))
	sent("edsger.dijkstra@eindhoven.example", "Edsger Dijkstra", "Goto statement considered harmful", "ewd-215-considered",
		"remove every jump from the invoice printer")

	r = s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "messenger", "name": "Page", "config": map[string]any{
		"page_id": "8800771234", "page_access_token": "tok", "app_secret": "m-secret", "verify_token": "m-verify"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	body := messengerPayload(map[string][]string{"8800771234": {"m.private-1"}})
	require.Equal(t, http.StatusOK, postWebhook(t, s, "/webhooks/messenger", body, sign(body, "m-secret")).Status)
	sent("psid-8800771234")

	r = s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "whatsapp", "name": "WA", "config": map[string]any{
		"phone_number_id": "5550001", "access_token": "wa-token", "app_secret": "wa-secret", "verify_token": "wa-verify"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	wa := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{
	  "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"5550001"},
	  "contacts":[{"profile":{"name":"Kim Wexler"}, "wa_id":"46709876543"}],
	  "messages":[{"from":"46709876543","id":"wamid.private","timestamp":"%d","type":"text","text":{"body":"Where is my parcel from Albuquerque"}}]}}]}]}`,
		time.Now().Unix())
	require.Equal(t, http.StatusOK, postWebhook(t, s, "/webhooks/whatsapp", wa, sign(wa, "wa-secret")).Status)
	sent("46709876543", "Kim Wexler", "parcel from Albuquerque")

	line := createChannel(t, s, token, map[string]any{"type": "calling", "name": "Line", "config": map[string]any{"phone_number": "+46850001234"}})
	key := s.Do(http.MethodPost, "/v1/channels/"+line+"/keys", token, nil).Map(t)["key"].(string)
	r = s.Do(http.MethodPost, "/v1/channels/"+line+"/calls", key, map[string]any{"call_id": "call-private", "from_number": "+46701112233",
		"to_number": "+46850001234", "status": "missed"})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	sent("46701112233")

	form := formChannel(t, s, token, false)
	key = s.Do(http.MethodPost, "/v1/channels/"+form+"/keys", token, nil).Map(t)["key"].(string)
	r = s.Do(http.MethodPost, "/v1/channels/"+form+"/submissions", key, map[string]any{"external_id": "f-1", "fields": map[string]any{
		"email": "ada.byron@engine.example", "name": "Augusta Byron", "topic": "billing", "message": "The analytical engine overcharged me."}})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	sent("ada.byron@engine.example", "Augusta Byron", "analytical engine overcharged")

	custom := createChannel(t, s, token, map[string]any{"type": "custom", "name": "Bridge", "config": map[string]any{"app_name": "Bridge"}})
	r = s.Do(http.MethodPost, "/v1/channels/"+custom+"/messages", token, map[string]any{"external_id": "c-1", "thread_id": "apollo-thread-11",
		"from": map[string]any{"external_user_id": "crm-user-8842", "name": "Margaret Hamilton"}, "text": "The lunar module alarm 1202 again."})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	sent("crm-user-8842", "Margaret Hamilton", "lunar module alarm", "apollo-thread-11")

	user := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "agent@acme.test", "name": "Agent", "availability": "available", "capacity": 5})
	require.Equal(t, http.StatusCreated, user.Status, string(user.Body))
	r = s.Do(http.MethodPost, "/v1/tickets", token, map[string]any{"subject": "Liskov substitution broke checkout",
		"description": "Subtypes misbehave.", "contact": map[string]any{"email": "barbara.liskov@mit.example", "name": "Barbara Liskov"},
		"route": true, "routing": map[string]any{"assign_to": "users_and_teams", "users": []string{user.Map(t)["id"].(string)}}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	channelless := r.Map(t)["id"].(string)
	sent("barbara.liskov@mit.example", "Barbara Liskov", "Liskov substitution broke checkout", "Subtypes misbehave")
	testenv.Eventually(t, 20*time.Second, "the channel-less ticket routed", func() bool {
		return s.Do(http.MethodGet, "/v1/tickets/"+channelless, token, nil).Map(t)["routing_state"] == "assigned"
	})
	reply := s.Do(http.MethodPost, "/v1/tickets/"+channelless+"/replies", token, map[string]any{"text": "We reverted the subtype.", "channel_id": mail})
	// The channel has no SMTP relay: the reply itself is refused (201, failed), after its conversation opened.
	require.Equal(t, http.StatusCreated, reply.Status, string(reply.Body))
	require.Equal(t, "failed", reply.Map(t)["status"], string(reply.Body))

	testenv.Eventually(t, 30*time.Second, "a ticket on each of the 7 channels", func() bool { return countTickets(t, s) == 8 })
	return personal
}

// requireNothingPersonal fails when data holds any of personal (as sent, or lower-cased) in plain text.
func requireNothingPersonal(t *testing.T, what string, data []byte, personal []string) {
	t.Helper()
	for _, p := range personal {
		for _, form := range []string{p, strings.ToLower(p)} {
			require.False(t, bytes.Contains(data, []byte(form)), "%s holds %q in plain text", what, form)
		}
	}
}

// requireNoPersonalDataInTemporal reads every workflow's raw history and
// execution (read past the SDK's data converter), then the embedded server's
// SQLite files, and finds none of personal in any of them — neither in
// workflow ids, search attributes, memos, summaries nor payloads.
func requireNoPersonalDataInTemporal(t *testing.T, s *testenv.Stack, dbPath string, personal []string, mustHold string) {
	t.Helper()
	ctx := context.Background()
	list, err := s.Temporal.WorkflowService().ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: s.Server.Namespace(), PageSize: 1000})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(list.GetExecutions()), 9, "a workflow per conversation and the ticket's own")
	for _, ex := range list.GetExecutions() {
		id := ex.GetExecution().GetWorkflowId()
		info, err := proto.Marshal(ex)
		require.NoError(t, err)
		requireNothingPersonal(t, "the visibility record of "+id, info, personal)
		raw, err := proto.Marshal(rawHistory(t, s, id))
		require.NoError(t, err)
		requireNothingPersonal(t, "the history of "+id, raw, personal)
	}
	var files []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(dbPath + suffix)
		if suffix != "" && os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		files = append(files, b...)
	}
	require.True(t, bytes.Contains(files, []byte(mustHold)), "the SQLite files hold %q: the grep can find what is there", mustHold)
	requireNothingPersonal(t, "Temporal's SQLite files", files, personal)
}

// TestTemporalHoldsNoPersonalData: after a mixed workload on every channel type,
// nothing Temporal stores — workflow ids, visibility, histories, the database files —
// holds an email address, phone number, PSID, Message-ID, name, subject or text it sent.
func TestTemporalHoldsNoPersonalData(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "temporal.db")
	s := testenv.NewStack(t, testenv.WithTemporalFile(dbPath))
	_, token := s.Account("Acme", "professional")
	personal := mixedWorkload(t, s, token)
	tickets := s.Do(http.MethodGet, "/v1/tickets?limit=100", token, nil).Map(t)["items"].([]any)
	for _, it := range tickets {
		id := it.(map[string]any)["workflow_id"].(string)
		require.Regexp(t, `^conv:ch_[0-9A-Za-z]+:[0-9a-f]{32}$`, id, "a conversation's workflow id is its channel and a keyed hash")
	}
	requireNoPersonalDataInTemporal(t, s, dbPath, personal, tickets[0].(map[string]any)["id"].(string))
}
