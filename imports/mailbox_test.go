package imports_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/routedesk/routedesk/imports"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/worker"
)

// TestIMAPBackfill: connecting an email channel with config.imap.include_history
// backfills the folder's last history_days days as history, while the live
// poller takes what arrives after the seam; nothing is lost or doubled at the
// seam, a second run creates nothing, a stopped worker resumes and IMAP errors are retried.
func TestIMAPBackfill(t *testing.T) {
	s := newStack(t)
	stop := s.listen()
	defer stop()
	sub := func(name string, fn func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			s.t = t
			defer func() { s.t = s.root }()
			fn(t)
		})
	}
	sub("WindowIsHistoryThenLive", func(t *testing.T) { testBackfillWindow(t, s) })
	sub("SeamNeitherLosesNorDoubles", func(t *testing.T) { testBackfillSeam(t, s) })
	sub("ResumesAndRetriesServerErrors", func(t *testing.T) { testBackfillResume(t, s) })
	sub("UIDValidityChangeFailsClearly", func(t *testing.T) { testBackfillUIDValidity(t, s) })
	sub("BadRequests", func(t *testing.T) { testBackfillBadRequests(t, s) })
	sub("AttachmentsKept", func(t *testing.T) { testBackfillAttachments(t, s) })
}

// mailServer is an in-process IMAP server with one user and its INBOX.
type mailServer struct {
	t    *testing.T
	user *imapmemserver.User
	port int
	// failSearches fails this many backfill searches (those with SINCE) with a server error.
	failSearches atomic.Int32
}

