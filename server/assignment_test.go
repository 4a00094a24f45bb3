package server_test

import (
	"context"
	"fmt"
	"go.temporal.io/api/workflowservice/v1"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/workflows"
)

type desk struct {
	t     *testing.T
	s     *testenv.Stack
	token string
}

func newDesk(t *testing.T) desk {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "enterprise")
	return desk{t: t, s: s, token: token}
}

func (d desk) user(email string, fields map[string]any) string {
	body := map[string]any{"email": email, "name": email, "availability": "available", "capacity": 5}
	for k, v := range fields {
		body[k] = v
	}
	r := d.s.Do(http.MethodPost, "/v1/users", d.token, body)
	require.Equal(d.t, http.StatusCreated, r.Status, string(r.Body))
	return r.Map(d.t)["id"].(string)
}

func (d desk) channel(routing map[string]any) string {
	r := d.s.Do(http.MethodPost, "/v1/channels", d.token, map[string]any{"type": "chat", "name": "Chat", "routing": routing})
	require.Equal(d.t, http.StatusCreated, r.Status, string(r.Body))
	return r.Map(d.t)["id"].(string)
}

func (d desk) message(ch, thread string, from map[string]any) {
	r := d.s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", d.token, map[string]any{
		"external_id": thread + "-" + fmt.Sprint(time.Now().UnixNano()), "thread_id": thread, "from": from, "text": "help please",
	})
	require.Contains(d.t, []int{http.StatusAccepted, http.StatusOK}, r.Status, string(r.Body))
}

// ticketOf waits until the thread's ticket reaches a routing state other than "routing".
func (d desk) ticketOf(ch, thread string, want string) map[string]any {
	var found map[string]any
	testenv.Eventually(d.t, 20*time.Second, thread+" to be "+want, func() bool {
		for _, it := range d.s.Do(http.MethodGet, "/v1/tickets?channel_id="+ch+"&limit=500", d.token, nil).Map(d.t)["items"].([]any) {
			tk := it.(map[string]any)
			if tk["workflow_id"] == testenv.ConversationIDs(d.t).ID(ch, "t:"+thread) {
				found = tk
				return tk["routing_state"] == want
			}
		}
		return false
	})
	return found
}

func assignee(tk map[string]any) any { return tk["assignee"].(map[string]any)["user_id"] }

func TestUsersAndTeamsPicksLeastLoadedAndWaits(t *testing.T) {
	d := newDesk(t)
	u1 := d.user("one@acme.test", map[string]any{"capacity": 1})
	u2 := d.user("two@acme.test", map[string]any{"capacity": 1})
	team := d.s.Do(http.MethodPost, "/v1/teams", d.token, map[string]any{"name": "T", "members": []string{u2}}).Map(t)["id"].(string)
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{u1}, "teams": []string{team}, "timeout_seconds": 600})

	d.message(ch, "a", map[string]any{"email": "a@x.test"})
	first := d.ticketOf(ch, "a", "assigned")
	d.message(ch, "b", map[string]any{"email": "b@x.test"})
	second := d.ticketOf(ch, "b", "assigned")
	require.NotEqual(t, assignee(first), assignee(second), "load spreads over both agents")
	require.ElementsMatch(t, []any{u1, u2}, []any{assignee(first), assignee(second)})

	d.message(ch, "c", map[string]any{"email": "c@x.test"})
	third := d.ticketOf(ch, "c", "waiting_for_agent")
	require.Nil(t, assignee(third))

	// Closing a ticket frees its agent, who gets the waiting ticket at once.
	r := d.s.Do(http.MethodPatch, "/v1/tickets/"+first["id"].(string), d.token, map[string]any{"status": "closed"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, "closed", r.Map(t)["status"])
	third = d.ticketOf(ch, "c", "assigned")
	require.Equal(t, assignee(first), assignee(third))

	// The workflow knows too: its query and search attributes follow.
	v, err := d.s.Temporal.QueryWorkflow(context.Background(), third["workflow_id"].(string), "", "state")
	require.NoError(t, err)
	var st map[string]any
	require.NoError(t, v.Get(&st))
	require.Equal(t, "assigned", st["routing_state"])
	require.Equal(t, assignee(first), st["assignee_id"])
	testenv.RecordHistory(t, d.s.Temporal, third["workflow_id"].(string), "conversation_opened_at_once_waits_then_dispatched")
	testenv.RecordHistory(t, d.s.Temporal, first["workflow_id"].(string), "conversation_opened_at_once_assigned_then_closed")
}

