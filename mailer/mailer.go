// Package mailer sends routedesk's own notification emails (to agents, say)
// over SMTP, configured by one URL.
package mailer

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	mail "github.com/wneessen/go-mail"
)

// Mailer sends plain-text notification emails.
type Mailer struct {
	from    string
	options []mail.Option
	host    string
}

// Parse builds a Mailer from an SMTP URL and a From address:
// smtp://user:pass@host:587 (STARTTLS required), smtp://host:25?tls=none,
// smtp://host:2525?tls=opportunistic, or smtps://user:pass@host:465 (implicit TLS).
func Parse(rawURL, from string) (*Mailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("SMTP URL: %w", err)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("SMTP URL %q has no host", u.Redacted())
	}
	if from == "" {
		return nil, fmt.Errorf("a From address is needed to send email")
	}
	m := &Mailer{from: from, host: u.Hostname()}
	m.options = append(m.options, mail.WithTimeout(20*time.Second))
	switch u.Scheme {
	case "smtps":
		m.options = append(m.options, mail.WithSSL(), mail.WithPort(portOr(u, 465)))
	case "smtp":
		policy := mail.TLSMandatory
		switch u.Query().Get("tls") {
		case "", "starttls":
		case "opportunistic":
			policy = mail.TLSOpportunistic
		case "none":
			policy = mail.NoTLS
		default:
			return nil, fmt.Errorf("SMTP URL: tls=%q is not starttls, opportunistic or none", u.Query().Get("tls"))
		}
		m.options = append(m.options, mail.WithTLSPolicy(policy), mail.WithPort(portOr(u, 587)))
	default:
		return nil, fmt.Errorf("SMTP URL: scheme %q is not smtp or smtps", u.Scheme)
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		m.options = append(m.options, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	return m, nil
}

func portOr(u *url.URL, def int) int {
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	return def
}

// Send delivers one plain-text email.
func (m *Mailer) Send(ctx context.Context, to, subject, body string) error {
	msg := mail.NewMsg()
	if err := msg.From(m.from); err != nil {
		return fmt.Errorf("from address %q: %w", m.from, err)
	}
	if err := msg.To(to); err != nil {
		return fmt.Errorf("to address %q: %w", to, err)
	}
	msg.Subject(subject)
	msg.SetBodyString(mail.TypeTextPlain, body)
	c, err := mail.NewClient(m.host, m.options...)
	if err != nil {
		return fmt.Errorf("SMTP client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send email to %s: %w", to, err)
	}
	return nil
}
