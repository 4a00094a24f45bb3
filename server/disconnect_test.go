package server_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

func postChatMessage(s *testenv.Stack, ch, token, id string) testenv.Response {
	return s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{
		"external_id": id, "thread_id": "visitor-" + id, "from": map[string]any{"email": id + "@x.test"}, "text": "hello " + id,
	})
}

// TestDeleteDisconnectsAChannelWithHistory is issue #9's defect 6: DELETE of
// a channel with tickets disconnects it; its tickets, messages and rules stay
// readable, its inbound route answers 410, replies 409, and PATCH reconnects it.
func TestDeleteDisconnectsAChannelWithHistory(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	ch := chatChannel(t, s, token)
	rule := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{"name": "VIP", "kind": "property", "channel_id": ch,
		"when": `message.text contains "hello"`, "set": map[string]any{"priority": "high"}})
	require.Equal(t, http.StatusCreated, rule.Status, string(rule.Body))
	ruleID := rule.Map(t)["id"].(string)
	require.Equal(t, http.StatusAccepted, postChatMessage(s, ch, token, "m1").Status)
	ticket := waitTicket(t, s, token, "channel_id="+ch)
	tid := ticket["id"].(string)

	require.Equal(t, http.StatusNoContent, s.Do(http.MethodDelete, "/v1/channels/"+ch, token, nil).Status)
	got := s.Do(http.MethodGet, "/v1/channels/"+ch, token, nil)
	require.Equal(t, http.StatusOK, got.Status, "a channel with tickets is disconnected, not deleted")
	require.Equal(t, "disconnected", got.Map(t)["status"])
	require.NotNil(t, got.Map(t)["disconnected_at"])

	// Its inbound route answers 410 problem+json and stores nothing.
	before := countMessages(t, s)
	r := postChatMessage(s, ch, token, "m2")
	require.Equal(t, http.StatusGone, r.Status, string(r.Body))
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	require.Equal(t, "https://routedesk.dev/problems/gone", r.Map(t)["type"])
	require.Equal(t, before, countMessages(t, s))

	// History stays readable: the ticket, its messages, the channel's rule.
	require.Equal(t, http.StatusOK, s.Do(http.MethodGet, "/v1/tickets/"+tid, token, nil).Status)
	msgs := s.Do(http.MethodGet, "/v1/tickets/"+tid+"/messages", token, nil)
	require.Equal(t, http.StatusOK, msgs.Status)
	require.Len(t, msgs.Map(t)["items"].([]any), 1)
	require.Equal(t, http.StatusOK, s.Do(http.MethodGet, "/v1/rules/"+ruleID, token, nil).Status)
	listed := s.Do(http.MethodGet, "/v1/tickets?channel_id="+ch, token, nil).Map(t)["items"].([]any)
	require.Len(t, listed, 1)

	// Nothing goes out on it: a reply is a conflict.
	r = s.Do(http.MethodPost, "/v1/tickets/"+tid+"/replies", token, map[string]any{"text": "hi"})
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	require.Contains(t, r.Map(t)["detail"], "disconnected")

	// A second DELETE changes nothing; PATCH checks the status and reconnects.
	require.Equal(t, http.StatusNoContent, s.Do(http.MethodDelete, "/v1/channels/"+ch, token, nil).Status)
	bad := s.Do(http.MethodPatch, "/v1/channels/"+ch, token, map[string]any{"status": "paused"})
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
	require.Contains(t, fieldErrors(t, bad), "status")
	p := s.Do(http.MethodPatch, "/v1/channels/"+ch, token, map[string]any{"status": "connected"})
	require.Equal(t, http.StatusOK, p.Status, string(p.Body))
	require.Equal(t, "connected", p.Map(t)["status"])
	require.Nil(t, p.Map(t)["disconnected_at"])
	require.Equal(t, http.StatusAccepted, postChatMessage(s, ch, token, "m3").Status)
	r = s.Do(http.MethodPost, "/v1/tickets/"+tid+"/replies", token, map[string]any{"text": "back again"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))

	// PATCH disconnects too, together with other changes.
	p = s.Do(http.MethodPatch, "/v1/channels/"+ch, token, map[string]any{"status": "disconnected", "name": "Old chat"})
	require.Equal(t, http.StatusOK, p.Status, string(p.Body))
	require.Equal(t, "disconnected", p.Map(t)["status"])
	require.Equal(t, "Old chat", p.Map(t)["name"])
	require.Equal(t, http.StatusGone, postChatMessage(s, ch, token, "m4").Status)
}