func TestOnlyAvailableAgentsAndWakeUpOnAvailability(t *testing.T) {
	d := newDesk(t)
	away := d.user("away@acme.test", map[string]any{"availability": "away"})
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{away}, "timeout_seconds": 600})
	d.message(ch, "w", map[string]any{"email": "w@x.test"})
	d.ticketOf(ch, "w", "waiting_for_agent")

	r := d.s.Do(http.MethodPut, "/v1/users/"+away+"/availability", d.token, map[string]any{"availability": "available"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	tk := d.ticketOf(ch, "w", "assigned")
	require.Equal(t, away, assignee(tk))

	// With only_available false, an offline agent with room is picked.
	off := d.user("off@acme.test", map[string]any{"availability": "offline"})
	ch2 := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{off}, "only_available": false})
	d.message(ch2, "o", map[string]any{"email": "o@x.test"})
	require.Equal(t, off, assignee(d.ticketOf(ch2, "o", "assigned")))
}

func TestSkillsAndContactOwner(t *testing.T) {
	d := newDesk(t)
	plain := d.user("plain@acme.test", nil)
	swede := d.user("swede@acme.test", map[string]any{"skills": []string{"swedish"}})
	r := d.s.Do(http.MethodPost, "/v1/rules", d.token, map[string]any{"name": "sv", "kind": "skill", "when": `domain(message.from) endsWith ".se"`, "require_skills": []string{"swedish"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{plain, swede}})
	d.message(ch, "sv", map[string]any{"email": "kund@foretag.se"})
	require.Equal(t, swede, assignee(d.ticketOf(ch, "sv", "assigned")))

	owner := d.user("owner@acme.test", map[string]any{"availability": "away"})
	c := d.s.Do(http.MethodPost, "/v1/contacts", d.token, map[string]any{"email": "vip@client.test", "owner_user_id": owner})
	require.Equal(t, http.StatusCreated, c.Status, string(c.Body))
	och := d.channel(map[string]any{"assign_to": "contact_owner"})
	d.message(och, "vip", map[string]any{"email": "VIP@client.test"})
	d.ticketOf(och, "vip", "waiting_for_agent")
	testenv.Eventually(t, 20*time.Second, "the owner to be emailed", func() bool {
		for _, m := range d.s.Mail.Received() {
			if len(m.To) == 1 && m.To[0] == "owner@acme.test" && strings.Contains(m.Data, "New ticket from your contact") {
				return true
			}
		}
		return false
	})
	require.Equal(t, http.StatusOK, d.s.Do(http.MethodPut, "/v1/users/"+owner+"/availability", d.token, map[string]any{"availability": "available"}).Status)
	require.Equal(t, owner, assignee(d.ticketOf(och, "vip", "assigned")))

	d.message(och, "stranger", map[string]any{"email": "nobody@client.test"})
	d.ticketOf(och, "stranger", "unassigned") // no owner: stays in the queue
}

func TestRepliesManualAssignmentAndFollowUps(t *testing.T) {
	d := newDesk(t)
	u1 := d.user("one@acme.test", nil)
	u2 := d.user("two@acme.test", nil)
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{u1}})
	d.message(ch, "r", map[string]any{"email": "r@x.test"})
	tk := d.ticketOf(ch, "r", "assigned")
	id := tk["id"].(string)

	agentTok := d.s.Do(http.MethodPost, "/v1/users/"+u1+"/tokens", d.token, nil).Map(t)["token"].(string)
	r := d.s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", agentTok, map[string]any{"text": "We're on it."})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	reply := r.Map(t)
	require.NotEmpty(t, reply["message_id"])
	require.Equal(t, "", reply["tag"])
	msgs := d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/messages", agentTok, nil).Map(t)["items"].([]any)
	require.Len(t, msgs, 2)
	out := msgs[1].(map[string]any)
	require.Equal(t, "outbound", out["direction"])
	require.Equal(t, "sent", out["status"])
	require.Equal(t, u1, out["author"].(map[string]any)["user_id"])
	require.Equal(t, http.StatusUnprocessableEntity, d.s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", agentTok, map[string]any{"text": " "}).Status)

	// Manual assignment bypasses availability but not account membership.
	require.Equal(t, http.StatusOK, d.s.Do(http.MethodPut, "/v1/users/"+u2+"/availability", d.token, map[string]any{"availability": "offline"}).Status)
	r = d.s.Do(http.MethodPatch, "/v1/tickets/"+id, d.token, map[string]any{"assignee": map[string]any{"user_id": u2}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, u2, assignee(r.Map(t)))
	r = d.s.Do(http.MethodPatch, "/v1/tickets/"+id, d.token, map[string]any{"assignee": map[string]any{"user_id": "usr_elsewhere"}})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, fieldErrors(t, r), "assignee.user_id")

	// Closed, then the customer writes again: a follow-up; its previous agent u2 is offline, so routing picks u1.
	followUp := func(of string) string {
		var fid string
		testenv.Eventually(t, 20*time.Second, "a follow-up of "+of+" assigned to u1", func() bool {
			fus, _ := d.s.Do(http.MethodGet, "/v1/tickets/"+of, d.token, nil).Map(t)["follow_ups"].([]any)
			if len(fus) == 0 {
				return false
			}
			fid = fus[0].(string)
			return assignee(d.s.Do(http.MethodGet, "/v1/tickets/"+fid, d.token, nil).Map(t)) == u1
		})
		return fid
	}
	require.Equal(t, http.StatusOK, d.s.Do(http.MethodPatch, "/v1/tickets/"+id, d.token, map[string]any{"status": "closed"}).Status)
	d.message(ch, "r", map[string]any{"email": "r@x.test"})
	f1 := followUp(id)
	require.Equal(t, "closed", d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["status"])
	// The follow-up closed; now its agent u1 is available and has room: the next follow-up goes back to u1.
	require.Equal(t, http.StatusOK, d.s.Do(http.MethodPatch, "/v1/tickets/"+f1, d.token, map[string]any{"status": "closed"}).Status)
	d.message(ch, "r", map[string]any{"email": "r@x.test"})
	f2 := followUp(f1)
	testenv.Eventually(t, 10*time.Second, "the workflow to follow", func() bool {
		v, err := d.s.Temporal.QueryWorkflow(context.Background(), tk["workflow_id"].(string), "", "state")
		require.NoError(t, err)
		var st map[string]any
		require.NoError(t, v.Get(&st))
		return st["ticket_id"] == f2 && st["assignee_id"] == u1 && st["message_count"] == float64(3)
	})
	testenv.RecordHistory(t, d.s.Temporal, tk["workflow_id"].(string), "conversation_reply_reassign_close_follow_up")
}

