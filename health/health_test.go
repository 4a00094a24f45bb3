package health

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func TestNextStateMachine(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	transient := &Problem{Reason: "IMAP server did not answer in time"}
	r := Next(Record{}, nil, t0)
	if r.State != OK || !r.Since.Equal(t0) || !r.LastSuccess.Equal(t0) {
		t.Fatalf("first success: %+v", r)
	}
	r = Next(r, transient, t0.Add(time.Minute))
	if r.State != Degraded || r.Failures != 1 || !r.Since.Equal(t0.Add(time.Minute)) || r.Reason != transient.Reason {
		t.Fatalf("one transient failure: %+v", r)
	}
	r = Next(r, transient, t0.Add(2*time.Minute))
	if r.State != Degraded || !r.Since.Equal(t0.Add(time.Minute)) {
		t.Fatalf("two transient failures: %+v", r)
	}
	r = Next(r, transient, t0.Add(3*time.Minute))
	if r.State != Failing || r.Failures != FailAfter || !r.Since.Equal(t0.Add(3*time.Minute)) || !r.LastSuccess.Equal(t0) {
		t.Fatalf("FailAfter transient failures: %+v", r)
	}
	r = Next(r, nil, t0.Add(4*time.Minute))
	if r.State != OK || r.Reason != "" || r.Failures != 0 || !r.FirstFailure.IsZero() || !r.Since.Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("recovered: %+v", r)
	}
	// Rare failures that last: failing after FailAfterDuration even below FailAfter in a row.
	r = Next(r, transient, t0.Add(5*time.Minute))
	r = Next(r, transient, t0.Add(5*time.Minute+FailAfterDuration))
	if r.State != Failing || r.Failures != 2 {
		t.Fatalf("failing for FailAfterDuration: %+v", r)
	}
	// A permanent problem fails at once.
	r = Next(Next(Record{}, nil, t0), &Problem{Reason: "IMAP login refused", Permanent: true}, t0.Add(time.Second))
	if r.State != Failing {
		t.Fatalf("permanent problem: %+v", r)
	}
}

func TestWorst(t *testing.T) {
	if Worst() != OK || Worst(OK, Degraded) != Degraded || Worst(Failing, Degraded, OK) != Failing {
		t.Fatal("Worst")
	}
}

type oneMessage struct{}

func (oneMessage) Error() string                   { return "recipient refused" }
func (oneMessage) HealthProblem() (*Problem, bool) { return nil, false }

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		component string
		err       error
		prefix    string
		permanent bool
	}{
		{IMAP, fmt.Errorf("imap login as a@b: %w", &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed, Text: "Authentication failed"}),
			"IMAP login refused: check the username and password", true},
		{IMAP, fmt.Errorf("imap connect: %w", x509.UnknownAuthorityError{}), "IMAP server certificate is not trusted: ", true},
		{SMTP, &textproto.Error{Code: 535, Msg: "5.7.8 bad credentials"}, "SMTP relay login refused", true},
		{SMTP, &textproto.Error{Code: 421, Msg: "try later"}, "SMTP relay is refusing mail for now", false},
		{IMAP, &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, "IMAP server refused the connection", false},
		{Graph, &net.DNSError{Name: "graph.invalid", IsNotFound: true}, `Meta Graph API host "graph.invalid" was not found`, false},
		{Endpoint, errors.New("post reply: 503 Service Unavailable"), "The app's outbound_url: post reply", false},
		{SMTP, Fail("SMTP relay: said no", true, nil), "SMTP relay: said no", true},
	} {
		p := Describe(tc.component, tc.err)
		if p == nil || !strings.HasPrefix(p.Reason, tc.prefix) || p.Permanent != tc.permanent {
			t.Errorf("Describe(%s, %v) = %+v, want %q (permanent %v)", tc.component, tc.err, p, tc.prefix, tc.permanent)
		}
	}
	if p := Describe(SMTP, fmt.Errorf("send: %w", oneMessage{})); p != nil {
		t.Errorf("a problem of one message counted against the channel: %+v", p)
	}
	if Describe(SMTP, nil) != nil {
		t.Error("nil error described")
	}
	if p := Describe(Endpoint, errors.New(strings.Repeat("é", 400))); len(p.Reason) > maxReason+len("…") {
		t.Errorf("reason of %d bytes", len(p.Reason))
	}
}
