package server_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestClosedTicketOpensFollowUp: closed is final. The customer's next message on a closed ticket opens a
// follow-up ticket linked to it (follow_up_of / follow_ups), routed to the closed one's agent first; the
// closed ticket keeps its own messages and status; the customer's next message goes to the follow-up;
// several messages at once on a closed follow-up open exactly one more.
func TestClosedTicketOpensFollowUp(t *testing.T) {
	d := newDesk(t)
	agent := d.user("solo@acme.test", nil)
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{agent}})
	from := map[string]any{"email": "f@x.test"}
	d.message(ch, "f", from)
	first := d.ticketOf(ch, "f", "assigned")
	id, wf := first["id"].(string), first["workflow_id"].(string)
	get := func(tid string) map[string]any {
		return d.s.Do(http.MethodGet, "/v1/tickets/"+tid, d.token, nil).Map(t)
	}
	messages := func(tid string) []any {
		r := d.s.Do(http.MethodGet, "/v1/tickets/"+tid+"/messages", d.token, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		return r.Map(t)["items"].([]any)
	}
	followUpOf := func(tid string) string {
		var fid string
		testenv.Eventually(t, 20*time.Second, "a follow-up of "+tid, func() bool {
			fus := get(tid)["follow_ups"].([]any)
			if len(fus) > 0 {
				fid = fus[0].(string)
			}
			return fid != "" && get(fid)["routing_state"] == "assigned"
		})
		return fid
	}
	closeTicket := func(tid string) {
		r := d.s.Do(http.MethodPatch, "/v1/tickets/"+tid, d.token, map[string]any{"status": "closed"})
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	}

	r := d.s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", d.token, map[string]any{"text": "Done, closing."})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Empty(t, get(id)["follow_ups"])
	require.Nil(t, get(id)["follow_up_of"])
	closeTicket(id)

	// The customer writes again: a follow-up, to the same agent; the closed ticket keeps its thread.
	d.message(ch, "f", from)
	fu := followUpOf(id)
	got := get(fu)
	require.Equal(t, id, got["follow_up_of"])
	require.Equal(t, agent, assignee(got))
	require.Equal(t, first["subject"], got["subject"])
	require.Equal(t, first["contact_id"], got["contact_id"])
	require.Equal(t, ch, got["channel_id"])
	require.Equal(t, wf, got["workflow_id"], "the conversation's workflow carries the follow-up")
	old := get(id)
	require.Equal(t, "closed", old["status"])
	require.Equal(t, []any{fu}, old["follow_ups"])
	require.Len(t, messages(id), 2, "the first message and the reply stay on the closed ticket")
	require.Len(t, messages(fu), 1)

	// The closed ticket is still an agent's to tag and to answer, through its own (archived) conversation.
	r = d.s.Do(http.MethodPatch, "/v1/tickets/"+id, d.token, map[string]any{"tags": []string{"followed-up"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, []any{"followed-up"}, get(id)["tags"])
	require.Equal(t, "closed", get(id)["status"])
	r = d.s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", d.token, map[string]any{"text": "See the new ticket."})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Len(t, messages(id), 3)
	require.Len(t, messages(fu), 1)

	// The next message goes to the follow-up, not a third ticket.
	d.message(ch, "f", from)
	testenv.Eventually(t, 20*time.Second, "the message on the follow-up", func() bool { return len(messages(fu)) == 2 })
	d.s.Settled(20 * time.Second)
	require.Len(t, messages(id), 3)
	require.Len(t, get(id)["follow_ups"], 1)
	require.Empty(t, get(fu)["follow_ups"])

	// Three messages at once on the closed follow-up: one more follow-up, with all three.
	closeTicket(fu)
	var wg sync.WaitGroup
	statuses := make([]int, 3)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = d.s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", d.token, map[string]any{
				"external_id": fmt.Sprintf("f-burst-%d", i), "thread_id": "f", "from": from, "text": "still there?",
			}).Status
		}()
	}
	wg.Wait()
	require.Equal(t, []int{http.StatusAccepted, http.StatusAccepted, http.StatusAccepted}, statuses)
	third := followUpOf(fu)
	testenv.Eventually(t, 20*time.Second, "the burst on the second follow-up", func() bool { return len(messages(third)) == 3 })
	d.s.Settled(20 * time.Second)
	require.Len(t, get(fu)["follow_ups"], 1)
	require.Len(t, messages(fu), 2)
	require.Equal(t, fu, get(third)["follow_up_of"])
	require.Len(t, d.s.Do(http.MethodGet, "/v1/tickets?channel_id="+ch+"&limit=500", d.token, nil).Map(t)["items"], 3)

	v, err := d.s.Temporal.QueryWorkflow(context.Background(), wf, "", "state")
	require.NoError(t, err)
	var st map[string]any
	require.NoError(t, v.Get(&st))
	require.Equal(t, third, st["ticket_id"])
	testenv.RecordHistory(t, d.s.Temporal, wf, "conversation_follow_up")
}
