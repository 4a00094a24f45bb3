package health

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"syscall"

	"github.com/emersion/go-imap/v2"
)

// Problem is a component failure told for a person.
type Problem struct {
	// Reason says what is wrong and, where it can, what to do.
	Reason string
	// Permanent means retrying cannot help: the component fails at once.
	Permanent bool
	// Err is the underlying error.
	Err error
}

// Error implements error.
func (p *Problem) Error() string { return p.Reason }

// Unwrap returns the underlying error.
func (p *Problem) Unwrap() error { return p.Err }

// Fail returns a Problem with reason wrapping err.
func Fail(reason string, permanent bool, err error) error {
	return &Problem{Reason: reason, Permanent: permanent, Err: err}
}

// Reasoner is an error that knows what it means for its channel's health:
// ok false means the failure concerns one message, not the channel (one customer's
// address refused, a reply window closed).
type Reasoner interface {
	HealthProblem() (p *Problem, ok bool)
}

// maxReason caps a reason's length.
const maxReason = 500

// Describe tells err, a failure of component, for a person; nil when err is
// nil or is no sign of the component's health (a problem of one message).
func Describe(component string, err error) *Problem {
	if err == nil {
		return nil
	}
	p := describe(component, err)
	if p != nil && len(p.Reason) > maxReason {
		p.Reason = strings.ToValidUTF8(p.Reason[:maxReason], "") + "…"
	}
	return p
}

func describe(component string, err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var r Reasoner
	if errors.As(err, &r) {
		p, ok := r.HealthProblem()
		if !ok {
			return nil
		}
		return p
	}
	name := label(component)
	if cert := certificateProblem(err); cert != "" {
		return &Problem{Reason: name + " server certificate is not trusted: " + cert, Permanent: true, Err: err}
	}
	var imapErr *imap.Error
	if errors.As(err, &imapErr) {
		if imapErr.Code == imap.ResponseCodeAuthenticationFailed || imapErr.Code == imap.ResponseCodeAuthorizationFailed ||
			strings.Contains(err.Error(), "login") {
			return &Problem{Reason: "IMAP login refused: check the username and password (the server said: " + imapErr.Text + ")", Permanent: true, Err: err}
		}
		return &Problem{Reason: "IMAP server refused a command: " + imapErr.Text, Err: err}
	}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		switch {
		case tp.Code == 530 || tp.Code == 534 || tp.Code == 535:
			return &Problem{Reason: fmt.Sprintf("%s login refused: check the username and password (the server said: %d %s)", name, tp.Code, tp.Msg), Permanent: true, Err: err}
		case tp.Code >= 400 && tp.Code < 500:
			return &Problem{Reason: fmt.Sprintf("%s is refusing mail for now: %d %s", name, tp.Code, tp.Msg), Err: err}
		}
		return &Problem{Reason: fmt.Sprintf("%s answered %d %s", name, tp.Code, tp.Msg), Err: err}
	}
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return &Problem{Reason: fmt.Sprintf("%s host %q was not found: check the host name", name, dns.Name), Err: err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Problem{Reason: name + " server refused the connection: check the host and port, or whether the server is up", Err: err}
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return &Problem{Reason: name + " server did not answer in time", Err: err}
	case strings.Contains(strings.ToLower(err.Error()), "authentication failed") || strings.Contains(strings.ToLower(err.Error()), "auth failed"):
		return &Problem{Reason: name + " login refused: check the username and password", Permanent: true, Err: err}
	}
	return &Problem{Reason: name + ": " + err.Error(), Err: err}
}

// label names the component for a person.
func label(component string) string {
	switch component {
	case IMAP:
		return "IMAP"
	case SMTP:
		return "SMTP relay"
	case Graph:
		return "Meta Graph API"
	case Endpoint:
		return "The app's outbound_url"
	case Webhook:
		return "Meta webhook subscription"
	}
	return component
}

// certificateProblem describes a TLS certificate failure in err; "" when there is none.
func certificateProblem(err error) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknown):
		return "it is signed by an unknown authority (self-signed or a private CA)"
	case errors.As(err, &host):
		return host.Error()
	case errors.As(err, &invalid):
		return invalid.Error()
	case errors.As(err, &verify):
		return verify.Err.Error()
	}
	return ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
