package bench

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
)

// TestIMAPBackfillThroughput measures an IMAP backfill (issue 15): messages per
// second of a backfill of ROUTEDESK_BENCH_IMAP_MAILS (default 2000) history mails
// (threads of two) from an in-process IMAP server, started by connecting an email
// channel with include_history. It runs only with ROUTEDESK_BENCH=1.
func TestIMAPBackfillThroughput(t *testing.T) {
	if os.Getenv("ROUTEDESK_BENCH") != "1" {
		t.Skip("set ROUTEDESK_BENCH=1 to run the IMAP backfill benchmark")
	}
	mails := envInt(t, "ROUTEDESK_BENCH_IMAP_MAILS", 2000)
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("u", "p")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	base := time.Now().AddDate(0, 0, -20)
	for i := range mails {
		at := base.Add(time.Duration(i) * time.Minute)
		reply := ""
		if i%2 == 1 {
			reply = fmt.Sprintf("In-Reply-To: <m%d@example.org>\r\n", i-1)
		}
		raw := fmt.Sprintf("From: Customer %d <c%d@example.org>\r\nTo: support@acme.test\r\nSubject: order %d\r\nDate: %s\r\nMessage-ID: <m%d@example.org>\r\n%s\r\nWhere is order %d? %s\r\n",
			i/2, i/2%500, i/2, at.Format(time.RFC1123Z), i, reply, i/2, strings.Repeat("Some more words. ", 20))
		if _, err := user.Append("INBOX", strings.NewReader(raw), &imap.AppendOptions{Time: at}); err != nil {
			t.Fatal(err)
		}
	}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps: imap.CapSet{imap.CapIMAP4rev1: {}}, InsecureAuth: true,
		Logger: slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	s := testenv.NewStack(t)
	_, token := s.Account("imap-bench", "enterprise")
	r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "email", "name": "Support", "config": map[string]any{
		"address": "support@acme.test", "imap": map[string]any{"host": "127.0.0.1", "port": ln.Addr().(*net.TCPAddr).Port,
			"username": "u", "password": "p", "tls": "none", "include_history": true}}})
	if r.Status != http.StatusCreated {
		t.Fatalf("channel: %d %s", r.Status, r.Body)
	}
	ch := r.Map(t)["id"].(string)
	var id string
	testenv.Eventually(t, 10*time.Second, "the backfill", func() bool {
		return s.Store.DB().Get(&id, `SELECT id FROM imports WHERE channel_id = $1`, ch) == nil
	})
	var v benchImport
	testenv.Eventually(t, 30*time.Minute, "the backfill to end", func() bool {
		s.Do(http.MethodGet, "/v1/imports/"+id, token, nil).JSON(t, &v)
		return v.State != store.ImportRunning
	})
	if v.State != store.ImportCompleted || v.Imported != mails || v.StartedAt == nil || v.FinishedAt == nil {
		t.Fatalf("backfill = %+v", v)
	}
	secs := v.FinishedAt.Sub(*v.StartedAt).Seconds()
	t.Logf("| IMAP backfill | %d mails | %.1f s | %.0f messages/s |", mails, secs, float64(mails)/secs)
}
