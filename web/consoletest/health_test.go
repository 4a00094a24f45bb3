package consoletest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/health"
	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestConsoleShowsChannelHealth: the channel list shows each channel's health
// as a badge, a failing one with its reason for the admin to act on.
func TestConsoleShowsChannelHealth(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.NewStack(t)
	_, token := st.Account("Health Co", "enterprise")
	mk := func(name string) string {
		r := st.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "custom", "name": name,
			"config": map[string]any{"app_name": name, "outbound_url": "https://app.example.com/replies"}})
		if r.Status != http.StatusCreated {
			t.Fatalf("channel: %d %s", r.Status, r.Body)
		}
		return r.Map(t)["id"].(string)
	}
	mk("Healthy app")
	broken := mk("Broken app")
	refused := health.Fail("The app's outbound_url answered 401 Unauthorized: check the app's credentials", true, errors.New("401"))
	st.Store.RecordHealth(context.Background(), broken, health.Endpoint, refused)

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: st.HTTP.URL + "/console/"}
	p.Do("open the console", chromedp.Navigate(st.HTTP.URL+"/console/"), chromedp.WaitVisible(chromedp.CSS("#token")))
	p.Do("log in", chromedp.SendKeys(chromedp.CSS("#token"), token), chromedp.Click(chromedp.CSS("form.login button[type=submit]")))
	p.Until("the queue", `location.hash === '#/queue' && document.querySelector('h1').textContent === 'Queue'`)
	p.open("#/channels", "Channels")
	p.Until("the health badges", `document.querySelectorAll('main [data-health]').length === 2`)
	got := p.Eval(`[...document.querySelectorAll('main tbody tr')].map(tr => tr.cells[0].textContent + '=' + tr.querySelector('[data-health]').textContent + '|' + tr.querySelector('[data-health]').title).join('\n')`)
	want := []string{"Broken app=failing: " + refused.Error(), "Healthy app=ok|Working."}
	for _, w := range want {
		if !containsLine(got, w) {
			t.Fatalf("channel list health:\n%s\nwant a line starting %q", got, w)
		}
	}
	p.Screenshot("channel-health")
}

func containsLine(text, prefix string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}
