package consoletest

import (
	"net/http"
	"testing"

	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestConsoleTicketShowsCSAT: the ticket view's facts show the ticket's satisfaction survey: the rating
// and the customer's comment (as text) once answered, the state and reason otherwise.
func TestConsoleTicketShowsCSAT(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.NewStack(t)
	_, admin := st.Account("Rated Co", "enterprise")
	message := func(thread, text string) string { // a channel of its own: waitTicket takes the channel's ticket
		r := st.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Chat " + thread})
		if r.Status != http.StatusCreated {
			t.Fatalf("channel: %d %s", r.Status, r.Body)
		}
		ch := r.Map(t)["id"].(string)
		r = st.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", admin, map[string]any{"external_id": thread, "thread_id": thread,
			"from": map[string]any{"external_user_id": thread, "name": "Visitor"}, "text": text})
		if r.Status != http.StatusAccepted {
			t.Fatalf("inbound: %d %s", r.Status, r.Body)
		}
		return waitTicket(t, st.HTTP.URL, admin, ch)
	}
	rated := message("v-1", "Invoice question")
	// The survey as the workflow and the rating page leave it (their own tests cover those).
	if _, err := st.Store.DB().Exec(`INSERT INTO csat_surveys (ticket_id, account_id, channel_id, state, rating, comment, sent_at, answered_at)
		SELECT id, account_id, channel_id, 'answered', 4, '<b>Quick</b> and kind', now(), now() FROM tickets WHERE id = $1`, rated); err != nil {
		t.Fatal(err)
	}
	failed := message("v-2", "Another question")
	if _, err := st.Store.DB().Exec(`INSERT INTO csat_surveys (ticket_id, account_id, channel_id, state, reason)
		SELECT id, account_id, channel_id, 'failed', 'no channel reaches the customer' FROM tickets WHERE id = $1`, failed); err != nil {
		t.Fatal(err)
	}

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.login(admin)
	p.open("#/tickets/"+rated, "Invoice question")
	p.Until("the rating", `document.querySelector('.ticket-csat').dataset.rating === '4' &&
		document.querySelector('.ticket-csat [aria-label]').getAttribute('aria-label') === '4 of 5'`)
	p.Until("the comment, as text", `document.querySelector('.ticket-csat .csat-comment').textContent === '<b>Quick</b> and kind' &&
		!document.querySelector('.ticket-csat b')`)
	p.Screenshot("ticket-csat")
	p.open("#/tickets/"+failed, "Another question")
	p.Until("the failed survey", `document.querySelector('.ticket-csat').dataset.state === 'failed' &&
		document.querySelector('.ticket-csat').textContent === 'survey failed: no channel reaches the customer'`)
}
