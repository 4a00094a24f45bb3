package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/routedesk/routedesk/internal/rounds"
)

// intakeRounds measures the 2× round again with ROUTEDESK_INTAKE_LIMIT set
// to limit (0: skipped): each run measures the routed rate without the limit,
// restarts the installation with it, posts at 2× that rate for burstFor as
// senders that honour Retry-After do, and restarts without it. It returns
// the table's rows.
func intakeRounds(t *testing.T, d *devInstall, tg rounds.Target, channel func(string) string, limit, runs, maxN int, burstFor time.Duration) [][3]string {
	t.Helper()
	if limit <= 0 {
		return nil
	}
	base := d.env
	defer func() { d.env = base }()
	var ratio, least, p50, p99, refused, drained, backlogMax []float64
	for run := 1; run <= runs; run++ {
		top, err := tg.MeasureMaxRate(channel(fmt.Sprint("limited-max-", run)), fmt.Sprint("lmax", run), maxN, 32, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		d.kill()
		d.env = append(append([]string(nil), base...), fmt.Sprint("ROUTEDESK_INTAKE_LIMIT=", limit))
		d.start()
		burst, err := tg.AtRate(channel(fmt.Sprint("limited-burst-", run)), fmt.Sprint("lburst", run), 2*top.Rate, burstFor, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		d.kill()
		d.env = base
		d.start()
		t.Logf("intake limit %d, run %d: max %.1f/s; 2×: %+v", limit, run, top.Rate, burst)
		ratio, least = append(ratio, burst.TicketRate/top.Rate), append(least, burst.MinTicketRate/top.Rate)
		p50, p99 = append(p50, burst.AcceptP50.Seconds()), append(p99, burst.AcceptP99.Seconds())
		refused, drained = append(refused, float64(burst.Refused)/float64(max(burst.Posted, 1))), append(drained, burst.DrainAfter.Seconds())
		backlogMax = append(backlogMax, float64(burst.BacklogMax))
	}
	return [][3]string{
		{fmt.Sprintf("2× for %s with ROUTEDESK_INTAKE_LIMIT=%d: tickets/s ÷ routed rate (measured just before, without the limit)", burstFor, limit), mmm("%.2f", ratio), "≥ 0.9"},
		{"… least 5-s stretch ÷ routed rate", mmm("%.2f", least), ""},
		{"… refusals (503 + Retry-After) per message posted", mmm("%.2f", refused), ""},
		{"… due → accepted p50 / p99, s (senders wait Retry-After)", mmm("%.1f", p50) + " / " + mmm("%.1f", p99), ""},
		{"… largest backlog / drained after, s", mmm("%.0f", backlogMax) + " / " + mmm("%.1f", drained), "drains right after"},
	}
}