func newMailServer(t *testing.T, username string) *mailServer {
	mem := imapmemserver.New()
	m := &mailServer{t: t, user: imapmemserver.NewUser(username, "app-password")}
	if err := m.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(m.user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &flakySession{Session: mem.NewSession(), m: m}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: true,
		Logger:       slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	m.port = ln.Addr().(*net.TCPAddr).Port
	return m
}

type flakySession struct {
	imapserver.Session
	m *mailServer
}

func (f *flakySession) Search(kind imapserver.NumKind, c *imap.SearchCriteria, o *imap.SearchOptions) (*imap.SearchData, error) {
	if !c.Since.IsZero() && f.m.failSearches.Add(-1) >= 0 {
		return nil, errors.New("server busy")
	}
	return f.Session.Search(kind, c, o)
}

// add appends a mail from a customer (or, with from, another sender) that arrived at at.
func (m *mailServer) add(id string, at time.Time, from, inReplyTo string) {
	m.t.Helper()
	if from == "" {
		from = "Customer " + id + " <" + id + "@example.org>"
	}
	hdr := ""
	if inReplyTo != "" {
		hdr = "In-Reply-To: <" + inReplyTo + "@example.org>\r\n"
	}
	raw := fmt.Sprintf("From: %s\r\nTo: support@acme.test\r\nSubject: about %s\r\nDate: %s\r\nMessage-ID: <%s@example.org>\r\n%s\r\nbody of %s\r\n",
		from, id, at.Format(time.RFC1123Z), id, hdr, id)
	if _, err := m.user.Append("INBOX", strings.NewReader(raw), &imap.AppendOptions{Time: at}); err != nil {
		m.t.Fatal(err)
	}
}

// emailChannel connects an email channel on the mailbox and returns its id.
func (s *stack) emailChannel(token, address string, m *mailServer, imapExtra map[string]any) string {
	s.t.Helper()
	cfg := map[string]any{"host": "127.0.0.1", "port": m.port, "username": "u", "password": "app-password", "tls": "none",
		"poll_interval_seconds": 5}
	for k, v := range imapExtra {
		cfg[k] = v
	}
	return s.channel(token, map[string]any{"type": "email", "name": "Support",
		"config": map[string]any{"address": address, "imap": cfg}})
}

// mailboxImport waits for the channel's IMAP backfill to start and returns its id.
func (s *stack) mailboxImport(token, ch string) string {
	s.t.Helper()
	var id string
	testenv.Eventually(s.t, 10*time.Second, "the backfill's import", func() bool {
		return s.st.DB().Get(&id, `SELECT id FROM imports WHERE channel_id = $1 AND format = 'imap' ORDER BY id DESC LIMIT 1`, ch) == nil
	})
	return id
}

// messagesOf counts the channel's stored messages with the mail's Message-ID.
func (s *stack) messagesOf(ch, id string) int {
	return s.count(`SELECT count(*) FROM messages WHERE channel_id = $1 AND external_id = $2`, ch, id+"@example.org")
}

// ticketStatus is the status of the ticket of the conversation holding the mail.
func (s *stack) ticketStatus(ch, id string) string {
	s.t.Helper()
	var st string
	testenv.Eventually(s.t, 30*time.Second, "the ticket of "+id, func() bool {
		return s.st.DB().Get(&st, `SELECT t.status FROM tickets t JOIN messages m ON m.conversation_id = t.conversation_id
			WHERE m.channel_id = $1 AND m.external_id = $2`, ch, id+"@example.org") == nil
	})
	return st
}

func testBackfillWindow(t *testing.T, s *stack) {
	m := newMailServer(t, "u")
	now := time.Now()
	m.add("old", now.AddDate(0, 0, -40), "", "")                                         // outside the 30-day window: never fetched
	m.add("b", now.AddDate(0, 0, -10), "", "")                                           // history
	m.add("c", now.AddDate(0, 0, -5), "", "")                                            // history …
	m.add("d", now.AddDate(0, 0, -5).Add(time.Hour), "Support <support@acme.test>", "c") // … and our answer, on c's thread
	m.add("e", now.Add(-2*time.Hour), "", "")                                            // recent and open: routed like a new one
	token := s.account("imap-window")
	ch := s.emailChannel(token, "support@acme.test", m, map[string]any{"include_history": true, "history_days": 30})
	id := s.mailboxImport(token, ch)
	v := s.wait(token, id, 90*time.Second)
	if v.State != store.ImportCompleted || v.Total != 4 || v.Imported != 4 || v.Skipped != 0 {
		t.Fatalf("backfill = %+v", v)
	}
	if n := s.messagesOf(ch, "old"); n != 0 {
		t.Errorf("mail older than history_days imported (%d)", n)
	}
	for _, mail := range []string{"b", "c", "d", "e"} {
		if n := s.messagesOf(ch, mail); n != 1 {
			t.Errorf("mail %s stored %d times", mail, n)
		}
	}
	if s.ticketStatus(ch, "b") != "closed" || s.ticketStatus(ch, "c") != "closed" {
		t.Errorf("history tickets: b %s, c %s; want closed", s.ticketStatus(ch, "b"), s.ticketStatus(ch, "c"))
	}
	if n := s.count(`SELECT count(DISTINCT conversation_id) FROM messages WHERE channel_id = $1 AND external_id IN ('c@example.org', 'd@example.org')`, ch); n != 1 {
		t.Errorf("our answer d is not on c's thread (%d conversations)", n)
	}
	if n := s.count(`SELECT count(*) FROM messages WHERE channel_id = $1 AND direction = 'outbound' AND external_id = 'd@example.org'`, ch); n != 1 {
		t.Errorf("our own answer not imported as outbound")
	}
	var wfE string
	if err := s.st.DB().Get(&wfE, `SELECT c.workflow_id FROM conversations c JOIN messages m ON m.conversation_id = c.id
		WHERE m.external_id = 'e@example.org' AND m.channel_id = $1`, ch); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, "the recent open mail routed", func() bool {
		var state string
		err := s.st.DB().Get(&state, `SELECT routing_state FROM tickets t JOIN conversations c ON c.id = t.conversation_id WHERE c.workflow_id = $1`, wfE)
		return err == nil && state != "routing"
	})
	// History started no conversation workflow and sent nothing.
	rows, err := s.st.DB().Query(`SELECT DISTINCT c.workflow_id FROM conversations c JOIN messages m ON m.conversation_id = c.id
		WHERE m.channel_id = $1 AND m.external_id IN ('b@example.org', 'c@example.org')`, ch)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var wf string
		if err := rows.Scan(&wf); err != nil {
			t.Fatal(err)
		}
		if _, err := s.tc.DescribeWorkflowExecution(context.Background(), wf, ""); err == nil {
			t.Errorf("history started conversation workflow %s", wf)
		}
	}
	_ = rows.Close()
	if n := s.count(`SELECT count(*) FROM messages WHERE channel_id = $1 AND direction = 'outbound'`, ch); n != 1 {
		t.Errorf("%d outbound messages, want only the imported answer: history sent something", n)
	}

	// Live mail after connecting is taken by the poller, as live mail.
	m.add("live", time.Now(), "", "")
	testenv.Eventually(t, 30*time.Second, "the live mail", func() bool { return s.messagesOf(ch, "live") == 1 })
	if st := s.ticketStatus(ch, "live"); st == "closed" {
		t.Errorf("live mail's ticket is %s", st)
	}

	// A second backfill (through the API, no body) creates nothing twice. The live mail's
	// routing is let finish first: its ticket's own events are not the backfill's.
	testenv.Eventually(t, 30*time.Second, "the live ticket routed", func() bool {
		return s.count(`SELECT count(*) FROM tickets t JOIN messages m ON m.conversation_id = t.conversation_id
			WHERE m.channel_id = $1 AND m.external_id = 'live@example.org' AND t.routing_state <> 'routing'`, ch) == 1
	})
	before := snapshot(s, ch)
	r := s.upload(token, ch, "?source=imap", "", nil)
	if r.Status != http.StatusAccepted {
		t.Fatalf("second backfill: %d %s", r.Status, r.Body)
	}
	v = s.wait(token, r.Map(t)["import_id"].(string), 90*time.Second)
	if v.State != store.ImportCompleted || v.Total != 4 {
		t.Fatalf("second backfill = %+v", v)
	}
	if after := snapshot(s, ch); after != before {
		t.Errorf("second backfill changed the channel: %s → %s", before, after)
	}
	// Reconnecting (PATCH) does not start it again: it completed once already.
	if r := s.do(http.MethodPatch, "/v1/channels/"+ch, token, map[string]any{"name": "Support desk"}); r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if n := s.count(`SELECT count(*) FROM imports WHERE channel_id = $1`, ch); n != 2 {
		t.Errorf("%d imports after PATCH, want 2", n)
	}
}