// TestNoDoubleBookingUnderConcurrency fires 300 conversations at 5 agents of
// capacity 4: exactly 20 are assigned, none beyond capacity, 280 wait, and
// freed capacity goes to the oldest waiting tickets first.
func TestNoDoubleBookingUnderConcurrency(t *testing.T) {
	if testing.Short() {
		t.Skip("300 conversations")
	}
	d := newDesk(t)
	var agents []string
	for i := range 5 {
		agents = append(agents, d.user(fmt.Sprintf("agent%d@acme.test", i), map[string]any{"capacity": 4}))
	}
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": agents, "timeout_seconds": 604800})
	db := d.s.Store.DB()

	var overbooked atomic.Int64
	stop := make(chan struct{})
	var watch sync.WaitGroup
	watch.Add(1)
	go func() { // watch every agent's load while it happens
		defer watch.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			var most int
			if err := db.Get(&most, `SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM tickets WHERE assignee_user_id IS NOT NULL AND status <> 'closed' GROUP BY assignee_user_id) x`); err == nil && most > 4 {
				overbooked.Add(1)
			}
		}
	}()

	const n = 300
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := testenv.Do(t, d.s.HTTP.URL, http.MethodPost, "/v1/channels/"+ch+"/messages", d.token, map[string]any{
				"external_id": fmt.Sprint(i), "thread_id": fmt.Sprint(i), "from": map[string]any{"email": fmt.Sprintf("c%d@x.test", i)}, "text": "hi",
			})
			if r.Status != http.StatusAccepted {
				t.Errorf("message %d: %d %s", i, r.Status, r.Body)
			}
		}()
	}
	wg.Wait()
	count := func(state string) int {
		var c int
		require.NoError(t, db.Get(&c, `SELECT count(*) FROM tickets WHERE channel_id = $1 AND routing_state = $2`, ch, state))
		return c
	}
	testenv.Eventually(t, 3*time.Minute, "all 300 routed", func() bool {
		return count("assigned")+count("waiting_for_agent") == n
	})
	require.Equal(t, 20, count("assigned"))
	require.Equal(t, 280, count("waiting_for_agent"))

	// The oldest waiting tickets, in order, are the ones freed capacity goes to.
	var oldest []string
	require.NoError(t, db.Select(&oldest, `SELECT id FROM tickets WHERE channel_id = $1 AND routing_state = 'waiting_for_agent' ORDER BY waiting_since, id LIMIT 5`, ch))
	var before []string
	require.NoError(t, db.Select(&before, `SELECT id FROM tickets WHERE channel_id = $1 AND routing_state = 'assigned'`, ch))
	var toClose []string
	require.NoError(t, db.Select(&toClose, `SELECT DISTINCT ON (assignee_user_id) id FROM tickets WHERE channel_id = $1 AND routing_state = 'assigned' ORDER BY assignee_user_id, id`, ch))
	require.Len(t, toClose, 5)
	for _, id := range toClose {
		r := d.s.Do(http.MethodPatch, "/v1/tickets/"+id, d.token, map[string]any{"status": "closed"})
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	}
	var fresh []string
	testenv.Eventually(t, 30*time.Second, "freed capacity to be used", func() bool {
		fresh = nil
		require.NoError(t, db.Select(&fresh, `SELECT id FROM tickets WHERE channel_id = $1 AND routing_state = 'assigned' AND id <> ALL($2) ORDER BY id`, ch, before))
		return len(fresh) == 5
	})
	require.Equal(t, 275, count("waiting_for_agent"))
	sort.Strings(oldest)
	require.Equal(t, oldest, fresh, "the five oldest waiting tickets got the freed capacity")
	close(stop)
	watch.Wait()
	require.Zero(t, overbooked.Load(), "an agent had more than 4 open tickets")
	var most int
	require.NoError(t, db.Get(&most, `SELECT max(n) FROM (SELECT count(*) AS n FROM tickets WHERE assignee_user_id IS NOT NULL AND status <> 'closed' GROUP BY assignee_user_id) x`))
	require.Equal(t, 4, most)
}

