// Package consoletest drives the admin console in headless Chromium against a
// full routedesk stack (PostgreSQL, embedded Temporal, worker and API).
package consoletest

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/workflows"
)

func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.NewStack(t)
	// The console is served by an API that knows the Temporal UI's URL, as `routedesk dev` configures it.
	const temporalUI = "http://127.0.0.1:8233/namespaces/default"
	api := server.New(st.Store, st.Temporal, server.Config{ConversationIDs: testenv.ConversationIDs(t), BootstrapToken: testenv.BootstrapToken, TaskQueue: workflows.DefaultTaskQueue,
		TemporalUI: temporalUI + "/"}, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), st.Registry)
	hs := httptest.NewServer(api.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(api.CloseStreams) // first: the console's open event stream would hold hs.Close
	st.HTTP = hs
	_, token := st.Account("Console Co", "enterprise")
	u := st.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "grace@example.com", "name": "Grace Hopper",
		"has_profile": true, "capacity": 3, "availability": "available", "skills": []string{"billing"}})
	if u.Status != http.StatusCreated {
		t.Fatalf("create user: %d %s", u.Status, u.Body)
	}
	userID := u.Map(t)["id"].(string)
	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}

	// /console redirects to /console/, which asks for a token.
	p.Do("open the console", chromedp.Navigate(st.HTTP.URL+"/console"), chromedp.WaitVisible(chromedp.CSS("#token")))
	p.Do("a wrong token", chromedp.SendKeys(chromedp.CSS("#token"), "rdk_wrong"), chromedp.Click(chromedp.CSS("form.login button[type=submit]")))
	p.Until("the login error", `document.querySelector('#token-err').textContent.includes('not valid')`)
	p.clear("#token")
	p.Do("log in", chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS("form.login button[type=submit]")))
	p.Until("the queue", `location.hash === '#/queue' && !document.querySelector('#nav').hidden && document.querySelector('h1').textContent === 'Queue'`)
	if got := p.Eval(`sessionStorage.getItem('routedesk.token') === ` + quote(token) + ` ? 'kept' : 'missing'`); got != "kept" {
		t.Fatalf("token in sessionStorage: %s", got)
	}

	// Connect a chat channel; a bad accent colour is shown next to its field first.
	p.open("#/channels/new", "Connect a channel")
	p.Do("fill the chat form", chromedp.SendKeys(chromedp.CSS(`[data-field="name"]`), "Website chat"),
		chromedp.SendKeys(chromedp.CSS(`[data-field="config.accent_color"]`), "blue"),
		chromedp.SendKeys(chromedp.CSS(`[data-field="config.font"]`), "Inter"))
	p.choose(`[data-field="config.availability.mode"]`, "business_hours")
	p.Do("fill the hours", chromedp.SendKeys(chromedp.CSS(`[data-field="config.availability.timezone"]`), "Europe/Paris"),
		chromedp.SendKeys(chromedp.CSS(`[data-field="config.availability.hours"]`), "mon-fri 09:00-17:00"),
		chromedp.SendKeys(chromedp.CSS(`[data-field="config.allowed_origins"]`), "https://shop.example.com\n\n  http://localhost:3000 \n"),
		chromedp.Click(chromedp.CSS(`form.channel-form button[type=submit]`)))
	p.Until("the accent colour's error next to its field", `(() => { const el = document.querySelector('[data-field="config.accent_color"]');
		return el.getAttribute('aria-invalid') === 'true' && document.getElementById(el.id + '-err').textContent.length > 0
			&& document.activeElement === el; })()`)
	p.Screenshot("channel-form")
	p.clear(`[data-field="config.accent_color"]`)
	p.Do("fix the colour and connect",
		chromedp.SendKeys(chromedp.CSS(`[data-field="config.accent_color"]`), "#2457c5"),
		chromedp.Click(chromedp.CSS(`form.channel-form button[type=submit]`)))
	p.Until("the channel in the list", `location.hash === '#/channels' && document.querySelector('main table') && document.querySelector('main table').textContent.includes('Website chat')`)
	var channelID string
	var chs struct {
		Items []struct {
			ID, Name string
			Config   map[string]any
		}
	}
	st.Do(http.MethodGet, "/v1/channels", token, nil).JSON(t, &chs)
	if len(chs.Items) != 1 || chs.Items[0].Config["accent_color"] != "#2457c5" || chs.Items[0].Config["availability"] == nil ||
		fmt.Sprint(chs.Items[0].Config["allowed_origins"]) != "[https://shop.example.com http://localhost:3000]" {
		t.Fatalf("channel as stored: %+v", chs.Items)
	}
	channelID = chs.Items[0].ID

	// A rule with a typo on its second line: the editor marks line 2 at the typo's column.
	p.open("#/rules/new", "Add a rule")
	p.Do("write a rule with a typo", chromedp.SendKeys(chromedp.CSS(`[data-field="name"]`), "Refunds"),
		chromedp.SendKeys(chromedp.CSS(`textarea[data-field="when"]`), "contact.country == \"FR\" ||\n  mesage.text contains \"refund\""))
	p.Until("the error marked on line 2", `(() => { const bad = document.querySelector('.gutter span.bad'); const ta = document.querySelector('textarea[data-field="when"]');
		return bad && bad.textContent === '2' && ta.getAttribute('aria-invalid') === 'true'
			&& document.getElementById(ta.id + '-err').textContent.startsWith('Line 2, column 3'); })()`)
	marker := p.Eval(`document.querySelector('.marker').textContent`)
	if lines := strings.Split(marker, "\n"); len(lines) != 2 || lines[1] != "  ^" {
		t.Fatalf("marker under the typo: %q", marker)
	}
	p.Screenshot("rule-editor-error")
	p.clear(`textarea[data-field="when"]`)
	p.Do("fix the typo",
		chromedp.SendKeys(chromedp.CSS(`textarea[data-field="when"]`), "contact.country == \"FR\" ||\n  message.text contains \"refund\""))
	p.Until("the expression compiling", `document.querySelector('.check-ok').textContent === 'Compiles.' && !document.querySelector('.gutter span.bad')`)
	p.Do("set a property", chromedp.Click(chromedp.CSS(`form.rule-form fieldset button`)),
		chromedp.SendKeys(chromedp.CSS(`.set-key`), "priority"), chromedp.SendKeys(chromedp.CSS(`.set-value`), "high"),
		chromedp.Click(chromedp.CSS(`form.rule-form button[type=submit]`)))
	p.Until("the rule in the list", `location.hash === '#/rules' && document.querySelector('main table') && document.querySelector('main table').textContent.includes('Refunds')`)

	// Dry run: the sample matches the rule.
	p.Do("dry run", chromedp.SendKeys(chromedp.CSS(`form.dryrun [data-field="message.text"]`), "I want a refund please"),
		chromedp.Click(chromedp.CSS(`form.dryrun button[type=submit]`)))
	p.Until("the dry-run result", `(() => { const m = document.querySelector('#dryrun-result .matched'); return m && m.textContent === 'Refunds'
		&& document.querySelector('#dryrun-result .properties').textContent.includes('"priority":"high"')
		&& document.querySelector('#dryrun-result .skills').textContent === 'none'; })()`)

	// A visitor writes in through the API; the ticket shows in the queue.
	r := st.Do(http.MethodPost, "/v1/channels/"+channelID+"/messages", token, map[string]any{"external_id": "m-1", "thread_id": "visitor-1",
		"from": map[string]string{"email": "ada@example.com", "name": "Ada Lovelace"}, "text": "Where is my order?"})
	if r.Status != http.StatusAccepted {
		t.Fatalf("inbound message: %d %s", r.Status, r.Body)
	}
	p.open("#/queue", "Queue")
	deadline := time.Now().Add(40 * time.Second)
	for p.Eval(`document.querySelector('tr[data-ticket] td:nth-child(3)') ? document.querySelector('tr[data-ticket] td:nth-child(3)').textContent : ''`) != "Ada Lovelace" {
		if time.Now().After(deadline) {
			t.Fatalf("the ticket never showed in the queue:\n%s", p.Eval(`document.body.innerText`))
		}
		p.Do("refresh the queue", chromedp.Click(chromedp.CSS(`main .row button`)), chromedp.Sleep(500*time.Millisecond))
	}
	p.Until("the queue settled", `!!document.querySelector('section[data-state="unassigned"] tr[data-ticket]')`)
	p.Screenshot("queue")
	p.Do("a phone's viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile), chromedp.Sleep(300*time.Millisecond))
	if w := p.Eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("on a phone the queue is %s px wide, want 390 (no horizontal scrolling)", w)
	}
	p.Screenshot("queue-phone")
	p.Do("back to 1280×800", chromedp.EmulateViewport(1280, 800))
	var ticket struct {
		WorkflowID string `json:"workflow_id"`
	}
	tid := p.Eval(`document.querySelector('tr[data-ticket]').dataset.ticket`)
	st.Do(http.MethodGet, "/v1/tickets/"+tid, token, nil).JSON(t, &ticket)
	wantLink := temporalUI + "/workflows/" + url.QueryEscape(ticket.WorkflowID)
	if got := p.Eval(`document.querySelector('tr[data-ticket] td:last-child a').href`); ticket.WorkflowID == "" || got != wantLink {
		t.Fatalf("Temporal UI link %q, want %q", got, wantLink)
	}

	// Open the ticket, assign it to Grace, then close it.
	p.Do("open the ticket", chromedp.Click(chromedp.CSS(`tr[data-ticket] a`)), chromedp.WaitVisible(chromedp.CSS(`#assignee`)))
	p.Until("the thread", `document.querySelector('.thread').textContent.includes('Where is my order?')`)
	p.choose(`#assignee`, userID)
	p.Do("assign", chromedp.Click(chromedp.CSS(`form.manage button[type=submit]`)))
	p.Until("the assignee", `document.querySelector('.ticket-assignee') && document.querySelector('.ticket-assignee').textContent === 'Grace Hopper'`)
	// The assignment re-renders the view (and the live stream updates it), so the Close button is clicked from the page
	// itself, once per rendering, until the status shows closed: a click never lands on a node that was just replaced.
	p.Until("the closed ticket", `(() => { const s = document.querySelector('.ticket-status');
		if (s && s.textContent === 'closed') return true;
		const b = document.querySelector('form.manage button.danger');
		if (b && !b.disabled && !b.dataset.clicked) { b.dataset.clicked = '1'; b.click(); }
		return false; })()`)
	p.Screenshot("ticket")

	var tickets struct {
		Items []struct {
			Status   string
			Assignee struct {
				UserID *string `json:"user_id"`
			}
		}
	}
	st.Do(http.MethodGet, "/v1/tickets?channel_id="+channelID, token, nil).JSON(t, &tickets)
	if len(tickets.Items) != 1 || tickets.Items[0].Status != "closed" || tickets.Items[0].Assignee.UserID == nil || *tickets.Items[0].Assignee.UserID != userID {
		t.Fatalf("ticket as stored: %+v", tickets.Items)
	}

	// Editing the channel shows its values, and never its secrets; every type has its own form.
	p.open("#/channels/"+channelID, "Edit Website chat")
	if got := p.Eval(`document.querySelector('[data-field="config.accent_color"]').value`); got != "#2457c5" {
		t.Fatalf("accent colour in the edit form: %q", got)
	}
	if got := p.Eval(`document.querySelector('[data-field="config.allowed_origins"]').value`); got != "https://shop.example.com\nhttp://localhost:3000" {
		t.Fatalf("allowed origins in the edit form: %q", got)
	}
	p.open("#/channels/new", "Connect a channel")
	for _, tf := range [][2]string{{"email", "config.smtp.password"}, {"messenger", "config.page_access_token"}, {"whatsapp", "config.access_token"},
		{"form", "config.form_id"}, {"calling", "config.phone_number"}, {"custom", "config.secret"}, {"chat", "config.font"}} {
		typ, field := tf[0], tf[1]
		p.choose(`[data-field="type"]`, typ)
		p.Until(typ+" form", `!!document.querySelector('[data-field="`+field+`"]')`)
	}
	// A public form with a select field: its options, ticket fields and website settings are stored as typed.
	p.choose(`[data-field="type"]`, "form")
	p.Until("form form", `!!document.querySelector('[data-field="config.subject_field"]')`)
	p.Do("fill the form channel", chromedp.SendKeys(chromedp.CSS(`[data-field="name"]`), "Contact form"),
		chromedp.SendKeys(chromedp.CSS(`[data-field="config.form_id"]`), "contact"),
		chromedp.SendKeys(chromedp.CSS(`[data-field="config.subject_field"]`), "topic"),
		chromedp.Click(chromedp.CSS(`[data-field="config.public"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-field="config.allowed_origins"]`), "https://shop.example.com"),
		chromedp.Click(chromedp.CSS(`#form-fields button:last-child`)))
	p.Until("a form field row", `!!document.querySelector('[data-field="config.fields[0].options"]')`)
	p.Do("a select field", chromedp.SendKeys(chromedp.CSS(`[data-field="config.fields[0].name"]`), "topic"))
	p.choose(`[data-field="config.fields[0].type"]`, "select")
	p.Do("its options", chromedp.SendKeys(chromedp.CSS(`[data-field="config.fields[0].options"]`), "Billing\nShipping\n"),
		chromedp.Click(chromedp.CSS(`form.channel-form button[type=submit]`)))
	p.Until("the form channel in the list", `location.hash === "#/channels" && document.querySelector("main table") && document.querySelector("main table").textContent.includes("Contact form")`)
	st.Do(http.MethodGet, "/v1/channels", token, nil).JSON(t, &chs)
	var formCfg string
	for _, c := range chs.Items {
		if c.Name == "Contact form" {
			formCfg = fmt.Sprintf("%v %v %v %v", c.Config["public"], c.Config["subject_field"], c.Config["allowed_origins"], c.Config["fields"])
		}
	}
	if formCfg != "true topic [https://shop.example.com] [map[name:topic options:[Billing Shipping] type:select]]" {
		t.Fatalf("form channel as stored: %s", formCfg)
	}
	p.open("#/channels/new", "Connect a channel")
	p.choose(`[data-field="type"]`, "chat")
	p.Until("chat form", `!!document.querySelector('[data-field="config.font"]')`)
	if got := p.Eval(`document.querySelector('[data-field="config.font"]') && [...document.querySelectorAll('input[type=password]')].every(e => e.dataset.field === 'config.identity_secret') ? 'ok' : 'bad'`); got != "ok" {
		t.Fatalf("chat form after switching types: %s", got)
	}

	// People: an agent token is shown once.
	p.open("#/people", "People")
	p.Do("issue a token", chromedp.Click(chromedp.CSS(`main table button:nth-child(2)`)))
	p.Until("the agent token", `document.querySelector('#token-box code') && document.querySelector('#token-box code').textContent.length > 10`)
	p.Screenshot("people")

	agentToken := p.Eval(`document.querySelector('#token-box code').textContent`)

	// Sign out: the token leaves sessionStorage.
	p.Do("sign out", chromedp.Click(chromedp.CSS(`#who button`)), chromedp.WaitVisible(chromedp.CSS("#token")))
	if got := p.Eval(`sessionStorage.getItem('routedesk.token') || 'gone'`); got != "gone" {
		t.Fatalf("token after sign out: %s", got)
	}

	// The agent signs in with that token: no admin sections; they set their own availability.
	p.Do("agent signs in", chromedp.SendKeys(chromedp.CSS("#token"), agentToken), chromedp.Click(chromedp.CSS("form.login button[type=submit]")))
	p.Until("the agent's queue", `location.hash === '#/queue' && document.querySelector('h1').textContent === 'Queue'
		&& document.querySelector('#nav a[href="#/channels"]').hidden && !document.querySelector('#nav a[href="#/people"]').hidden`)
	p.open("#/people", "My availability")
	p.choose(`main select`, "away")
	testenv.Eventually(t, 10*time.Second, "the agent away", func() bool {
		return st.Do(http.MethodGet, "/v1/users/"+userID, token, nil).Map(t)["availability"] == "away"
	})
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }
