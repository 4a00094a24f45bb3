// Package health is the state machine and the person-readable reasons of a
// channel's health: each component of a channel (its IMAP mailbox, its SMTP
// relay, its Graph token, its app's endpoint) is ok, degraded or failing.
package health

import "time"

// States of a channel component.
const (
	OK       = "ok"
	Degraded = "degraded"
	Failing  = "failing"
)

// Components of a channel that report their health.
const (
	// IMAP is an email channel's polled mailbox.
	IMAP = "imap"
	// SMTP is an email channel's relay for replies.
	SMTP = "smtp"
	// Graph is a Messenger or WhatsApp channel's Graph API token and sends.
	Graph = "graph"
	// Endpoint is a custom channel's outbound_url.
	Endpoint = "endpoint"
	// Webhook is a Messenger or WhatsApp channel's webhook subscription at Meta.
	Webhook = "webhook"
	// OAuth is an email channel's grant from its mailbox provider (Gmail, Microsoft 365).
	OAuth = "oauth"
)

// The state machine's thresholds: a transient failure degrades a component; it
// is failing after FailAfter failures in a row, or when it has failed without a
// success for FailAfterDuration. A permanent problem (credentials refused, an
// untrusted certificate) fails at once: retrying cannot fix it, a person must.
const (
	FailAfter         = 3
	FailAfterDuration = 10 * time.Minute
)

// Record is one component's health.
type Record struct {
	State string
	// Reason is the last failure, for a person; "" when ok.
	Reason string
	// Since is when State began.
	Since time.Time
	// LastSuccess is the last time the component worked; zero when never.
	LastSuccess time.Time
	// Failures counts the failures since the last success.
	Failures int
	// FirstFailure is the first failure since the last success; zero when ok.
	FirstFailure time.Time
}

// Next is r after an attempt at now: p nil means the attempt worked.
func Next(r Record, p *Problem, now time.Time) Record {
	if p == nil {
		out := Record{State: OK, Since: r.Since, LastSuccess: now}
		if r.State != OK || r.Since.IsZero() {
			out.Since = now
		}
		return out
	}
	out := r
	out.Reason = p.Reason
	out.Failures++
	if out.FirstFailure.IsZero() || r.State == OK || r.State == "" {
		out.FirstFailure = now
		out.Failures = 1
	}
	state := Degraded
	if p.Permanent || out.Failures >= FailAfter || now.Sub(out.FirstFailure) >= FailAfterDuration {
		state = Failing
	}
	if state != r.State {
		out.Since = now
	}
	out.State = state
	return out
}

// Worst returns the most severe of the states.
func Worst(states ...string) string {
	w := OK
	for _, s := range states {
		if rank(s) > rank(w) {
			w = s
		}
	}
	return w
}

func rank(s string) int {
	switch s {
	case Failing:
		return 2
	case Degraded:
		return 1
	}
	return 0
}

// SendComponent is the component a channel type's reply sends exercise; "" for
// channel types whose replies leave through no connection of their own (chat, form, calling).
func SendComponent(channelType string) string {
	switch channelType {
	case "email":
		return SMTP
	case "messenger", "whatsapp":
		return Graph
	case "custom":
		return Endpoint
	}
	return ""
}
