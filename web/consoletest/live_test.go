package consoletest

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestConsoleLiveTwoAgents: two agents in two browser contexts. B's queue shows a new ticket without a reload
// (over the event stream); B sees A viewing the ticket, then typing; B, typing too, is warned when A's reply goes
// out; an assignment to B lights B's notification bell.
func TestConsoleLiveTwoAgents(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	st := testenv.NewStack(t)
	_, admin := st.Account("Live Co", "enterprise")
	agent := func(email, name string) (id, token string) {
		u := st.Do(http.MethodPost, "/v1/users", admin, map[string]any{"email": email, "name": name, "availability": "away"})
		if u.Status != http.StatusCreated {
			t.Fatalf("user: %d %s", u.Status, u.Body)
		}
		id = u.Map(t)["id"].(string)
		return id, st.Do(http.MethodPost, "/v1/users/"+id+"/tokens", admin, map[string]any{"role": "agent"}).Map(t)["token"].(string)
	}
	userA, tokenA := agent("ada@example.com", "Ada Agent")
	userB, tokenB := agent("bob@example.com", "Bob Agent")
	ch := st.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Website chat"}).Map(t)["id"].(string)
	inbound := func(id, thread string) {
		r := st.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", admin, map[string]any{"external_id": id, "thread_id": thread,
			"from": map[string]any{"external_user_id": thread, "name": "Grace " + thread}, "text": "Hello from " + thread})
		if r.Status != http.StatusAccepted {
			t.Fatalf("inbound: %d %s", r.Status, r.Body)
		}
	}
	inbound("m-1", "visitor-1")
	first := waitTicket(t, st.HTTP.URL, admin, ch)
	ctxB := browser(t) // after the stack: the browser's time limit counts from here
	ctxA := browsertest.SecondContext(t, ctxB, 1280, 800)

	dir := browsertest.ArtefactDir(t)
	pb := page{Page: browsertest.Page{T: t, Ctx: ctxB, Dir: dir}, base: st.HTTP.URL + "/console/"}
	pa := page{Page: browsertest.Page{T: t, Ctx: ctxA, Dir: dir}, base: st.HTTP.URL + "/console/"}
	pb.login(tokenB)
	pa.login(tokenA)
	pb.Until("B's stream", `document.body.dataset.live === 'connected' && !!document.querySelector('[data-ticket="`+first+`"]')`)
	pb.Eval(`(() => { window.__sameDocument = 'yes'; return 'ok'; })()`)

	// A new ticket shows in B's queue with no reload and no polling.
	inbound("m-2", "visitor-2")
	pb.Until("the new ticket in B's queue", `window.__sameDocument === 'yes' && document.querySelectorAll('#queue-sections tr[data-ticket]').length === 2`)

	// Both open the first ticket: B sees A viewing, then typing.
	pb.Eval(`(() => { location.hash = '#/tickets/` + first + `'; return 'ok'; })()`)
	pa.Eval(`(() => { location.hash = '#/tickets/` + first + `'; return 'ok'; })()`)
	pb.Until("A viewing, in B's window", `(document.querySelector('[data-presence]') || {dataset: {}}).dataset.presence === '`+userA+`:viewing' && document.querySelector('.presence').textContent.includes('Ada Agent is viewing')`)
	pa.Until("A's reply box", `!!document.querySelector('form.reply textarea')`)
	pa.Do("A types", chromedp.SendKeys(chromedp.CSS(`form.reply textarea`), "Let me check your order"))
	pb.Until("A typing, in B's window", `document.querySelector('[data-presence]').dataset.presence === '`+userA+`:typing' && document.querySelector('.presence').textContent.includes('Ada Agent is typing')`)
	pb.Screenshot("live-presence")

	// B types too; A sends: B is warned of the collision.
	pb.Do("B types", chromedp.SendKeys(chromedp.CSS(`form.reply textarea`), "Hi Grace"))
	pa.Do("A sends", chromedp.Click(chromedp.CSS(`form.reply button.primary`)))
	pb.Until("the collision warning", `!document.querySelector('.collision').hidden && document.querySelector('.collision').textContent.includes('Ada Agent sent a reply while you were typing')`)
	pb.Until("A's reply in B's thread", `[...document.querySelectorAll('.thread li.outbound')].some((li) => li.textContent.includes('Let me check your order'))`)
	pb.Screenshot("live-collision")

	// Assigned by the admin: B's bell counts it.
	r := st.Do(http.MethodPatch, "/v1/tickets/"+first, admin, map[string]any{"assignee": map[string]any{"user_id": userB}})
	if r.Status != http.StatusOK {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	pb.Until("B's notification", `document.querySelector('#notifications-count').textContent === '1' && document.querySelector('.ticket-assignee').textContent === 'Bob Agent'`)
	pb.Do("open the list", chromedp.Click(chromedp.CSS(`#notifications-open`)))
	pb.Until("the assignment listed", `document.querySelector('.notification-list li[data-kind="assigned"]') !== null`)
}
