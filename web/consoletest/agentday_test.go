package consoletest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
)

// agentFor creates a user with a service profile and returns its id and an agent token.
func agentFor(t *testing.T, st *testenv.Stack, admin, email, name, availability string) (string, string) {
	t.Helper()
	u := st.Do(http.MethodPost, "/v1/users", admin, map[string]any{"email": email, "name": name, "has_profile": true, "availability": availability})
	if u.Status != http.StatusCreated {
		t.Fatalf("user %s: %d %s", email, u.Status, u.Body)
	}
	id := u.Map(t)["id"].(string)
	return id, st.Do(http.MethodPost, "/v1/users/"+id+"/tokens", admin, map[string]any{"role": "agent"}).Map(t)["token"].(string)
}

// visitor opens a chat session on the channel as a website visitor and returns its visitor token.
func visitor(t *testing.T, st *testenv.Stack, channelID, name, email string) string {
	t.Helper()
	body := map[string]any{"name": name}
	if email != "" {
		body["email"] = email
	}
	r := st.Do(http.MethodPost, "/chat/v1/"+channelID+"/sessions", "", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("chat session: %d %s", r.Status, r.Body)
	}
	return r.Map(t)["visitor_token"].(string)
}

// say posts a visitor's chat message through the widget's API.
func say(t *testing.T, st *testenv.Stack, channelID, token, clientID, text string) {
	t.Helper()
	if r := st.Do(http.MethodPost, "/chat/v1/"+channelID+"/messages", token, map[string]any{"client_id": clientID, "text": text}); r.Status != http.StatusAccepted {
		t.Fatalf("chat message: %d %s", r.Status, r.Body)
	}
}

// ticketOf waits until the channel has a ticket whose subject contains text and returns its id.
func ticketOf(t *testing.T, st *testenv.Stack, admin, channelID, text string) string {
	t.Helper()
	var id string
	testenv.Eventually(t, 30*time.Second, "the ticket of "+text, func() bool {
		var l struct {
			Items []struct{ ID, Subject string }
		}
		st.Do(http.MethodGet, "/v1/tickets?channel_id="+channelID, admin, nil).JSON(t, &l)
		for _, tk := range l.Items {
			if strings.Contains(tk.Subject, text) {
				id = tk.ID
			}
		}
		return id != ""
	})
	return id
}

// ticketStatus is a ticket's status as the API answers it.
func ticketStatus(t *testing.T, st *testenv.Stack, token, id string) string {
	t.Helper()
	var tk struct{ Status string }
	st.Do(http.MethodGet, "/v1/tickets/"+id, token, nil).JSON(t, &tk)
	return tk.Status
}

