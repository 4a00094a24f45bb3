package bench

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/searchdata"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestSearchIngestCost measures what the ticket text vector (migration 00240) adds to
// storing a message: on a generated account (ROUTEDESK_BENCH_SEARCH_TICKETS / 10 tickets,
// _MESSAGES / 10 messages), ROUTEDESK_BENCH_INGEST_N single-row message INSERTs (each its
// own transaction, into conversations with a ticket), in alternating blocks of 100 with the
// trigger messages_ticket_text enabled and disabled, so both see the same machine load.
func TestSearchIngestCost(t *testing.T) {
	if os.Getenv("ROUTEDESK_BENCH") != "1" {
		t.Skip("set ROUTEDESK_BENCH=1 to run the benchmark")
	}
	tickets := envInt(t, "ROUTEDESK_BENCH_SEARCH_TICKETS", 200000) / 10
	messages := envInt(t, "ROUTEDESK_BENCH_SEARCH_MESSAGES", 1000000) / 10
	n := envInt(t, "ROUTEDESK_BENCH_INGEST_N", 4000)
	ctx := context.Background()
	st := testenv.Store(t)
	db := st.DB()
	a, err := searchdata.Generate(ctx, db, searchdata.Spec{Tag: "ing", Tickets: tickets, Messages: messages, Contacts: tickets / 2, Users: 5, Teams: 2})
	require.NoError(t, err)
	require.NoError(t, searchdata.Analyze(ctx, db))

	text := "Hello, my lamp arrived broken and the courier left it at the wrong door, please send a replacement or refund"
	var with, without []time.Duration
	for block := 0; block*100 < n; block++ {
		on := block%2 == 0
		verb := "ENABLE"
		if !on {
			verb = "DISABLE"
		}
		db.MustExec("ALTER TABLE messages " + verb + " TRIGGER messages_ticket_text")
		for i := range 100 {
			j := block*100 + i
			cnv := fmt.Sprintf("cnv_ing_%d", 1+(j*7919)%tickets)
			began := time.Now()
			_, err := db.ExecContext(ctx, `INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, status, sent_at, text)
			                                VALUES ($1, $2, $3, $4, $1, 'inbound', 'received', now(), $5)`,
				fmt.Sprintf("msg_ing_new_%d", j), a.ID, a.ChannelID, cnv, text)
			require.NoError(t, err)
			if on {
				with = append(with, time.Since(began))
			} else {
				without = append(without, time.Since(began))
			}
		}
	}
	db.MustExec("ALTER TABLE messages ENABLE TRIGGER messages_ticket_text")
	mean := func(ds []time.Duration) time.Duration {
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		return sum / time.Duration(len(ds))
	}
	for _, r := range []struct {
		name string
		ds   []time.Duration
	}{{"without the ticket vector", without}, {"with the ticket vector", with}} {
		t.Logf("message INSERT %-26s n=%d mean %s p50 %s p95 %s p99 %s", r.name, len(r.ds), us(mean(r.ds)),
			us(percentile(r.ds, 50)), us(percentile(r.ds, 95)), us(percentile(r.ds, 99)))
	}
}

// us formats a duration in whole microseconds.
func us(d time.Duration) string { return fmt.Sprintf("%d µs", d.Microseconds()) }
