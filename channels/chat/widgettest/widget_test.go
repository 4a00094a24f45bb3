package widgettest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// hostPage is a shop's page on another origin: one script tag, and CSS that would wreck an unisolated widget.
const hostPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop</title><style>*{font-family:"Comic Sans MS",cursive!important} button{background:#0f0!important;width:10px!important}
ol,li,p{display:none!important}</style></head>
<body><h1>Acme shop</h1><p>Products…</p>
<script src="%s/widget.js" data-channel="%s" async></script></body></html>`

// shopServer serves hostPage for channel ch at http://localhost:<port>/ (another origin than the API's 127.0.0.1).
func shopServer(t *testing.T, api string, ch *string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostPage, api, *ch)
	}))
	hs.Listener = l
	hs.Start()
	t.Cleanup(hs.Close)
	return "http://localhost:" + strings.TrimPrefix(hs.URL, "http://127.0.0.1:")
}

func ticketsOf(t *testing.T, s *testenv.Stack, token, ch string) []map[string]any {
	r := s.Do(http.MethodGet, "/v1/tickets?channel_id="+ch, token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	var out []map[string]any
	for _, it := range r.Map(t)["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func TestWidgetInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	s := testenv.NewStack(t)
	ctx := browser(t, 1280, 800) // after the stack: closed first, so no open event stream holds the servers' Close
	_, admin := s.Account("Acme", "starter")
	var ch string
	shop := shopServer(t, s.HTTP.URL, &ch)
	r := s.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Shop chat", "config": map[string]any{
		"accent_color": "#c2185b", "font": "Georgia", "greeting": "Hi! How can we help?", "away_message": "We're away.",
		"allowed_origins": []string{shop}}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	ch = r.Map(t)["id"].(string)
	p := newPage(t, ctx)

	p.Do("open the shop", chromedp.Navigate(shop+"/"))
	p.Until("the launcher in the accent color", shadow(".launch")+` && getComputedStyle(`+shadow(".launch")+`).backgroundColor === 'rgb(194, 24, 91)'`)
	require.Contains(t, p.Eval(`getComputedStyle(document.querySelector('h1')).fontFamily`), "Comic Sans", "the host page's CSS applies on the page")
	require.Equal(t, "56px", p.Eval(`getComputedStyle(`+shadow(".launch")+`).width`), "and not inside the widget")
	require.Equal(t, "Open chat", p.Eval(shadow(".launch")+`.getAttribute('aria-label')`))

	// Keyboard: focus the launcher, Enter opens the panel with the message box focused.
	p.Eval(`(` + shadow(".launch") + `.focus(), 'ok')`)
	p.Do("press Enter on the launcher", chromedp.KeyEvent("\r"))
	p.Until("the open panel with the greeting", `!`+shadow(".panel")+`.hidden && `+shadow(".log")+`.innerText.includes('Hi! How can we help?')`)
	p.Until("the message box focused", `document.querySelector('[data-routedesk-chat]').shadowRoot.activeElement === `+shadow("#rd-text"))
	require.Contains(t, p.Eval(`getComputedStyle(`+shadow(".w")+`).fontFamily`), "Georgia")
	require.Equal(t, "list-item", p.Eval(`getComputedStyle(`+shadow(".log li")+`).display`), "the host's li{display:none} does not reach the widget")
	require.Equal(t, "Message", p.Eval(shadow("label[for=rd-text]")+`.textContent`))

	p.Do("type a message and press Enter", chromedp.KeyEvent("Where is my order #1042?"), chromedp.KeyEvent("\r"))
	p.Until("the message stored", shadow(".log .in[data-id]")+` !== null`)
	var ticket map[string]any
	testenv.Eventually(t, 20*time.Second, "the widget's ticket", func() bool {
		ts := ticketsOf(t, s, admin, ch)
		if len(ts) == 1 && ts[0]["routing_state"] != "routing" {
			ticket = ts[0]
			return true
		}
		return false
	})
	require.Equal(t, "Where is my order #1042?", ticket["subject"])

	// The agent's reply appears in the open widget within a second.
	start := time.Now()
	r = s.Do(http.MethodPost, "/v1/tickets/"+ticket["id"].(string)+"/replies", admin, map[string]any{"text": "It left our warehouse today."})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	p.Until("the agent's reply", shadow(".log")+`.innerText.includes('It left our warehouse today.')`)
	took := time.Since(start)
	t.Logf("agent reply (API call included) → visible in the widget: %s", took)
	require.Less(t, took, time.Second)
	p.Screenshot("chat-widget")

	// Reload: the history comes back from the stored token; a reply while closed shows an unread badge.
	p.Do("reload", chromedp.Reload())
	p.Until("the history after a reload", shadow(".log")+` && `+shadow(".log")+`.querySelectorAll('li[data-id]').length === 2`)
	require.Equal(t, "2", p.Eval(`String(`+shadow(".log")+`.querySelectorAll('li[data-id]').length)`))
	require.Len(t, ticketsOf(t, s, admin, ch), 1, "still one ticket")
	testenv.Eventually(t, 5*time.Second, "the reloaded page's EventSource connected", func() bool { return s.Metric("routedesk_chat_streams_open") == 1 })
	r = s.Do(http.MethodPost, "/v1/tickets/"+ticket["id"].(string)+"/replies", admin, map[string]any{"text": "Anything else?"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	p.Until("the unread badge", `!`+shadow(".badge")+`.hidden && `+shadow(".badge")+`.textContent === '1'`)
	require.Equal(t, "Open chat, 1 unread", p.Eval(shadow(".launch")+`.getAttribute('aria-label')`))
	p.Eval(`(` + shadow(".launch") + `.click(), 'ok')`)
	p.Until("the reply in the panel and the badge gone", shadow(".log")+`.innerText.includes('Anything else?') && `+shadow(".badge")+`.hidden`)
	p.Do("Escape closes the panel", chromedp.KeyEvent("\x1b"))
	p.Until("the panel closed", shadow(".panel")+`.hidden`)
}

func TestWidgetAwayOutsideBusinessHoursOnAPhone(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	s := testenv.NewStack(t)
	ctx := browser(t, 390, 844)
	_, admin := s.Account("Acme", "starter")
	var ch string
	shop := shopServer(t, s.HTTP.URL, &ch)
	// Open one minute a week, never now: the widget is away and says when it opens.
	now := time.Now().UTC()
	closedDay := now.Add(72 * time.Hour).Format("Mon")
	r := s.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Shop chat", "config": map[string]any{
		"accent_color": "#2e7d32", "away_message": "We're closed — leave a message and your email.", "allowed_origins": []string{shop},
		"availability": map[string]any{"mode": "business_hours", "timezone": "UTC", "hours": closedDay + " 09:00-09:01"}}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	ch = r.Map(t)["id"].(string)
	p := newPage(t, ctx)

	p.Do("open the shop on a phone", chromedp.Navigate(shop+"/"))
	p.Until("the launcher", shadow(".launch")+` !== null`)
	p.Eval(`(` + shadow(".launch") + `.click(), 'ok')`)
	p.Until("the away notice", `!`+shadow(".away")+`.hidden && `+shadow(".away")+`.innerText.includes("We're closed") && `+shadow(".next")+`.textContent.startsWith("We're back")`)
	require.Equal(t, "We're away", p.Eval(shadow(".status")+`.textContent`))
	require.Equal(t, "390px", p.Eval(`getComputedStyle(`+shadow(".panel")+`).width`), "the panel fills a phone's width")

	p.Eval(`(` + shadow("#rd-email") + `.focus(), 'ok')`)
	p.Do("type an email", chromedp.KeyEvent("sam@example.com\r"))
	p.Until("the email saved", shadow(".saved")+`.textContent.includes('sam@example.com')`)
	p.Eval(`(` + shadow("#rd-text") + `.focus(), 'ok')`)
	p.Do("leave a message", chromedp.KeyEvent("Please call me back\r"))
	p.Until("the message stored", shadow(".log .in[data-id]")+` !== null`)
	p.Screenshot("chat-widget-away-phone")
	var unverified string
	require.NoError(t, s.Store.DB().Get(&unverified, `SELECT unverified_email FROM chat_visitors WHERE channel_id = $1`, ch))
	require.Equal(t, "sam@example.com", unverified)
	testenv.Eventually(t, 20*time.Second, "the ticket taken outside hours", func() bool { return len(ticketsOf(t, s, admin, ch)) == 1 })
}
