package email

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
)

// SystemMailer sends routedesk's own plain-text mails (ROUTEDESK_SMTP_URL); *mailer.Mailer is one.
type SystemMailer interface {
	// Send delivers one plain-text mail.
	Send(ctx context.Context, to, subject, body string) error
}

// proofSendTimeout bounds one verification mail, dial included.
const proofSendTimeout = 20 * time.Second

// ProofRequired reports whether new team addresses must be proven (Settings.VerifyAddresses).
func (c *Channel) ProofRequired() bool { return c.set.VerifyAddresses }

// SendProof mails code to the channel's address: through the channel's own config.smtp relay when it has
// one (From: the address itself), else through the system mailer; one attempt and one retry of a temporary failure.
func (c *Channel) SendProof(ctx context.Context, ch domain.Channel, raw channels.Config, code string) error {
	cfg, ok := raw.(*Config)
	if !ok {
		return fmt.Errorf("email channel %s decoded as %T", ch.ID, raw)
	}
	subject, body := proofMail(c.set.PublicURL, ch, cfg.Address, code)
	send := func(ctx context.Context) error { return c.sendSystem(ctx, cfg.Address, subject, body) }
	if cfg.SMTP != nil {
		sender, err := NewSender(c.smtpSettings(ch.ID, cfg, proofSendTimeout))
		if err != nil {
			return fmt.Errorf("config.smtp: %w", err)
		}
		send = func(ctx context.Context) error {
			return sender.sendNotice(ctx, cfg.Address, cfg.Address, subject, body)
		}
	}
	var err error
	for attempt := 1; attempt <= 2; attempt++ {
		actx, cancel := context.WithTimeout(ctx, proofSendTimeout)
		err = send(actx)
		cancel()
		if err == nil || !IsTemporary(err) || attempt == 2 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	return err
}

// sendSystem sends through the system mailer, or fails saying what to configure.
func (c *Channel) sendSystem(ctx context.Context, to, subject, body string) error {
	if c.set.SystemMail == nil {
		return errors.New("no way to send the verification mail: give the channel a config.smtp relay or set ROUTEDESK_SMTP_URL")
	}
	return c.set.SystemMail.Send(ctx, to, subject, body)
}

// proofMail is the verification mail's subject and text.
func proofMail(publicURL string, ch domain.Channel, address, code string) (string, string) {
	var b strings.Builder
	fmt.Fprintf(&b, "Someone connected %s to the routedesk email channel %q.\n\n", address, ch.Name)
	b.WriteString("Mail to this address reaches that help desk only once you confirm it is yours.\n\n")
	if publicURL != "" {
		link := strings.TrimRight(publicURL, "/") + "/verify-address/" + url.PathEscape(ch.ID) + "?code=" + url.QueryEscape(code)
		fmt.Fprintf(&b, "Confirm by opening this link:\n\n  %s\n\nor enter this code in the channel's settings:\n\n  %s\n\n", link, code)
	} else {
		fmt.Fprintf(&b, "Confirm by entering this code in the channel's settings (POST /v1/channels/%s/verify):\n\n  %s\n\n", ch.ID, code)
	}
	b.WriteString("The code works once and expires in 24 hours. If you did not expect this mail, ignore it:\n" +
		"nothing sent to this address will be delivered to that channel.\n")
	return "Confirm " + address + " for your help desk", b.String()
}

// sendNotice sends one plain-text mail of routedesk's own (no thread, no signature), marked auto-generated.
func (s *Sender) sendNotice(ctx context.Context, from, to, subject, text string) error {
	msg := mail.NewMsg()
	if err := msg.From(from); err != nil {
		return &SendError{Text: "from address: " + err.Error(), Err: err}
	}
	if err := msg.To(to); err != nil {
		return &SendError{Text: "to address: " + err.Error(), Err: err}
	}
	msg.Subject(subject)
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(mail.TypeTextPlain, text)
	ctx, cancel := context.WithTimeout(ctx, 4*s.settings.Timeout)
	defer cancel()
	client, token, err := s.connectable(ctx)
	if err != nil {
		return err
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return s.dialError(ctx, token, err)
	}
	return nil
}
