package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// imapFixture is an in-process IMAP server (imapserver + imapmemserver) with one user.
type imapFixture struct {
	mem  *imapmemserver.Server
	user *imapmemserver.User
	caps imap.CapSet
	port int
	srv  *imapserver.Server
	ln   net.Listener
	// idling receives a value each time a client starts IDLE (never blocking the server).
	idling chan struct{}
}

// idleWatch is a memory-server session that tells the fixture when a client starts IDLE.
type idleWatch struct {
	imapserver.SessionIMAP4rev2
	idling chan struct{}
}

func (s idleWatch) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	select {
	case s.idling <- struct{}{}:
	default:
	}
	return s.SessionIMAP4rev2.Idle(w, stop)
}

func startIMAP(t *testing.T, idle bool) *imapFixture {
	t.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser("support@acme.test", "app-password")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	caps := imap.CapSet{imap.CapIMAP4rev1: {}}
	if idle {
		caps[imap.CapIMAP4rev2] = struct{}{}
	}
	f := &imapFixture{mem: mem, user: user, caps: caps, idling: make(chan struct{}, 1)}
	f.serve(t, "127.0.0.1:0")
	t.Cleanup(f.stop)
	return f
}

// serve starts the server on addr (the same port again after stop).
func (f *imapFixture) serve(t *testing.T, addr string) {
	t.Helper()
	f.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return idleWatch{SessionIMAP4rev2: f.mem.NewSession().(imapserver.SessionIMAP4rev2), idling: f.idling}, nil, nil
		},
		Caps:         f.caps,
		InsecureAuth: true,
		Logger:       slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	f.ln = ln
	f.port = ln.Addr().(*net.TCPAddr).Port
	go func() { _ = f.srv.Serve(ln) }()
}

// stop closes the listener and every connection.
func (f *imapFixture) stop() {
	_ = f.ln.Close()
	_ = f.srv.Close()
}

// appendMail adds a mail with the given internal date.
func (f *imapFixture) appendMail(t *testing.T, id string, at time.Time) {
	t.Helper()
	raw := fmt.Sprintf("From: Grace <grace@example.org>\r\nTo: support@acme.test\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\n\r\nbody of %s\r\n", id, id, id)
	if _, err := f.user.Append("INBOX", bytes.NewReader([]byte(raw)), &imap.AppendOptions{Time: at}); err != nil {
		t.Fatal(err)
	}
}

func (f *imapFixture) status(t *testing.T) *imap.StatusData {
	t.Helper()
	st, err := f.user.Status("INBOX", &imap.StatusOptions{NumMessages: true, NumUnseen: true, UIDValidity: true})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *imapFixture) settings() IMAPSettings {
	return IMAPSettings{Host: "127.0.0.1", Port: f.port, Username: "support@acme.test", Password: "app-password",
		TLS: TLSNone, Timeout: 5 * time.Second, PollInterval: time.Hour}
}

// memState is an in-memory IMAPStateStore.
type memState struct {
	mu sync.Mutex
	m  map[string]IMAPState
}

func (s *memState) LoadIMAPState(_ context.Context, key string) (IMAPState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key], nil
}

func (s *memState) SaveIMAPState(_ context.Context, key string, st IMAPState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]IMAPState{}
	}
	s.m[key] = st
	return nil
}

// collector is an IMAPHandler keeping the Message-IDs it stored.
type collector struct {
	mu   sync.Mutex
	ids  []string
	fail error
	got  chan string
}

func (c *collector) handle(_ context.Context, raw []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return c.fail
	}
	m, err := Parse(raw)
	if err != nil {
		return err
	}
	c.ids = append(c.ids, m.MessageID)
	if c.got != nil {
		c.got <- m.MessageID
	}
	return nil
}

func (c *collector) stored() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ids...)
}

func newPoller(t *testing.T, s IMAPSettings, st IMAPStateStore, c *collector) *Poller {
	t.Helper()
	p, err := NewPoller(s, "ch-1", st, c.handle, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func syncOnce(t *testing.T, p *Poller) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := p.SyncOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIMAPPollImportsNewMailOnceAndKeepsItUnread(t *testing.T) {
	f := startIMAP(t, false)
	f.appendMail(t, "before", time.Now())
	st := &memState{}
	c := &collector{}
	p := newPoller(t, f.settings(), st, c)
	if n := syncOnce(t, p); n != 0 {
		t.Errorf("first sync imported %d mails that were there before the mailbox was connected", n)
	}
	f.appendMail(t, "m1", time.Now())
	f.appendMail(t, "m2", time.Now())
	if n := syncOnce(t, p); n != 2 {
		t.Errorf("imported %d, want 2", n)
	}
	if n := syncOnce(t, p); n != 0 {
		t.Errorf("second sync re-imported %d mails", n)
	}
	// A restart: a new poller with the persisted state imports nothing again.
	if n := syncOnce(t, newPoller(t, f.settings(), st, c)); n != 0 {
		t.Errorf("after a restart %d mails were re-imported", n)
	}
	if got := c.stored(); len(got) != 2 || got[0] != "m1@example.org" || got[1] != "m2@example.org" {
		t.Errorf("stored %q", got)
	}
	if s := f.status(t); *s.NumUnseen != 3 || *s.NumMessages != 3 {
		t.Errorf("mailbox has %d unseen of %d: mail was marked read or deleted", *s.NumUnseen, *s.NumMessages)
	}
}

func TestIMAPImportExisting(t *testing.T) {
	f := startIMAP(t, false)
	f.appendMail(t, "old", time.Now())
	s := f.settings()
	s.ImportExisting = true
	c := &collector{}
	if n := syncOnce(t, newPoller(t, s, &memState{}, c)); n != 1 {
		t.Errorf("imported %d, want the 1 existing mail", n)
	}
}

func TestIMAPHandlerFailureDoesNotAdvance(t *testing.T) {
	f := startIMAP(t, false)
	st := &memState{}
	c := &collector{}
	p := newPoller(t, f.settings(), st, c)
	syncOnce(t, p)
	f.appendMail(t, "m1", time.Now())
	c.fail = errors.New("database down")
	if _, err := p.SyncOnce(context.Background()); err == nil {
		t.Fatal("a failed store did not fail the sync")
	}
	c.fail = nil
	if n := syncOnce(t, p); n != 1 {
		t.Errorf("after the store recovered %d mails were imported, want the 1 that failed", n)
	}
}

func TestIMAPUIDValidityChange(t *testing.T) {
	f := startIMAP(t, false)
	st := &memState{}
	c := &collector{}
	p := newPoller(t, f.settings(), st, c)
	syncOnce(t, p)
	f.appendMail(t, "m1", time.Now())
	syncOnce(t, p)
	before, _ := st.LoadIMAPState(context.Background(), "ch-1")

	// The folder is re-created: new UIDVALIDITY, UIDs start again at 1.
	if err := f.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := f.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	f.appendMail(t, "ancient", time.Now().AddDate(0, 0, -30))
	f.appendMail(t, "m1", time.Now())
	f.appendMail(t, "m2", time.Now())
	syncOnce(t, p)
	after, _ := st.LoadIMAPState(context.Background(), "ch-1")
	if after.UIDValidity == before.UIDValidity || after.LastUID != 3 {
		t.Errorf("state after the change = %+v (before %+v)", after, before)
	}
	// Recent mail is offered again (the store deduplicates by Message-ID); month-old mail is not.
	got := c.stored()
	if len(got) != 3 || got[1] != "m1@example.org" || got[2] != "m2@example.org" {
		t.Errorf("stored %q, want m1, then m1 and m2 again but not the ancient mail", got)
	}
}

func TestIMAPMarkReadAndDelete(t *testing.T) {
	f := startIMAP(t, false)
	s := f.settings()
	s.ImportExisting, s.MarkRead = true, true
	f.appendMail(t, "m1", time.Now())
	syncOnce(t, newPoller(t, s, &memState{}, &collector{}))
	if st := f.status(t); *st.NumUnseen != 0 || *st.NumMessages != 1 {
		t.Errorf("mark_read: %d unseen of %d", *st.NumUnseen, *st.NumMessages)
	}
	s.MarkRead, s.Delete = false, true
	syncOnce(t, newPoller(t, s, &memState{}, &collector{}))
	if st := f.status(t); *st.NumMessages != 0 {
		t.Errorf("delete: %d messages left", *st.NumMessages)
	}
}

func TestIMAPRunUsesIdle(t *testing.T) {
	f := startIMAP(t, true)
	f.appendMail(t, "m1", time.Now())
	s := f.settings()
	// PollInterval is an hour: only the server announcing new mail (in IDLE, or
	// to the NOOP just before it) can bring m2 in time.
	s.ImportExisting = true
	c := &collector{got: make(chan string, 4)}
	p := newPoller(t, s, &memState{}, c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	waitFor(t, c.got, "m1@example.org")
	f.appendMail(t, "m2", time.Now())
	select {
	case got := <-c.got:
		if got != "m2@example.org" {
			t.Fatalf("stored %q, want m2@example.org", got)
		}
	case <-time.After(3 * time.Second):
		// go-imap's in-memory server announces in IDLE only what arrives after IDLE
		// began (it does not flush what was queued just before): a later mail
		// announces both.
		f.appendMail(t, "m3", time.Now())
		waitFor(t, c.got, "m2@example.org")
		waitFor(t, c.got, "m3@example.org")
	}
}

func TestIMAPRunPollsWithoutIdle(t *testing.T) {
	f := startIMAP(t, false)
	s := f.settings()
	s.ImportExisting = true
	s.PollInterval = 100 * time.Millisecond
	c := &collector{got: make(chan string, 4)}
	p := newPoller(t, s, &memState{}, c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	f.appendMail(t, "m1", time.Now())
	waitFor(t, c.got, "m1@example.org")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}

func TestIMAPRunReconnects(t *testing.T) {
	f := startIMAP(t, true)
	s := f.settings()
	s.ImportExisting = true
	f.appendMail(t, "m1", time.Now())
	c := &collector{got: make(chan string, 4)}
	p := newPoller(t, s, &memState{}, c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	waitFor(t, c.got, "m1@example.org")
	// The server goes away (dropping the IDLE connection) and comes back on the same port.
	f.stop()
	f.appendMail(t, "m2", time.Now())
	f.serve(t, fmt.Sprintf("127.0.0.1:%d", f.port))
	waitFor(t, c.got, "m2@example.org")
}

// TestIMAPRunNoticesDroppedIdle drops the connection while the poller idles
// (PollInterval is an hour): the poller must notice the close, not the timer.
func TestIMAPRunNoticesDroppedIdle(t *testing.T) {
	f := startIMAP(t, true)
	s := f.settings()
	s.ImportExisting = true
	f.appendMail(t, "m1", time.Now())
	c := &collector{got: make(chan string, 4)}
	p := newPoller(t, s, &memState{}, c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	waitFor(t, c.got, "m1@example.org")
	select { // the poller idles on the connection the server is about to drop
	case <-f.idling:
	case <-time.After(10 * time.Second):
		t.Fatal("the poller never started IDLE")
	}
	f.stop()
	f.appendMail(t, "m2", time.Now())
	f.serve(t, fmt.Sprintf("127.0.0.1:%d", f.port))
	waitFor(t, c.got, "m2@example.org")
}

func TestIMAPSettingsValidate(t *testing.T) {
	for _, s := range []IMAPSettings{
		{Host: "imap.gmail.com", Username: "a", TLS: TLSNone},
		{Host: "", Username: "a"},
		{Host: "imap.gmail.com", Username: "a", TLS: "ssl"},
	} {
		if err := s.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", s)
		}
	}
	if d := (IMAPSettings{Host: "imap.gmail.com"}).withDefaults(); d.Port != 993 || d.Folder != "INBOX" || d.TLS != TLSImplicit {
		t.Errorf("defaults = %+v", d)
	}
}

func waitFor(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("stored %q, want %q", got, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s was not imported", want)
	}
}
