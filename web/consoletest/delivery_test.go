package consoletest

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestConsoleFailedReplyRetryAndSuppressed: a reply the app refuses is announced
// as not sent with the app's reason, its message shows that reason and a Retry
// button; clicking Retry sends it again (the app now takes it) and the note goes;
// a suppressed reply shows that it was not sent and why.
func TestConsoleFailedReplyRetryAndSuppressed(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.NewStack(t)
	_, token := st.Account("Retry Co", "enterprise")
	var refuse atomic.Bool
	refuse.Store(true)
	var posts atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		posts.Add(1)
		if refuse.Load() {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte("unknown chat tg-9"))
		}
	}))
	t.Cleanup(app.Close)
	r := st.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "custom", "name": "Telegram",
		"config": map[string]any{"app_name": "Telegram", "outbound_url": app.URL + "/hook"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("channel: %d %s", r.Status, r.Body)
	}
	ch := r.Map(t)["id"].(string)
	if in := st.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{"external_id": "tg-1", "thread_id": "tg-9",
		"from": map[string]any{"external_user_id": "tg-9", "name": "Ada"}, "text": "Hello from Telegram"}); in.Status != http.StatusAccepted {
		t.Fatalf("inbound: %d %s", in.Status, in.Body)
	}
	var id string
	testenv.Eventually(t, 20*time.Second, "the ticket", func() bool {
		items := st.Do(http.MethodGet, "/v1/tickets?channel_id="+ch, token, nil).Map(t)["items"].([]any)
		if len(items) == 1 {
			id = items[0].(map[string]any)["id"].(string)
		}
		return id != ""
	})

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.Do("open the console", chromedp.Navigate(st.HTTP.URL+"/console/"), chromedp.WaitVisible(chromedp.CSS("#token")))
	p.Do("log in", chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("form.login button[type=submit]")))
	p.Until("the queue", `location.hash === '#/queue' && document.querySelector('h1').textContent === 'Queue'`)
	p.Do("open the ticket", chromedp.Navigate(p.base+"#/tickets/"+id))
	p.Until("the ticket", `location.hash === '#/tickets/`+id+`' && !!document.querySelector('form.reply textarea')`)
	p.Do("send a reply", chromedp.SendKeys(chromedp.CSS("form.reply textarea"), "We are on it"),
		chromedp.Click(chromedp.CSS("form.reply button[type=submit]")))
	p.Until("the failure announced with its reason, not 'Reply sent.'", `document.getElementById('status').textContent.startsWith('Reply failed: ')
		&& document.getElementById('status').textContent.includes('unknown chat tg-9') && document.getElementById('status').classList.contains('bad')`)
	p.Until("the failed reply's note and Retry button", `!!document.querySelector('.delivery.error button.retry')
		&& document.querySelector('.delivery.error').textContent.includes('unknown chat tg-9')`)
	p.Screenshot("reply-failed")

	refuse.Store(false)
	before := posts.Load()
	p.Do("click Retry", chromedp.Click(chromedp.CSS(".delivery.error button.retry")))
	p.Until("the reply sent again", `document.getElementById('status').textContent === 'Sending the reply again.'`)
	testenv.Eventually(t, 20*time.Second, "the app given the reply again", func() bool { return posts.Load() > before })
	testenv.Eventually(t, 20*time.Second, "the reply sent", func() bool {
		msgs := st.Do(http.MethodGet, "/v1/tickets/"+id+"/messages", token, nil).Map(t)["items"].([]any)
		return msgs[len(msgs)-1].(map[string]any)["status"] == "sent"
	})
	p.Do("reload the ticket", chromedp.Reload())
	p.Until("no delivery note left", `!!document.querySelector('form.reply textarea') && !document.querySelector('.delivery')`)

	// A suppressed reply (an admin's in Messenger's human-agent window; the API test covers how it comes
	// about) shows that it was not sent, and why, without a Retry button.
	msgs := st.Do(http.MethodGet, "/v1/tickets/"+id+"/messages", token, nil).Map(t)["items"].([]any)
	last := msgs[len(msgs)-1].(map[string]any)["id"].(string)
	if _, err := st.Store.DB().Exec(`UPDATE messages SET status = 'suppressed', failure_reason = 'not sent: an automated reply in the human-agent window; reply with an agent''s token' WHERE id = $1`, last); err != nil {
		t.Fatal(err)
	}
	p.Do("reload the ticket", chromedp.Reload())
	p.Until("the suppressed reply's note", `!!document.querySelector('.delivery.error')
		&& document.querySelector('.delivery.error').textContent.includes("reply with an agent's token")
		&& !document.querySelector('.delivery.error button.retry')`)
	p.Screenshot("reply-suppressed")
}
