package consoletest

import (
	"net/http"
	"testing"
	"time"

	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestConsoleWhyThisAgent: the ticket view's "Why this agent?" panel says who
// got the ticket and why each other candidate did not; a waiting ticket's panel
// says why nobody takes it.
func TestConsoleWhyThisAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.NewStack(t)
	_, admin := st.Account("Why Co", "enterprise")
	user := func(name, availability string) string {
		r := st.Do(http.MethodPost, "/v1/users", admin, map[string]any{"email": name + "@example.com", "name": name, "availability": availability})
		if r.Status != http.StatusCreated {
			t.Fatalf("user: %d %s", r.Status, r.Body)
		}
		return r.Map(t)["id"].(string)
	}
	ada, bo := user("Ada", "available"), user("Bo", "away")
	channel := func(users ...string) string {
		r := st.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Chat",
			"routing": map[string]any{"assign_to": "users_and_teams", "users": users, "timeout_seconds": 600}})
		if r.Status != http.StatusCreated {
			t.Fatalf("channel: %d %s", r.Status, r.Body)
		}
		return r.Map(t)["id"].(string)
	}
	message := func(ch, thread, text string) string {
		r := st.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", admin, map[string]any{"external_id": thread, "thread_id": thread,
			"from": map[string]any{"external_user_id": thread, "name": "Visitor"}, "text": text})
		if r.Status != http.StatusAccepted {
			t.Fatalf("inbound: %d %s", r.Status, r.Body)
		}
		return waitTicket(t, st.HTTP.URL, admin, ch)
	}
	routed := func(id, state string) {
		testenv.Eventually(t, 20*time.Second, "ticket "+state, func() bool {
			return st.Do(http.MethodGet, "/v1/tickets/"+id, admin, nil).Map(t)["routing_state"] == state
		})
	}
	assigned := message(channel(ada, bo), "v-1", "Invoice question")
	routed(assigned, "assigned")
	waiting := message(channel(bo), "v-2", "Nobody home?")
	routed(waiting, "waiting_for_agent")

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.login(admin)
	p.open("#/tickets/"+assigned, "Invoice question")
	p.Until("the panel", `!!document.querySelector('.routing-why li[data-reason=chosen]')`)
	p.Until("its heading", `document.querySelector('.routing-why h2').textContent === 'Why this agent?'`)
	p.Until("the summary", `document.querySelector('.routing-why .routing-summary').textContent === 'Went to Ada, the least loaded of 1 eligible agent.'`)
	p.Until("Ada chosen", `document.querySelector('.routing-why li[data-reason=chosen]').dataset.user === '`+ada+`'`)
	p.Until("Bo away", `document.querySelector('.routing-why li[data-reason=away]').textContent.includes('Bo is away and the routing takes only available agents')`)
	p.Screenshot("why-this-agent")

	p.open("#/tickets/"+waiting, "Nobody home?")
	p.Until("the waiting panel", `document.querySelector('.routing-why h2').textContent === 'Why is nobody taking it?' &&
		!!document.querySelector('.routing-why .routing-summary')`)
	p.Until("why nobody", `document.querySelector('.routing-why .routing-summary').textContent ===
		'No one can take it (needs an available agent with room): 1 is away or offline.'`)
	p.Until("Bo away", `document.querySelector('.routing-why li[data-reason=away][data-user="`+bo+`"]') !== null`)
	p.Screenshot("why-nobody")
}