func testBackfillSeam(t *testing.T, s *stack) {
	m := newMailServer(t, "u")
	now := time.Now()
	for i := range 3 {
		m.add(fmt.Sprintf("h%d", i), now.AddDate(0, 0, -3).Add(time.Duration(i)*time.Minute), "", "")
	}
	worker.ImportPause = 300 * time.Millisecond
	defer func() { worker.ImportPause = 0 }()
	s.stopWorker() // the backfill waits; the live poller sees the mailbox first and fixes the seam
	token := s.account("imap-seam")
	ch := s.emailChannel(token, "seam@acme.test", m, map[string]any{"include_history": true})
	id := s.mailboxImport(token, ch)
	testenv.Eventually(t, 20*time.Second, "the poller's seam", func() bool {
		st, err := s.st.LoadIMAPState(context.Background(), ch)
		return err == nil && st.SeamUIDValidity != 0
	})
	if st, _ := s.st.LoadIMAPState(context.Background(), ch); st.SeamUID != 3 {
		t.Fatalf("seam = %+v, want UID 3", st)
	}
	m.add("after-seam", time.Now(), "", "") // arrived before the backfill ran: live
	testenv.Eventually(t, 30*time.Second, "the mail after the seam", func() bool { return s.messagesOf(ch, "after-seam") == 1 })
	s.startWorker()
	testenv.Eventually(t, 30*time.Second, "the backfill under way", func() bool { return s.get(token, id).Imported >= 1 })
	m.add("during", time.Now(), "", "") // arrives while the backfill runs: live
	v := s.wait(token, id, 90*time.Second)
	if v.State != store.ImportCompleted || v.Total != 3 || v.Imported != 3 {
		t.Fatalf("backfill = %+v, want the 3 mails at or below the seam", v)
	}
	testenv.Eventually(t, 30*time.Second, "the mail during the backfill", func() bool { return s.messagesOf(ch, "during") == 1 })
	for _, mail := range []string{"h0", "h1", "h2", "after-seam", "during"} {
		if n := s.messagesOf(ch, mail); n != 1 {
			t.Errorf("mail %s stored %d times", mail, n)
		}
	}
	for _, mail := range []string{"after-seam", "during"} {
		if st := s.ticketStatus(ch, mail); st == "closed" {
			t.Errorf("live mail %s has a %s ticket: taken as history", mail, st)
		}
	}
	if st := s.ticketStatus(ch, "h1"); st != "closed" {
		t.Errorf("history mail h1 has a %s ticket", st)
	}
}

