package widgettest

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
)

// TestWidgetWaitsOutTheIntakeLimit: while the desk is over its intake limit
// (ROUTEDESK_INTAKE_LIMIT) a visitor's message is answered 503 with a
// Retry-After; the widget keeps it pending, says the desk is busy and when it
// tries again, and sends it on its own once the backlog has drained: it is
// stored once and becomes a ticket.
func TestWidgetWaitsOutTheIntakeLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	const limit = 3
	s := testenv.NewStack(t, testenv.WithServerConfig(func(c *server.Config) { c.IntakeLimit = limit }))
	ctx := browser(t, 1280, 800)
	runCtx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go s.API.Redrive(runCtx, time.Minute, time.Minute) // the intake gate counts the backlog from the redrive loop
	_, admin := s.Account("Acme", "starter")
	var ch string
	shop := shopServer(t, s.HTTP.URL, &ch)
	r := s.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Shop chat", "config": map[string]any{
		"greeting": "Hi!", "allowed_origins": []string{shop}}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	ch = r.Map(t)["id"].(string)

	// A backlog at the limit: messages stored on another channel and left waiting for their workflow.
	o := s.Do(http.MethodPost, "/v1/channels", admin, map[string]any{"type": "chat", "name": "Backlog", "config": map[string]any{}})
	require.Equal(t, http.StatusCreated, o.Status, string(o.Body))
	other := o.Map(t)["id"].(string)
	for i := range limit {
		m := s.Do(http.MethodPost, "/v1/channels/"+other+"/messages", admin, map[string]any{
			"external_id": fmt.Sprint("b", i), "thread_id": fmt.Sprint("b", i), "text": "waiting"})
		require.Equal(t, http.StatusAccepted, m.Status, string(m.Body))
	}
	_, err := s.Store.DB().Exec(`UPDATE messages SET delivered_at = NULL, delivery_next_at = now() + interval '1 hour' WHERE channel_id = $1`, other)
	require.NoError(t, err)
	testenv.Eventually(t, 5*time.Second, "the intake gate shut", func() bool { return s.Metric("routedesk_intake_refusing") == 1 })

	p := newPage(t, ctx)
	p.Do("open the shop and the chat", chromedp.Navigate(shop+"/"))
	p.Until("the launcher", shadow(".launch")+` !== null`)
	p.Eval(`(` + shadow(".launch") + `.click(), 'ok')`)
	p.Until("the open panel", `!`+shadow(".panel")+`.hidden`)
	p.Do("send a message", chromedp.KeyEvent("Is anyone there?"), chromedp.KeyEvent("\r"))
	p.Until("the desk is busy, the message pending", shadow(".w")+`.innerText.includes('The desk is busy; sending again in') && `+
		shadow(".log .in.pending")+` !== null && `+shadow(".log .in.failed")+` === null`)
	p.Screenshot("chat-widget-busy")
	require.GreaterOrEqual(t, s.Metric("routedesk_intake_refused_total"), float64(1))

	// The backlog drains: the widget's next try goes through, once.
	_, err = s.Store.DB().Exec(`UPDATE messages SET delivered_at = now(), delivery_next_at = NULL WHERE channel_id = $1`, other)
	require.NoError(t, err)
	p.Until("the message stored", shadow(".log .in[data-id]")+` !== null && !`+shadow(".w")+`.innerText.includes('The desk is busy')`)
	testenv.Eventually(t, 20*time.Second, "the widget's ticket", func() bool {
		ts := ticketsOf(t, s, admin, ch)
		return len(ts) == 1 && ts[0]["subject"] == "Is anyone there?"
	})
	var n int
	require.NoError(t, s.Store.DB().Get(&n, `SELECT count(*) FROM messages WHERE channel_id = $1 AND direction = 'inbound'`, ch))
	require.Equal(t, 1, n, "stored once")
}