// TestConsoleAgentDay: an agent's day in the console. Grace searches the inbox, opens the customer's
// ticket, writes an internal note mentioning Alan (chosen from the @ list), replies, sets it pending;
// the customer answers through the chat widget's API and the ticket is open again; Grace solves it.
// The note never reaches the customer; Alan finds the mention in his notifications and opens the ticket.
func TestConsoleAgentDay(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.NewStack(t)
	_, admin := st.Account("Day Co", "enterprise")
	_, grace := agentFor(t, st, admin, "grace@example.com", "Grace Hopper", "available")
	alanID, alan := agentFor(t, st, admin, "alan@example.com", "Alan Turing", "away")
	ch := st.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Website chat"}).Map(t)["id"].(string)
	ada := visitor(t, st, ch, "Ada Lovelace", "ada@example.com")
	say(t, st, ch, ada, "c-1", "My desk lamp flickers")
	say(t, st, ch, visitor(t, st, ch, "Bob Smith", "bob@example.com"), "c-2", "Where is my parcel?")
	id := ticketOf(t, st, admin, ch, "lamp")
	ticketOf(t, st, admin, ch, "parcel")

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.login(grace)
	p.Until("her name in the header", `document.getElementById('who-name')?.textContent === 'Grace Hopper (agent)'`)

	// Search: the inbox's All open view, "lamp" in the search box.
	p.Do("the inbox", chromedp.Click(chromedp.CSS(`#nav a[href="#/inbox"]`)))
	p.Until("the views with their counts", `(() => { const c = (v) => { const b = document.querySelector('#views [data-count="' + v + '"]'); return b && b.textContent; };
		return document.querySelector('main h1')?.textContent === 'Mine' && c('mine') === '0' && c('unassigned') === '2' && c('open') === '2'; })()`)
	p.Do("all open", chromedp.Click(chromedp.CSS(`#views li[data-view="open"] a`)))
	p.Until("both tickets", `document.querySelector('main h1')?.textContent === 'All open' && document.querySelectorAll('tr[data-ticket]').length === 2`)
	p.Do("search", chromedp.SendKeys(chromedp.CSS(`#ticket-search`), "lamp\r"))
	p.Until("the one match, named", `location.hash === '#/inbox?view=open&q=lamp' && document.querySelectorAll('tr[data-ticket]').length === 1
		&& document.querySelector('tr[data-ticket="`+id+`"] td.contact')?.textContent === 'Ada Lovelace'
		&& document.querySelector('tr[data-ticket] td.assignee')?.textContent === '—'`)
	p.Screenshot("inbox-search")

	// Open it; "i" opens the note box; @al lists Alan; Enter chooses him.
	p.Do("open the ticket", chromedp.Click(chromedp.CSS(`tr[data-ticket] td:nth-child(2) a`)))
	p.Until("the ticket", `location.hash === '#/tickets/`+id+`' && document.querySelector('.thread')?.textContent.includes('My desk lamp flickers')`)
	p.Do("i opens the note box", chromedp.Click(chromedp.CSS(`main h1`)), chromedp.KeyEvent("i"))
	p.Until("the note box focused", `!document.getElementById('note-form')?.hidden && document.activeElement.id === 'note-text'`)
	p.Do("type a mention", chromedp.SendKeys(chromedp.CSS(`#note-text`), "Warranty case? @al"))
	p.Until("Alan offered", `(() => { const o = document.querySelector('#mention-list li.active'); return !document.getElementById('mention-list')?.hidden
		&& o && o.dataset.user === '`+alanID+`' && o.textContent.includes('Alan Turing'); })()`)
	p.Screenshot("note-mention")
	p.Do("choose him", chromedp.KeyEvent("\r"))
	p.Until("the list closed", `document.getElementById('mention-list')?.hidden`)
	p.Do("finish the note", chromedp.SendKeys(chromedp.CSS(`#note-text`), "please check."))
	p.Until("the mention written", `document.getElementById('note-text')?.value === 'Warranty case? @alan@example.com please check.'`)
	p.Do("add the note", chromedp.Click(chromedp.CSS(`#note-form button[type=submit]`)))
	p.Until("the note in the thread", `(() => { const n = document.querySelector('.thread li.note-item'); return n && n.textContent.includes('@alan@example.com please check.')
		&& n.textContent.includes('Internal note') && n.textContent.includes('Grace Hopper'); })()`)

	// Reply, then pending.
	p.Do("reply", chromedp.SendKeys(chromedp.CSS(`form.reply textarea`), "Thanks Ada, we are on it."), chromedp.Click(chromedp.CSS(`form.reply button[type=submit]`)))
	p.Until("the reply sent, by name", `(() => { const li = document.querySelector('.thread li.outbound'); return li && li.dataset.status === 'sent'
		&& li.querySelector('.meta').textContent.startsWith('Grace Hopper ·'); })()`)
	p.choose(`#ticket-status-select`, "pending")
	p.Do("set pending", chromedp.Click(chromedp.CSS(`#ticket-status-set`)))
	// The live stream shows the status first; the view's own refresh after the change comes after it
	// and replaces the editors, so wait for that before typing into them.
	p.Until("pending", `document.querySelector('.ticket-status')?.textContent === 'pending'
		&& document.querySelector('#ticket-status-select option:checked')?.textContent === 'pending (now)'`)
	p.Do("a tag", chromedp.SendKeys(chromedp.CSS(`#ticket-tag-input`), "warranty"), chromedp.Click(chromedp.CSS(`#ticket-tag-add`)))
	p.Until("the tag", `!!document.querySelector('.tags li[data-tag="warranty"]')`)
	// A reply draft survives the view's refresh after a change made beside it.
	p.Do("a draft", chromedp.SendKeys(chromedp.CSS(`#reply-text`), "Draft: a new lamp is on its way"))
	p.choose(`#ticket-priority-select`, "high")
	p.Do("set the priority", chromedp.Click(chromedp.CSS(`#ticket-priority-set`)))
	p.Until("high, the draft kept", `document.querySelector('#ticket-priority-select option:checked')?.value === 'high'
		&& document.querySelector('.ticket-priority')?.textContent === 'high'
		&& document.getElementById('reply-text')?.value === 'Draft: a new lamp is on its way'`)
	p.Eval(`document.getElementById('reply-text').value = ''`) // discard the draft
	p.Screenshot("ticket-note-and-editors")

	// The customer answers through the widget: the ticket is open again.
	say(t, st, ch, ada, "c-3", "It still flickers after the new bulb")
	testenv.Eventually(t, 30*time.Second, "the ticket reopened", func() bool { return ticketStatus(t, st, admin, id) == "open" })
	p.Do("reload the ticket", chromedp.Reload())
	p.Until("the answer after the note and the reply, the ticket open", `(() => { const li = [...document.querySelectorAll('.thread > li')];
		const at = (f) => li.findIndex(f);
		const note = at((e) => e.classList.contains('note-item')), reply = at((e) => e.classList.contains('outbound')),
			answer = at((e) => e.classList.contains('inbound') && e.textContent.includes('new bulb'));
		return note >= 0 && note < reply && reply < answer && document.querySelector('.ticket-status')?.textContent === 'open'; })()`)
	p.choose(`#ticket-status-select`, "solved")
	p.Do("solve", chromedp.Click(chromedp.CSS(`#ticket-status-set`)))
	p.Until("solved, with Reopen offered", `document.querySelector('.ticket-status')?.textContent === 'solved' && !!document.getElementById('ticket-reopen')`)
	if s := ticketStatus(t, st, admin, id); s != "solved" {
		t.Fatalf("ticket status %s, want solved", s)
	}
	var events struct{ Items []struct{ Kind string } }
	st.Do(http.MethodGet, "/v1/tickets/"+id+"/events?limit=100", admin, nil).JSON(t, &events)
	kinds := []string{}
	for _, e := range events.Items {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Contains(kinds, "NoteAdded") || !slices.Contains(kinds, "TicketReopened") {
		t.Fatalf("audit trail %v lacks the note or the reopen", kinds)
	}

	// The note never reached the customer.
	var conv struct {
		Items []struct{ Direction, Text string }
	}
	st.Do(http.MethodGet, "/chat/v1/"+ch+"/messages", ada, nil).JSON(t, &conv)
	outbound := 0
	for _, m := range conv.Items {
		if strings.Contains(m.Text, "Warranty") {
			t.Fatalf("the internal note reached the visitor: %+v", conv.Items)
		}
		if m.Direction == "outbound" {
			outbound++
		}
	}
	if outbound != 1 {
		t.Fatalf("the visitor got %d replies, want 1: %+v", outbound, conv.Items)
	}

	// "?" lists the note shortcut as available.
	p.Do("? lists the shortcuts", chromedp.Click(chromedp.CSS(`main h1`)), chromedp.KeyEvent("?"))
	p.Until("i listed", `(() => { const d = document.getElementById('shortcuts'); return d && d.open && d.textContent.includes('Internal note: open the note box')
		&& !d.querySelector('tr.muted'); })()`)
	p.Do("close the list", chromedp.KeyEvent("\x1b"))

	// Alan signs in: one unread notification; opening it marks it read and shows the ticket.
	p.Do("sign out", chromedp.Click(chromedp.CSS(`#who button`)), chromedp.WaitVisible(chromedp.CSS("#token")))
	p.login(alan)
	p.Until("one unread", `document.getElementById('notifications-count')?.textContent === '1'`)
	p.Do("open the notifications", chromedp.Click(chromedp.CSS(`#notifications-open`)))
	p.Until("the mention, by name", `(() => { const li = document.querySelector('.notification-list li.unread'); return li
		&& li.textContent.includes('Grace Hopper mentioned you on “My desk lamp flickers”'); })()`)
	p.Screenshot("notifications")
	p.Do("open it", chromedp.Click(chromedp.CSS(`.notification-list li a`)))
	p.Until("the ticket and nothing unread", `location.hash === '#/tickets/`+id+`' && document.getElementById('notifications-count')?.textContent === '0'
		&& !!document.querySelector('.thread li.note-item')`)
	var notes struct {
		Items []struct {
			ReadAt *string `json:"read_at"`
		}
	}
	st.Do(http.MethodGet, "/v1/notifications", alan, nil).JSON(t, &notes)
	if len(notes.Items) != 1 || notes.Items[0].ReadAt == nil {
		t.Fatalf("Alan's notifications: %+v", notes.Items)
	}
}
