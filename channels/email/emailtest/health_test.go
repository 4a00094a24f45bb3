package emailtest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/internal/testenv"
)

// mailboxServer is an in-process IMAP server with one user, support@acme.test / "app-password".
type mailboxServer struct {
	port int
	user *imapmemserver.User
}

// startMailbox serves the mailbox in clear text, or over TLS with cert when it is not nil.
func startMailbox(t *testing.T, cert *tls.Certificate) *mailboxServer {
	t.Helper()
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
	var ln net.Listener
	var err error
	if cert != nil {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &mailboxServer{port: ln.Addr().(*net.TCPAddr).Port, user: user}
}

func (m *mailboxServer) appendMail(t *testing.T, id string) {
	t.Helper()
	raw := fmt.Sprintf("From: Grace Hopper <grace@example.org>\r\nTo: support@acme.test\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\n\r\nbody of %s\r\n", id, id, id)
	if _, err := m.user.Append("INBOX", strings.NewReader(raw), &imap.AppendOptions{Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

func (m *mailboxServer) config(password, tlsMode string) map[string]any {
	return map[string]any{"imap": map[string]any{"host": "127.0.0.1", "port": m.port, "username": "support@acme.test",
		"password": password, "tls": tlsMode, "poll_interval_seconds": 5}}
}

// listen runs the desk's inbound listeners (the IMAP pollers) until the returned stop (safe to call twice) is called.
func (d *desk) listen() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.API.Listen(ctx) }()
	var once sync.Once
	return func() { once.Do(func() { cancel(); <-done }) }
}

// channelHealth is the health object of the desk's channel, as GET /v1/channels/{id} shows it.
func (d *desk) channelHealth(t *testing.T) map[string]any {
	t.Helper()
	r := d.Do(http.MethodGet, "/v1/channels/"+d.channelID, d.token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("get channel: %d %s", r.Status, r.Body)
	}
	h, _ := r.Map(t)["health"].(map[string]any)
	if h == nil {
		t.Fatalf("channel without health: %s", r.Body)
	}
	return h
}

// admin adds a user holding an admin token: one of the account's admins, whom channel alerts go to.
func (d *desk) admin(t *testing.T, addr string) {
	t.Helper()
	u := d.Do(http.MethodPost, "/v1/users", d.token, map[string]any{"email": addr, "name": "Boss", "has_profile": false})
	if u.Status != http.StatusCreated {
		t.Fatalf("admin user: %d %s", u.Status, u.Body)
	}
	r := d.Do(http.MethodPost, "/v1/users/"+u.Map(t)["id"].(string)+"/tokens", d.token, map[string]any{"role": "admin"})
	if r.Status != http.StatusCreated || r.Map(t)["role"] != "admin" {
		t.Fatalf("admin token: %d %s", r.Status, r.Body)
	}
}

// metric returns the value of the /metrics sample with exactly these labels; -1 when absent.
func (d *desk) metric(t *testing.T, name, labels string) float64 {
	t.Helper()
	resp, err := http.Get(d.HTTP.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, name+"{"+labels+"} "); ok {
			var v float64
			if _, err := fmt.Sscanf(rest, "%g", &v); err == nil {
				return v
			}
		}
	}
	return -1
}

// alerts are the channel-failing emails the desk sent to addr.
func (d *desk) alerts(addr string) []testenv.Mail {
	var out []testenv.Mail
	for _, m := range d.Mail.Received() {
		if len(m.To) == 1 && m.To[0] == addr && strings.Contains(m.Data, "is failing") {
			out = append(out, m)
		}
	}
	return out
}

// TestIMAPHealthWrongPassword: a refused IMAP login makes the channel's health
// failing at once with a reason a person can act on, counts every retry in
// /metrics, emails the account's admin once (not once per retry), and a fixed
// password brings it back to ok with a last success.
func TestIMAPHealthWrongPassword(t *testing.T) {
	mb := startMailbox(t, nil)
	d := newDesk(t, email.Settings{IMAP: true, Rescan: 200 * time.Millisecond}, mb.config("wrong-password", "none"))
	d.admin(t, "boss@acme.test")
	if h := d.channelHealth(t); h["state"] != "ok" || h["last_success_at"] != nil {
		t.Fatalf("a new channel's health: %v", h)
	}
	stop := d.listen()
	defer stop()

	var h map[string]any
	testenv.Eventually(t, 20*time.Second, "the channel to be failing", func() bool {
		h = d.channelHealth(t)
		return h["state"] == "failing"
	})
	if reason, _ := h["reason"].(string); !strings.HasPrefix(reason, "IMAP login refused: check the username and password") {
		t.Fatalf("reason %q", reason)
	}
	if h["since"] == nil || h["last_success_at"] != nil {
		t.Fatalf("health %v", h)
	}
	if ch := d.Do(http.MethodGet, "/v1/channels/"+d.channelID, d.token, nil).Map(t); ch["status"] != "connected" {
		t.Fatalf("status %v: health is a separate field", ch["status"])
	}
	list := d.Do(http.MethodGet, "/v1/channels", d.token, nil).Map(t)["items"].([]any)
	if lh := list[0].(map[string]any)["health"].(map[string]any); lh["state"] != "failing" {
		t.Fatalf("listed health %v", lh)
	}
	// The poller keeps retrying (1 s, 2 s, 4 s …): every failure counts, one email tells the admin.
	testenv.Eventually(t, 30*time.Second, "four failed logins", func() bool {
		return d.metric(t, "routedesk_channel_failures_total", `channel_type="email",component="imap"`) >= 4
	})
	testenv.Eventually(t, 10*time.Second, "the admin's alert", func() bool { return len(d.alerts("boss@acme.test")) > 0 })
	time.Sleep(time.Second) // time for the poller's further failures to (wrongly) send a second alert
	got := d.alerts("boss@acme.test")
	if len(got) != 1 {
		t.Fatalf("%d alerts for one failing channel, want 1", len(got))
	}
	if !strings.Contains(got[0].Data, "IMAP login refused") || !strings.Contains(got[0].Data, d.channelID) {
		t.Fatalf("alert without the reason or channel:\n%s", got[0].Data)
	}
	if v := d.metric(t, "routedesk_channel_health", `channel_type="email",state="failing"`); v != 1 {
		t.Fatalf("routedesk_channel_health failing = %v, want 1", v)
	}

	// The admin fixes the password: the poller restarts with it and the channel is ok again.
	r := d.Do(http.MethodPatch, "/v1/channels/"+d.channelID, d.token, map[string]any{"config": map[string]any{"imap": map[string]any{"password": "app-password"}}})
	if r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	testenv.Eventually(t, 20*time.Second, "the channel to be ok", func() bool {
		h = d.channelHealth(t)
		return h["state"] == "ok"
	})
	if h["reason"] != "" || h["last_success_at"] == nil {
		t.Fatalf("recovered health %v", h)
	}
	if v := d.metric(t, "routedesk_channel_health", `channel_type="email",state="ok"`); v != 1 {
		t.Fatalf("routedesk_channel_health ok = %v, want 1", v)
	}
	mb.appendMail(t, "after-the-fix")
	testenv.Eventually(t, 20*time.Second, "the mail after the fix", func() bool { return len(d.tickets(t)) == 1 })
	if n := len(d.alerts("boss@acme.test")); n != 1 {
		t.Fatalf("%d alerts after recovery, want still 1", n)
	}
}

// TestIMAPHealthUntrustedCertificate: a mailbox whose TLS certificate the
// system does not trust makes the channel failing, and says so.
func TestIMAPHealthUntrustedCertificate(t *testing.T) {
	mb := startMailbox(t, selfSigned(t))
	d := newDesk(t, email.Settings{IMAP: true, Rescan: 200 * time.Millisecond}, mb.config("app-password", "tls"))
	stop := d.listen()
	defer stop()
	var h map[string]any
	testenv.Eventually(t, 20*time.Second, "the channel to be failing", func() bool {
		h = d.channelHealth(t)
		return h["state"] == "failing"
	})
	if reason, _ := h["reason"].(string); !strings.HasPrefix(reason, "IMAP server certificate is not trusted: ") {
		t.Fatalf("reason %q", reason)
	}
}

// TestIMAPLeaseTakeoverAfterKill: the mailbox lease follows its poller's life.
// Two instances watch one mailbox; the one polling dies without letting go of
// its lease (as on SIGKILL: its last renewal stays in PostgreSQL) and the
// other imports new mail within a few seconds, not after a long lease.
func TestIMAPLeaseTakeoverAfterKill(t *testing.T) {
	mb := startMailbox(t, nil)
	const ttl = 3 * time.Second
	d := newDesk(t, email.Settings{IMAP: true, Rescan: 200 * time.Millisecond, LeaseTTL: ttl}, mb.config("app-password", "none"))
	ctx := context.Background()
	stopA := d.listen()
	testenv.Eventually(t, 20*time.Second, "the first instance's first sync", func() bool {
		st, err := d.Store.LoadIMAPState(ctx, d.channelID)
		return err == nil && st.UIDValidity != 0
	})
	stopB := d.listen()
	defer stopB()
	time.Sleep(2 * time.Second) // B is running and waiting for the lease
	if n := len(d.tickets(t)); n != 0 {
		t.Fatalf("%d tickets before any mail", n)
	}

	// The polling instance dies: its lease, just renewed, is left to a dead owner.
	killed := time.Now()
	if _, err := d.Store.DB().ExecContext(ctx, `UPDATE email_imap_state SET lease_owner = 'killed-process', lease_until = now() + interval '3 seconds' WHERE channel_id = $1`, d.channelID); err != nil {
		t.Fatal(err)
	}
	stopA()
	mb.appendMail(t, "during-the-outage")
	testenv.Eventually(t, 15*time.Second, "the other instance to import the mail", func() bool { return len(d.tickets(t)) == 1 })
	took := time.Since(killed)
	t.Logf("mail imported %.1f s after the poller died (lease TTL %s)", took.Seconds(), ttl)
	if took > ttl+2*time.Second {
		t.Fatalf("takeover took %s, want within %s", took, ttl+2*time.Second)
	}
	// A clean stop lets go of the lease at once.
	stopB()
	if held, err := d.Store.LeaseIMAP(ctx, d.channelID, "next-process", ttl); err != nil || !held {
		t.Fatalf("lease after a clean stop: held %v, %v", held, err)
	}
}

// selfSigned is a certificate for 127.0.0.1 that no system trusts.
func selfSigned(t *testing.T) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "untrusted mailbox"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestSMTPRelayHealth: replies that cannot reach the channel's SMTP relay make
// its smtp component degraded, then failing, with the reason; a relay that
// answers, even refusing one recipient, makes it ok again.
func TestSMTPRelayHealth(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port := splitHostPort(t, ln.Addr().String())
	_ = ln.Close() // nothing listens there any more: connections are refused
	d := newDesk(t, email.Settings{}, map[string]any{"smtp": map[string]any{"host": host, "port": port, "tls": "none"}})
	tk := d.ticketOf(t, d.postRaw(t, firstMail).Map(t)["conversation_id"].(string))
	if r := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Hello"}); r.Status >= 300 {
		t.Fatalf("reply: %d %s", r.Status, r.Body)
	}
	var h map[string]any
	testenv.Eventually(t, 40*time.Second, "the relay's failures to fail the channel", func() bool {
		h = d.channelHealth(t)
		return h["state"] == "failing"
	})
	if reason, _ := h["reason"].(string); !strings.HasPrefix(reason, "SMTP relay server refused the connection") {
		t.Fatalf("reason %q", reason)
	}
	comps := h["components"].([]any)
	if len(comps) != 1 || comps[0].(map[string]any)["component"] != "smtp" {
		t.Fatalf("components %v", comps)
	}

	// A relay that works but refuses one recipient: the channel is ok again.
	rl, addr := startRelay(t, 550)
	host, port = splitHostPort(t, addr)
	if r := d.Do(http.MethodPatch, "/v1/channels/"+d.channelID, d.token, map[string]any{"config": map[string]any{"smtp": map[string]any{"host": host, "port": port}}}); r.Status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if r := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Hello again"}); r.Status >= 300 && r.Status != http.StatusBadGateway {
		t.Fatalf("reply: %d %s", r.Status, r.Body)
	}
	testenv.Eventually(t, 20*time.Second, "the refused recipient", func() bool {
		rl.mu.Lock()
		defer rl.mu.Unlock()
		return rl.attempts > 0
	})
	testenv.Eventually(t, 10*time.Second, "a relay that answers (refusing one recipient) to make the channel ok", func() bool {
		h = d.channelHealth(t)
		return h["state"] == "ok"
	})
}
