package consoletest

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/workflows"
)

// login signs the page in with token and waits for the queue.
func (p page) login(token string) {
	p.T.Helper()
	p.Do("log in", chromedp.Navigate(p.base), chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("form.login button[type=submit]")))
	p.Until("the queue", `location.hash === '#/queue' && document.querySelector('main h1').textContent === 'Queue'`)
}

// waitTicket waits for the one ticket of a channel and returns its id.
func waitTicket(t *testing.T, base, token, channelID string) string {
	var id string
	testenv.Eventually(t, 20*time.Second, "the ticket", func() bool {
		var l struct{ Items []struct{ ID string } }
		testenv.Do(t, base, http.MethodGet, "/v1/tickets?channel_id="+channelID, token, nil).JSON(t, &l)
		if len(l.Items) == 1 {
			id = l.Items[0].ID
		}
		return id != ""
	})
	return id
}

// TestConsoleMacro: an agent finds a shared macro with Ctrl+/ in the reply box; its placeholders come
// filled, the one the ticket has no value for is asked for; sending it replies with the filled text and
// applies its actions, each outcome listed; "?" lists the shortcuts and "n" opens the next ticket.
func TestConsoleMacro(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.NewStack(t)
	_, admin := st.Account("Macro Co", "enterprise")
	u := st.Do(http.MethodPost, "/v1/users", admin, map[string]any{"email": "grace@example.com", "name": "Grace Hopper", "has_profile": true, "availability": "available"})
	if u.Status != http.StatusCreated {
		t.Fatalf("user: %d %s", u.Status, u.Body)
	}
	agent := st.Do(http.MethodPost, "/v1/users/"+u.Map(t)["id"].(string)+"/tokens", admin, map[string]any{"role": "agent"}).Map(t)["token"].(string)
	ch := st.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Website chat"}).Map(t)["id"].(string)
	r := st.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", admin, map[string]any{"external_id": "m-1", "thread_id": "visitor-1",
		"from": map[string]any{"external_user_id": "visitor-1", "name": "Ada Lovelace"}, "text": "I was charged twice"})
	if r.Status != http.StatusAccepted {
		t.Fatalf("inbound: %d %s", r.Status, r.Body)
	}
	id := waitTicket(t, st.HTTP.URL, admin, ch)
	r = st.Do(http.MethodPost, "/v1/macros", admin, map[string]any{"name": "Refund issued", "visibility": "shared",
		"body":    "Hi {{contact.first_name}}, {{agent.first_name}} here: the refund for {{ticket.id}} is on its way; the receipt goes to {{contact.email}}.",
		"actions": map[string]any{"status": "solved", "priority": "high"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("macro: %d %s", r.Status, r.Body)
	}

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.login(agent)
	p.Do("n opens the next ticket", chromedp.KeyEvent("n"))
	p.Until("the ticket", `location.hash === '#/tickets/`+id+`' && !!document.querySelector('form.reply textarea')`)
	p.Do("Ctrl+/ in the reply box", chromedp.Focus(chromedp.CSS(`form.reply textarea`)),
		chromedp.KeyEvent("/", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	p.Until("the macro search", `document.activeElement && document.activeElement.id === 'macro-search'`)
	p.Do("search", chromedp.SendKeys(chromedp.CSS(`#macro-search`), "refund"))
	p.Until("the macro found", `!!document.querySelector('#macro-results li[data-macro] button')`)
	p.Do("choose it", chromedp.Click(chromedp.CSS(`#macro-results li[data-macro] button`)))
	p.Until("the filled text and the missing value asked for", `document.querySelector('form.reply textarea').value ===
		'Hi Ada, Grace here: the refund for `+id+` is on its way; the receipt goes to {{contact.email}}.'
		&& !!document.querySelector('[data-field="values.contact.email"]')`)
	p.Screenshot("macro-values")

	p.Do("send without the value", chromedp.Click(chromedp.CSS(`form.reply button[type=submit]`)))
	p.Until("the missing value named", `(() => { const el = document.querySelector('[data-field="values.contact.email"]');
		return el.getAttribute('aria-invalid') === 'true' && document.getElementById(el.id + '-err').textContent.includes('has no value'); })()`)
	if n := p.Eval(`String(document.querySelectorAll('.thread li.outbound').length)`); n != "0" {
		t.Fatalf("a reply went out with a placeholder unfilled: %s outbound", n)
	}
	p.Do("fill it and send", chromedp.SendKeys(chromedp.CSS(`[data-field="values.contact.email"]`), "ada@example.org"),
		chromedp.Click(chromedp.CSS(`form.reply button[type=submit]`)))
	want := "Hi Ada, Grace here: the refund for " + id + " is on its way; the receipt goes to ada@example.org."
	p.Until("the reply sent and the actions' outcomes", `(() => { const li = document.querySelector('.thread li.outbound');
		const o = (a) => { const el = document.querySelector('#macro-outcomes li[data-action="' + a + '"]'); return el && el.dataset.outcome; };
		return li && li.dataset.status === 'sent' && li.textContent.includes(`+quote(want)+`) && o('status') === 'applied'
			&& o('priority') === 'applied' && document.querySelector('.ticket-status').textContent === 'solved'; })()`)
	p.Screenshot("macro-applied")
	var tk struct{ Status, Priority string }
	st.Do(http.MethodGet, "/v1/tickets/"+id, admin, nil).JSON(t, &tk)
	prio := p.Eval(`document.querySelector('#macro-outcomes li[data-action="priority"]').dataset.outcome`)
	if tk.Status != "solved" || tk.Priority != "high" || prio != "applied" {
		t.Fatalf("ticket after the macro: %+v (priority %s)", tk, prio)
	}

	p.Do("? lists the shortcuts", chromedp.Click(chromedp.CSS(`main h1`)), chromedp.KeyEvent("?"))
	p.Until("the shortcuts", `(() => { const d = document.getElementById('shortcuts'); return d && d.open && d.textContent.includes('Next ticket')
		&& d.textContent.includes('Macros') && d.textContent.includes('Internal note: open the note box'); })()`)
	p.Screenshot("shortcuts")
}

// templateListing is a Graph listing of one approved template with a named body variable and a positional one.
const templateListing = `{"data":[{"id":"7","name":"order_shipped","language":"en_US","status":"APPROVED","category":"UTILITY",
 "components":[{"type":"HEADER","format":"TEXT","text":"Your order"},{"type":"BODY","text":"Hi {{1}}, order {{2}} has shipped."},{"type":"FOOTER","text":"Acme"}]}]}`

// TestConsoleWhatsAppTemplate: after a WhatsApp ticket's 24 h window closed (shrunk to 2 s), the agent picks an
// approved template listed from Graph (faked), fills its variables with a live preview, and sends it.
func TestConsoleWhatsAppTemplate(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.NewStack(t)
	api := server.New(st.Store, st.Temporal, server.Config{ConversationIDs: testenv.ConversationIDs(t), TaskQueue: workflows.DefaultTaskQueue,
		OpenWindow: 2 * time.Second, HumanAgentWindow: 2 * time.Second, Graph: graph.New(st.Graph.URL)}, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), st.Registry)
	hs := httptest.NewServer(api.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(api.CloseStreams) // first: the console's open event stream would hold hs.Close
	_, admin := st.Account("WA Co", "enterprise")
	r := testenv.Do(t, hs.URL, http.MethodPost, "/v1/channels", admin, map[string]any{"type": "whatsapp", "name": "WhatsApp",
		"config": map[string]any{"phone_number_id": "1098765", "access_token": "wa-token", "app_secret": "wa-secret", "business_account_id": "4040"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("channel: %d %s", r.Status, r.Body)
	}
	ch := r.Map(t)["id"].(string)
	st.Graph.SetTemplates("4040", templateListing)
	r = testenv.Do(t, hs.URL, http.MethodPost, "/v1/channels/"+ch+"/messages", admin, map[string]any{"external_id": "wamid.1", "thread_id": "15551234567",
		"from": map[string]any{"external_user_id": "15551234567", "name": "Ada"}, "text": "Where is my order?"})
	if r.Status != http.StatusAccepted {
		t.Fatalf("inbound: %d %s", r.Status, r.Body)
	}
	id := waitTicket(t, hs.URL, admin, ch)
	testenv.Eventually(t, 20*time.Second, "the window to close", func() bool {
		var tk struct {
			ReplyWindow struct{ State string } `json:"reply_window"`
		}
		testenv.Do(t, hs.URL, http.MethodGet, "/v1/tickets/"+id, admin, nil).JSON(t, &tk)
		return tk.ReplyWindow.State == "closed"
	})

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: hs.URL + "/console/"}
	p.login(admin)
	p.open("#/tickets/"+id, "Where is my order?")
	p.Until("the closed window and the listed template", `!!document.getElementById('window-closed')
		&& !!document.querySelector('#template-select option[value="order_shipped|en_US"]')`)
	p.choose("#template-select", "order_shipped|en_US")
	p.Until("a field per variable", `document.querySelectorAll('#template-vars input').length === 2`)
	p.Do("fill the variables", chromedp.SendKeys(chromedp.CSS(`#template-vars .field:nth-child(1) input`), "Ada"),
		chromedp.SendKeys(chromedp.CSS(`#template-vars .field:nth-child(2) input`), "A-42"))
	p.Until("the preview", `document.querySelector('#template-preview .template-body').textContent === 'Hi Ada, order A-42 has shipped.'`)
	p.Screenshot("whatsapp-template")
	p.Do("send", chromedp.Click(chromedp.CSS(`#template-send`)))
	p.Until("the template sent", `(() => { const li = document.querySelector('.thread li.outbound'); return li && li.dataset.status === 'sent'; })()`)

	var sent map[string]any
	for _, g := range st.Graph.Requests() {
		if g.Body["type"] == "template" {
			sent = g.Body
		}
	}
	got, _ := json.Marshal(sent["template"])
	if wantT := `{"components":[{"parameters":[{"text":"Ada","type":"text"},{"text":"A-42","type":"text"}],"type":"body"}],"language":{"code":"en_US"},"name":"order_shipped"}`; string(got) != wantT {
		t.Fatalf("template sent to Graph:\n got %s\nwant %s", got, wantT)
	}
	if sent["to"] != "15551234567" {
		t.Fatalf("sent to %v", sent["to"])
	}

	// The channel's page: the webhook URL to paste into Meta, a verify token generated and shown once
	// (Meta's handshake then passes with it), a key created (shown once) and revoked.
	p.open("#/channels/"+ch, "Edit WhatsApp")
	p.Until("the webhook URL", `document.querySelector('.setup pre.webhook-url').textContent === `+quote(hs.URL+"/webhooks/whatsapp"))
	p.Do("generate a verify token", chromedp.Click(chromedp.CSS(`#verify-token button`)))
	p.Until("the token shown", `!!document.querySelector('.setup pre.verify-token')`)
	verify := p.Eval(`document.querySelector('.setup pre.verify-token').textContent`)
	hs2 := testenv.Do(t, hs.URL, http.MethodGet, "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token="+verify+"&hub.challenge=c-123", "", nil)
	if hs2.Status != http.StatusOK || string(hs2.Body) != "c-123" {
		t.Fatalf("Meta's handshake with the generated token: %d %s", hs2.Status, hs2.Body)
	}
	p.Do("create a key", chromedp.SendKeys(chromedp.CSS(`#key-name`), "zapier"), chromedp.Click(chromedp.CSS(`#create-key`)))
	p.Until("the key shown once and listed", `(() => { const k = document.querySelector('.setup pre.new-key');
		return k && k.textContent.startsWith('rdc_') && document.querySelector('#channel-keys li[data-key]').textContent.includes('zapier'); })()`)
	p.Screenshot("channel-setup")
	p.Do("copy it", chromedp.Click(chromedp.CSS(`#new-key button.copy`)))
	p.Until("copied", `document.getElementById('status').textContent === 'New key (shown once) copied.'`)
	p.Eval(`window.confirm = () => true; 'ok'`)
	p.Do("revoke it", chromedp.Click(chromedp.CSS(`#channel-keys li[data-key] button.danger`)))
	p.Until("no key left", `!document.querySelector('#channel-keys li[data-key]')`)
}