func TestLongConversationContinuesAsNew(t *testing.T) {
	d := newDesk(t)
	u := d.user("one@acme.test", nil)
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{u}})
	api := server.New(d.s.Store, d.s.Temporal, server.Config{ConversationIDs: testenv.ConversationIDs(t), TaskQueue: workflows.DefaultTaskQueue, ContinueAsNewAfter: 40}, quietLog(), nil, nil)
	base := httptestServer(t, api)
	var wf string
	for i := range 25 {
		r := testenv.Do(t, base, http.MethodPost, "/v1/channels/"+ch+"/messages", d.token, map[string]any{
			"external_id": fmt.Sprint(i), "thread_id": "long", "from": map[string]any{"email": "long@x.test"}, "text": "again",
		})
		require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
		wf = r.Map(t)["workflow_id"].(string)
		if i == 0 {
			d.ticketOf(ch, "long", "assigned")
		}
	}
	ctx := context.Background()
	testenv.Eventually(t, 30*time.Second, "the conversation to continue as new and keep its state", func() bool {
		desc, err := d.s.Temporal.DescribeWorkflowExecution(ctx, wf, "")
		require.NoError(t, err)
		if desc.WorkflowExecutionInfo.GetFirstRunId() == desc.WorkflowExecutionInfo.GetExecution().GetRunId() {
			return false
		}
		v, err := d.s.Temporal.QueryWorkflow(ctx, wf, "", "state")
		require.NoError(t, err)
		var st workflows.ConversationState
		require.NoError(t, v.Get(&st))
		return st.MessageCount == 25 && st.AssigneeID == u && st.TicketID != ""
	})
	tickets := d.s.Do(http.MethodGet, "/v1/tickets?channel_id="+ch, d.token, nil).Map(t)["items"].([]any)
	require.Len(t, tickets, 1)
	testenv.RecordHistory(t, d.s.Temporal, wf, "conversation_continued_as_new")
}