// TestDeleteRemovesAChannelWithoutHistory: a channel nothing ever came in on
// is deleted for good, with its rules.
func TestDeleteRemovesAChannelWithoutHistory(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	ch := chatChannel(t, s, token)
	rule := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{"name": "R", "kind": "property", "channel_id": ch,
		"when": "true", "set": map[string]any{"priority": "high"}}).Map(t)["id"].(string)
	require.Equal(t, http.StatusNoContent, s.Do(http.MethodDelete, "/v1/channels/"+ch, token, nil).Status)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, "/v1/channels/"+ch, token, nil).Status)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, "/v1/rules/"+rule, token, nil).Status)
	require.Equal(t, http.StatusNotFound, postChatMessage(s, ch, token, "m1").Status)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodDelete, "/v1/channels/"+ch, token, nil).Status)
}

// TestDisconnectedMetaChannelsAcknowledgeAndStoreNothing: webhook deliveries
// for a disconnected channel's page or number are acknowledged (200) and not
// stored; the page is free for another account, and reconnecting the old
// channel then is a 409.
func TestDisconnectedMetaChannelsAcknowledgeAndStoreNothing(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	_, other := s.Account("B", "professional")
	page := func(secret string) map[string]any {
		return map[string]any{"type": "messenger", "name": "Page", "config": map[string]any{
			"page_id": "777", "page_access_token": "tok", "app_secret": secret, "verify_token": "verify-" + secret}}
	}
	r := s.Do(http.MethodPost, "/v1/channels", token, page("secret-a"))
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	messenger := r.Map(t)["id"].(string)
	body := messengerPayload(map[string][]string{"777": {"m.1"}})
	require.Equal(t, http.StatusOK, postWebhook(t, s, "/webhooks/messenger", body, sign(body, "secret-a")).Status)
	waitTicket(t, s, token, "channel_id="+messenger)

	r = s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "whatsapp", "name": "WA", "config": map[string]any{
		"phone_number_id": "555000", "access_token": "wa-token", "app_secret": "wa-secret", "verify_token": "wa-verify"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	whatsapp := r.Map(t)["id"].(string)
	wa := func(wamid string) string {
		return fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{
		  "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"555000"},
		  "contacts":[{"profile":{"name":"Kim"},"wa_id":"46701234567"}],
		  "messages":[{"from":"46701234567","id":%q,"timestamp":"%d","type":"text","text":{"body":"Hello"}}]}}]}]}`, wamid, time.Now().Unix())
	}
	require.Equal(t, http.StatusOK, postWebhook(t, s, "/webhooks/whatsapp", wa("wamid.1"), sign(wa("wamid.1"), "wa-secret")).Status)
	waitTicket(t, s, token, "channel_id="+whatsapp)

	for _, ch := range []string{messenger, whatsapp} {
		require.Equal(t, http.StatusNoContent, s.Do(http.MethodDelete, "/v1/channels/"+ch, token, nil).Status)
		require.Equal(t, "disconnected", s.Do(http.MethodGet, "/v1/channels/"+ch, token, nil).Map(t)["status"])
	}
	before := countMessages(t, s)
	body = messengerPayload(map[string][]string{"777": {"m.2"}})
	r = postWebhook(t, s, "/webhooks/messenger", body, sign(body, "secret-a"))
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.EqualValues(t, 0, r.Map(t)["received"])
	r = postWebhook(t, s, "/webhooks/whatsapp", wa("wamid.2"), sign(wa("wamid.2"), "wa-secret"))
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.EqualValues(t, 0, r.Map(t)["received"])
	require.Equal(t, before, countMessages(t, s), "nothing of a disconnected channel is stored")
	hs := testenv.Do(t, s.HTTP.URL, http.MethodGet, "/webhooks/messenger?hub.mode=subscribe&hub.verify_token=verify-secret-a&hub.challenge=c1", "", nil)
	require.Equal(t, http.StatusForbidden, hs.Status, "a disconnected channel's verify token no longer subscribes")

	// The page is free: another account connects it and gets its traffic.
	r = s.Do(http.MethodPost, "/v1/channels", other, page("secret-b"))
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	taken := r.Map(t)["id"].(string)
	body = messengerPayload(map[string][]string{"777": {"m.3"}})
	r = postWebhook(t, s, "/webhooks/messenger", body, sign(body, "secret-b"))
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.EqualValues(t, 1, r.Map(t)["received"])
	waitTicket(t, s, other, "channel_id="+taken)

	// Reconnecting the old channel now conflicts; the number, still free, reconnects.
	r = s.Do(http.MethodPatch, "/v1/channels/"+messenger, token, map[string]any{"status": "connected"})
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	r = s.Do(http.MethodPatch, "/v1/channels/"+whatsapp, token, map[string]any{"status": "connected"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	r = postWebhook(t, s, "/webhooks/whatsapp", wa("wamid.3"), sign(wa("wamid.3"), "wa-secret"))
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.EqualValues(t, 1, r.Map(t)["received"])
}

// TestDeletingUserOrTeamKeepsTickets: a deleted agent's tickets stay with
// their history; they lose the assignee (an assigned ticket becomes
// unassigned) and the messages the agent wrote keep their user id.
func TestDeletingUserOrTeamKeepsTickets(t *testing.T) {
	d := newDesk(t)
	u := d.user("leaver@acme.test", nil)
	team := d.s.Do(http.MethodPost, "/v1/teams", d.token, map[string]any{"name": "Leavers", "members": []string{u}}).Map(t)["id"].(string)
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{u}, "timeout_seconds": 600})
	d.message(ch, "a", map[string]any{"email": "a@x.test"})
	tk := d.ticketOf(ch, "a", "assigned")
	id := tk["id"].(string)
	agentTok := d.s.Do(http.MethodPost, "/v1/users/"+u+"/tokens", d.token, nil).Map(t)["token"].(string)
	r := d.s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", agentTok, map[string]any{"text": "On it."})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	r = d.s.Do(http.MethodPatch, "/v1/tickets/"+id, d.token, map[string]any{"assignee": map[string]any{"user_id": u, "team_id": team}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))

	r = d.s.Do(http.MethodPatch, "/v1/channels/"+ch, d.token, map[string]any{"routing": map[string]any{"assign_to": "none", "users": []string{}}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, http.StatusNoContent, d.s.Do(http.MethodDelete, "/v1/users/"+u, d.token, nil).Status)
	require.Equal(t, http.StatusNoContent, d.s.Do(http.MethodDelete, "/v1/teams/"+team, d.token, nil).Status)

	got := d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil)
	require.Equal(t, http.StatusOK, got.Status)
	tk = got.Map(t)
	require.Nil(t, assignee(tk))
	require.Nil(t, tk["assignee"].(map[string]any)["team_id"])
	require.Equal(t, "unassigned", tk["routing_state"], "a ticket without an agent is not 'assigned'")
	msgs := d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/messages", d.token, nil).Map(t)["items"].([]any)
	require.Len(t, msgs, 2)
	require.Equal(t, u, msgs[1].(map[string]any)["author"].(map[string]any)["user_id"], "the reply keeps its author's id")
	var removed []string
	require.NoError(t, d.s.Store.DB().Select(&removed, `SELECT data::text FROM ticket_events WHERE ticket_id = $1 AND kind = 'AssigneeRemoved' ORDER BY id`, id))
	require.Len(t, removed, 2)
	require.Contains(t, removed[0], u)
	require.Contains(t, removed[1], team)
}
