package consoletest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/reportdata"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/server"
)

// TestConsoleReports: an admin opens the Reports page on seeded tickets, sees the tiles with the
// range's totals, both charts drawn by uPlot and the table, regroups by channel, and an agent has no
// Reports link.
func TestConsoleReports(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.Store(t)
	bg := context.Background()
	acc, admin, err := st.CreateAccount(bg, "Reports Co", domain.TierStarter, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(bg, `INSERT INTO channels (id, account_id, type, name) VALUES ('ch_r1', $1, 'chat', 'Web chat'), ('ch_r2', $1, 'email', 'Support mail')`, acc.ID); err != nil {
		t.Fatal(err)
	}
	// Ten tickets over the last ten days: first responses of 2, 4, … 20 minutes (median 11 min),
	// resolutions of 1 to 10 hours (median 5 h 30 min), ratings 5 and 2 alternating.
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -10)
	var ts []reportdata.Ticket
	for i := range 10 {
		ch := "ch_r1"
		if i%2 == 1 {
			ch = "ch_r2"
		}
		ts = append(ts, reportdata.Ticket{ID: "tkt_r" + string(rune('a'+i)), ChannelID: ch, Created: day.AddDate(0, 0, i).Add(9 * time.Hour),
			FirstResponse: time.Duration(2*(i+1)) * time.Minute, Resolution: time.Duration(i+1) * time.Hour,
			Rating: 5 - 3*(i%2), Answered: day.AddDate(0, 0, i).Add(20 * time.Hour)})
	}
	if err := reportdata.Insert(bg, st.DB(), acc.ID, ts); err != nil {
		t.Fatal(err)
	}
	api := server.New(st, nil, server.Config{}, slog.New(slog.DiscardHandler), nil, nil)
	hs := httptest.NewServer(api.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(api.CloseStreams) // first: the console's open event stream would hold hs.Close

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: hs.URL + "/console/"}
	p.login(admin)
	p.Until("the Reports link", `!document.querySelector('#nav a[href="#/reports"]').hidden`)
	from, to := day.Format(time.DateOnly), time.Now().UTC().Format(time.DateOnly)
	p.open("#/reports?from="+from+"&to="+to+"&interval=day&group_by=none&tz=UTC", "Reports")
	tile := func(metric string) string {
		return `(document.querySelector('.tile[data-metric="` + metric + `"] .tile-value') || {}).textContent`
	}
	p.Until("the volume tile", tile("created")+` === '10'`)
	p.Until("the first response tile", tile("first_response")+` === '11 min'`)
	p.Until("the resolution tile", tile("resolution")+` === '5 h 30 min'`)
	p.Until("the CSAT tile", tile("csat")+` === '3.50 / 5'`)
	p.Until("the SLA tile (no policy: nothing decided)", tile("sla")+` === '—'`)
	p.Until("both charts drawn on canvases", `document.querySelectorAll('.report-chart .uplot canvas').length === 2`)
	p.Until("the volume chart's legend", `[...document.querySelectorAll('.chart-volume .u-legend .u-series:not(:first-child) .u-label')].map((e) => e.textContent).join() === 'Created,Solved'`)
	p.Until("a table row per day", `document.querySelectorAll('.report-table tbody tr').length === 11`)
	p.Screenshot("reports")

	p.choose(`select[name="group_by"]`, "channel")
	p.Do("show by channel", chromedp.Click(`.report-form button[type=submit]`))
	p.Until("a series per channel", `[...document.querySelectorAll('.chart-volume .u-legend .u-series:not(:first-child) .u-label')].map((e) => e.textContent).join() === 'Support mail,Web chat'`)
	p.Until("a row per day and channel", `document.querySelectorAll('.report-table tbody tr').length === 22`)

	p.clear(`input[name="tz"]`)
	p.Do("type a bad zone", chromedp.SendKeys(`input[name="tz"]`, "Mars/Olympus"), chromedp.Click(`.report-form button[type=submit]`))
	p.Until("the zone refused next to its field", `document.querySelector('input[name="tz"]').getAttribute('aria-invalid') === 'true'`)

	if _, err := st.DB().ExecContext(bg, `INSERT INTO users (id, account_id, email, name) VALUES ('usr_r', $1, 'agent@reports.test', 'Agent')`, acc.ID); err != nil {
		t.Fatal(err)
	}
	agent, err := st.CreateUserToken(bg, acc.ID, "usr_r", domain.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	p.Do("sign out", chromedp.Click(`#who button`))
	p.login(agent)
	p.Until("no Reports link for an agent", `document.querySelector('#nav a[href="#/reports"]').hidden`)
}
