package emailtest_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestIMAPMailboxImports: the server's poller fetches new mail from an
// in-process IMAP server into tickets, keeps its place across restarts
// (UIDVALIDITY + last UID in PostgreSQL), holds a lease on the mailbox (let go
// when the channel is disconnected); the password is sealed and redacted like other secrets.
func TestIMAPMailboxImports(t *testing.T) {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("support@acme.test", "app-password")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: true,
		Logger:       slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	appendMail := func(id string) {
		raw := fmt.Sprintf("From: Grace Hopper <grace@example.org>\r\nTo: support@acme.test\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\n\r\nbody of %s\r\n", id, id, id)
		if _, err := user.Append("INBOX", strings.NewReader(raw), &imap.AppendOptions{Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	appendMail("before-connect") // already there: not imported

	d := newDesk(t, email.Settings{IMAP: true, Rescan: 200 * time.Millisecond}, map[string]any{"imap": map[string]any{
		"host": "127.0.0.1", "port": ln.Addr().(*net.TCPAddr).Port, "username": "support@acme.test",
		"password": "app-password", "tls": "none", "poll_interval_seconds": 5}})
	ch := d.Do(http.MethodGet, "/v1/channels/"+d.channelID, d.token, nil).Map(t)
	if pw := ch["config"].(map[string]any)["imap"].(map[string]any)["password"]; pw != "***" {
		t.Fatalf("imap.password shown as %v", pw)
	}
	listen := func() func() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.API.Listen(ctx) }()
		return func() { cancel(); <-done }
	}
	stop := listen()
	ctx := context.Background()
	testenv.Eventually(t, 20*time.Second, "the first sync", func() bool {
		st, err := d.Store.LoadIMAPState(ctx, d.channelID)
		return err == nil && st.UIDValidity != 0
	})
	if held, err := d.Store.LeaseIMAP(ctx, d.channelID, "another-process", time.Minute); err != nil || held {
		t.Fatalf("another process took the mailbox while it is polled: %v %v", held, err)
	}
	appendMail("first")
	testenv.Eventually(t, 20*time.Second, "the IMAP mail's ticket", func() bool { return len(d.tickets(t)) == 1 })
	if tk := d.tickets(t)[0]; tk.Subject != "first" || d.contactEmail(t, tk) != "grace@example.org" {
		t.Fatalf("ticket %q", tk.Subject)
	}
	stop()

	appendMail("second")
	stop = listen()
	defer stop()
	testenv.Eventually(t, 20*time.Second, "the mail that arrived while stopped", func() bool { return len(d.tickets(t)) == 2 })
	time.Sleep(time.Second) // time for the poller's next rescans to (wrongly) import a mail again
	for _, tk := range d.tickets(t) {
		if tk.Subject == "before-connect" {
			t.Fatal("mail from before the mailbox was connected was imported")
		}
		if n := len(d.messages(t, tk.ID)); n != 1 {
			t.Fatalf("ticket %q has %d messages: re-imported", tk.Subject, n)
		}
	}
	st, err := d.Store.LoadIMAPState(ctx, d.channelID)
	if err != nil || st.LastUID != 3 {
		t.Fatalf("state %+v %v, want last UID 3", st, err)
	}
	// Disconnecting the channel stops its poller, which lets go of the mailbox.
	if r := d.Do(http.MethodDelete, "/v1/channels/"+d.channelID, d.token, nil); r.Status != http.StatusNoContent {
		t.Fatalf("disconnect: %d %s", r.Status, r.Body)
	}
	testenv.Eventually(t, 10*time.Second, "the poller to let go of a disconnected channel's mailbox", func() bool {
		held, err := d.Store.LeaseIMAP(ctx, d.channelID, "another-process", time.Minute)
		return err == nil && held
	})
}
