package consoletest

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestConsoleRedactsAndErases: on a ticket's privacy panel an agent redacts a message (with a
// reason) and an admin erases the ticket's contact after typing its id to confirm.
func TestConsoleRedactsAndErases(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.NewStack(t)
	_, admin := st.Account("Privacy Co", "enterprise")
	r := st.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "custom", "name": "App", "config": map[string]any{"app_name": "App"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("channel: %d %s", r.Status, r.Body)
	}
	ch := r.Map(t)["id"].(string)
	r = st.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", admin, map[string]any{"external_id": "p-1", "thread_id": "p-1",
		"from": map[string]any{"external_user_id": "p-1", "name": "Petra"}, "text": "My card is 4111 1111 1111 1111"})
	if r.Status != http.StatusAccepted {
		t.Fatalf("inbound: %d %s", r.Status, r.Body)
	}
	msg := r.Map(t)["message_id"].(string)
	ticket := waitTicket(t, st.HTTP.URL, admin, ch)
	contact := st.Do(http.MethodGet, "/v1/tickets/"+ticket, admin, nil).Map(t)["contact_id"].(string)

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.login(admin)
	title := st.Do(http.MethodGet, "/v1/tickets/"+ticket, admin, nil).Map(t)["subject"].(string)
	if title == "" {
		title = "Ticket"
	}
	p.open("#/tickets/"+ticket, title)
	row := `.privacy-panel li[data-message="` + msg + `"]`
	p.Until("the message in the privacy panel", `!!document.querySelector('`+row+` button.redact')`)
	p.Do("redact", chromedp.SendKeys(row+` input.redact-reason`, "card number"), chromedp.Click(row+` button.redact`))
	testenv.Eventually(t, 20*time.Second, "the message redacted", func() bool {
		m := st.Do(http.MethodGet, "/v1/tickets/"+ticket+"/messages", admin, nil).Map(t)["items"].([]any)[0].(map[string]any)
		return m["text"] == "[redacted]"
	})
	p.Until("the panel shows the redacted text", `(document.querySelector('`+row+` .privacy-text') || {}).textContent === '[redacted]'`)

	p.Do("erase without confirming", chromedp.Click(`.privacy-panel button.erase-start`))
	if r := st.Do(http.MethodGet, "/v1/contacts/"+contact+"/erasure", admin, nil); r.Status != http.StatusNotFound {
		t.Fatalf("erased without confirmation: %d %s", r.Status, r.Body)
	}
	p.Do("confirm and erase", chromedp.SendKeys(`.privacy-panel input.erase-confirm`, contact), chromedp.Click(`.privacy-panel button.erase-start`))
	p.Until("the erasure started", `(document.querySelector('.privacy-panel .erase-state') || {}).textContent.startsWith('Erasure ')`)
	testenv.Eventually(t, 60*time.Second, "the contact erased", func() bool {
		return st.Do(http.MethodGet, "/v1/contacts/"+contact+"/erasure", admin, nil).Map(t)["state"] == "completed"
	})
	p.Screenshot("privacy-panel")
}
