package widgettest

import (
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestWidgetRatesSurvey: a solved chat ticket's satisfaction survey appears in the widget on a shop's page
// (another origin) with five rating buttons; a click stores the rating on the ticket.
func TestWidgetRatesSurvey(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	s := testenv.NewStack(t)
	ctx := browser(t, 1280, 800) // after the stack: closed first, so no open event stream holds the servers' Close
	_, admin := s.Account("Acme", "starter")
	require.Equal(t, http.StatusOK, s.Do(http.MethodPatch, "/v1/account/settings", admin, map[string]any{"csat_delay_seconds": 1}).Status)
	var ch string
	shop := shopServer(t, s.HTTP.URL, &ch)
	r := s.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Shop chat",
		"config": map[string]any{"allowed_origins": []string{shop}}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	ch = r.Map(t)["id"].(string)
	p := newPage(t, ctx)
	p.Do("open the shop", chromedp.Navigate(shop+"/"))
	p.Until("the launcher", shadow(".launch")+` !== null`)
	p.Eval(`(` + shadow(".launch") + `.click(), 'ok')`)
	p.Until("the open panel", `!`+shadow(".panel")+`.hidden`)
	p.Eval(`(` + shadow("#rd-text") + `.focus(), 'ok')`)
	p.Do("type a message and press Enter", chromedp.KeyEvent("My parcel is late"), chromedp.KeyEvent("\r"))
	var id string
	testenv.Eventually(t, 20*time.Second, "the widget's ticket", func() bool {
		ts := ticketsOf(t, s, admin, ch)
		if len(ts) == 1 && ts[0]["routing_state"] != "routing" {
			id = ts[0]["id"].(string)
			return true
		}
		return false
	})
	r = s.Do(http.MethodPatch, "/v1/tickets/"+id, admin, map[string]any{"status": "solved"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))

	p.Until("the survey's rating buttons", shadow(".rate")+` !== null && `+shadow(".rate")+`.querySelectorAll('button').length === 5`)
	p.Screenshot("chat-widget-csat")
	p.Eval(`(` + shadow(`.rate button[data-rating="4"]`) + `.click(), 'ok')`)
	p.Until("the thanks", shadow(".rate .rated")+`.textContent === 'Thank you! You rated 4 of 5.' && `+
		shadow(`.rate button[data-rating="4"]`)+`.getAttribute('aria-pressed') === 'true'`)
	c := s.Do(http.MethodGet, "/v1/tickets/"+id, admin, nil).Map(t)["csat"].(map[string]any)
	require.Equal(t, "answered", c["state"])
	require.Equal(t, float64(4), c["rating"])
}