func testBackfillResume(t *testing.T, s *stack) {
	m := newMailServer(t, "u")
	const n = 150
	base := time.Now().AddDate(0, 0, -3)
	for i := range n {
		m.add(fmt.Sprintf("r%d", i), base.Add(time.Duration(i)*time.Second), "", "")
	}
	m.failSearches.Store(4) // more than one activity attempt's retries
	worker.ImportPause = 10 * time.Millisecond
	defer func() { worker.ImportPause = 0 }()
	s.stopWorker()
	s.startWorker()
	token := s.account("imap-resume")
	ch := s.emailChannel(token, "resume@acme.test", m, map[string]any{"include_history": true})
	id := s.mailboxImport(token, ch)
	testenv.Eventually(t, 60*time.Second, "the backfill under way", func() bool {
		c := s.count(`SELECT count(*) FROM messages WHERE channel_id = $1`, ch)
		return c > 30 && c < n-40
	})
	s.stopWorker() // the batch in hand is cut off mid-way
	mid := s.count(`SELECT count(*) FROM messages WHERE channel_id = $1`, ch)
	time.Sleep(500 * time.Millisecond) // the worker stays down a moment, as a crashed one would
	s.startWorker()
	v := s.wait(token, id, 120*time.Second)
	if v.State != store.ImportCompleted || v.Total != n || v.Imported != n || v.Skipped != 0 {
		t.Fatalf("resumed backfill = %+v (stopped at %d messages)", v, mid)
	}
	if got := s.count(`SELECT count(*) FROM messages WHERE channel_id = $1`, ch); got != n {
		t.Errorf("%d messages, want %d", got, n)
	}
	if left := m.failSearches.Load(); left > 0 {
		t.Errorf("%d injected IMAP errors never reached", left)
	}
	var st imports.Status
	q, err := s.tc.QueryWorkflow(context.Background(), imports.WorkflowID(id), "", imports.QueryProgress)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Get(&st); err != nil || st.Progress.Mailbox == nil || st.Progress.Mailbox.UID != n || st.Progress.Position.Offset != n {
		t.Errorf("progress query = %+v, %v", st, err)
	}
}

// The folder is re-created while the backfill runs: its UIDs name other mail now, so it fails saying why.
func testBackfillUIDValidity(t *testing.T, s *stack) {
	m := newMailServer(t, "u")
	const n = 120
	base := time.Now().AddDate(0, 0, -3)
	for i := range n {
		m.add(fmt.Sprintf("v%d", i), base.Add(time.Duration(i)*time.Second), "", "")
	}
	worker.ImportPause = 20 * time.Millisecond
	defer func() { worker.ImportPause = 0 }()
	s.stopWorker()
	s.startWorker()
	token := s.account("imap-uidvalidity")
	ch := s.emailChannel(token, "validity@acme.test", m, map[string]any{"include_history": true})
	id := s.mailboxImport(token, ch)
	testenv.Eventually(t, 60*time.Second, "the backfill under way", func() bool { return s.get(token, id).Imported >= 5 })
	if err := m.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := m.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	v := s.wait(token, id, 60*time.Second)
	var failure string
	if err := s.st.DB().Get(&failure, `SELECT failure FROM imports WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if v.State != store.ImportFailed || !strings.Contains(failure, "UIDVALIDITY changed") || v.Imported >= n {
		t.Errorf("backfill = %+v, failure %q; want failed naming the UIDVALIDITY change", v, failure)
	}
}

func testBackfillBadRequests(t *testing.T, s *stack) {
	token := s.account("imap-bad")
	chat := s.channel(token, map[string]any{"type": "chat", "name": "Chat"})
	plain := s.channel(token, map[string]any{"type": "email", "name": "No IMAP", "config": map[string]any{"address": "plain@acme.test"}})
	for _, tc := range []struct {
		name, ch, query, field string
	}{
		{"body-less on chat", chat, "?include_history=true", `"body"`},
		{"source=imap on chat", chat, "?source=imap", `"source"`},
		{"unknown source", plain, "?source=ftp", `"source"`},
		{"body-less on email without imap", plain, "", `"body"`},
	} {
		r := s.upload(token, tc.ch, tc.query, "", nil)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), tc.field) {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	r := s.do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "email", "name": "Too long", "config": map[string]any{
		"address": "long@acme.test", "imap": map[string]any{"host": "127.0.0.1", "username": "u", "password": "p", "tls": "none",
			"include_history": true, "history_days": 5000}}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "config.imap.history_days") {
		t.Errorf("history_days 5000: %d %s", r.Status, r.Body)
	}
}