// TestMessengerReplyWindowsWithRealTimers shrinks the windows (24 h → 6 s,
// 7 d → 12 s) and lets the embedded server's timers move them.
func TestMessengerReplyWindowsWithRealTimers(t *testing.T) {
	d := newDesk(t)
	u := d.user("agent@acme.test", nil)
	agentTok := d.s.Do(http.MethodPost, "/v1/users/"+u+"/tokens", d.token, nil).Map(t)["token"].(string)
	r := d.s.Do(http.MethodPost, "/v1/channels", d.token, map[string]any{"type": "messenger", "name": "FB", "config": messengerConfig,
		"routing": map[string]any{"assign_to": "users_and_teams", "users": []string{u}}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	ch := r.Map(t)["id"].(string)
	api := server.New(d.s.Store, d.s.Temporal, server.Config{ConversationIDs: testenv.ConversationIDs(t), TaskQueue: workflows.DefaultTaskQueue, OpenWindow: 6 * time.Second, HumanAgentWindow: 12 * time.Second}, quietLog(), nil, nil)
	base := httptestServer(t, api)
	post := func(id string) {
		r := testenv.Do(t, base, http.MethodPost, "/v1/channels/"+ch+"/messages", d.token, map[string]any{
			"external_id": id, "thread_id": "psid-1", "from": map[string]any{"external_user_id": "psid-1", "name": "Visitor"}, "text": "hi"})
		require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	}
	window := func(id string) string {
		return d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["reply_window"].(map[string]any)["state"].(string)
	}
	post("mid.1")
	tk := d.ticketOf(ch, "psid-1", "assigned")
	id := tk["id"].(string)
	testenv.Eventually(t, 10*time.Second, "the window to open", func() bool { return window(id) == "open" })
	reply := func(token string) testenv.Response {
		return testenv.Do(t, base, http.MethodPost, "/v1/tickets/"+id+"/replies", token, map[string]any{"text": "hello"})
	}
	r = reply(agentTok)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, "", r.Map(t)["tag"])
	require.Equal(t, "sent", r.Map(t)["status"])
	lastGraph := func() testenv.GraphRequest {
		reqs := d.s.Graph.Requests()
		require.NotEmpty(t, reqs)
		return reqs[len(reqs)-1]
	}
	g := lastGraph()
	require.Equal(t, "RESPONSE", g.Body["messaging_type"])
	require.Equal(t, map[string]any{"id": "psid-1"}, g.Body["recipient"])
	require.Equal(t, "Bearer "+messengerConfig["page_access_token"].(string), g.Auth)

	testenv.Eventually(t, 15*time.Second, "the human-agent window", func() bool { return window(id) == "human_agent_only" })
	r = reply(agentTok)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, "HUMAN_AGENT", r.Map(t)["tag"])
	g = lastGraph()
	require.Equal(t, "MESSAGE_TAG", g.Body["messaging_type"])
	require.Equal(t, "HUMAN_AGENT", g.Body["tag"])
	sentBefore := len(d.s.Graph.Requests())
	r = reply(d.token) // no user behind an admin token: automated
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, "suppressed", r.Map(t)["status"])
	require.Contains(t, r.Map(t)["failure_reason"], "human-agent window", "the reply says why it was not sent")
	require.Len(t, d.s.Graph.Requests(), sentBefore, "a suppressed reply is not sent")
	suppressed := lastMessage(t, d.s, d.token, id)
	require.Equal(t, "suppressed", suppressed["status"])
	require.Contains(t, suppressed["failure_reason"], "reply with an agent's token")

	testenv.Eventually(t, 15*time.Second, "the window to close", func() bool { return window(id) == "closed" })
	r = reply(agentTok)
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	require.Contains(t, r.Map(t)["detail"], "reply window closed")
	got := d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["reply_window"].(map[string]any)
	require.NotNil(t, got["open_until"])
	require.NotNil(t, got["human_agent_until"])

	post("mid.2") // the customer writes again
	testenv.Eventually(t, 10*time.Second, "the window to re-open", func() bool { return window(id) == "open" })
	sent := len(d.s.Graph.Requests())
	d.s.Graph.FailNext(http.StatusServiceUnavailable, `{"error":{"message":"try later","code":2}}`)
	r = reply(agentTok)
	require.Equal(t, http.StatusCreated, r.Status, "a 5xx is retried: %s", r.Body)
	require.Len(t, d.s.Graph.Requests(), sent+2)

	d.s.Graph.FailNext(http.StatusBadRequest, `{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2018278}}`)
	r = reply(agentTok)
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	require.Contains(t, r.Map(t)["detail"], "outside its messaging window")
	msgs := d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/messages?limit=500", d.token, nil).Map(t)["items"].([]any)
	require.Equal(t, "failed", msgs[len(msgs)-1].(map[string]any)["status"], "the refused reply is marked failed")

	ctx := context.Background()
	testenv.Eventually(t, 15*time.Second, "ReplyWindow in visibility", func() bool {
		resp, err := d.s.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: `ReplyWindow = "open" AND ChannelType = "messenger"`})
		require.NoError(t, err)
		return len(resp.Executions) == 1
	})
	testenv.RecordHistory(t, d.s.Temporal, tk["workflow_id"].(string), "conversation_messenger_windows")
}
