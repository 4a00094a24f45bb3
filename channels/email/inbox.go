package email

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-smtp"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
)

// inbox is the SMTP listener's Inbox over the store and the server's Host.
type inbox struct {
	c *Channel
	h channels.Host
}

var errUnparseable = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
	Message: "The message could not be parsed as RFC 5322 mail"}

var errNoSender = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
	Message: "The message has no From address and the envelope no sender"}

var errTooLarge = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4},
	Message: "Maximum message size exceeded"}

// ChannelsFor returns the connected email channels whose team address is address or one of its plus-addresses.
func (b *inbox) ChannelsFor(ctx context.Context, address string) ([]string, error) {
	local, _, domainPart, ok := splitAddress(address)
	if !ok {
		return nil, nil
	}
	var ids []string
	for _, candidate := range []string{local + "@" + domainPart, address} {
		chans, err := b.c.store.EmailChannelsByAddress(ctx, candidate)
		if err != nil {
			return nil, err
		}
		for _, ch := range chans {
			if !contains(ids, ch.ID) {
				ids = append(ids, ch.ID)
			}
		}
	}
	return ids, nil
}

// Store parses the mail once and delivers it to each of its channels; it returns once every one has it stored.
func (b *inbox) Store(ctx context.Context, d Delivery) error {
	m, err := ParseWithLimits(d.Raw, Limits{MaxBytes: b.c.set.SMTPMaxBytes})
	switch {
	case errors.Is(err, ErrTooLarge):
		return errTooLarge
	case err != nil:
		b.c.log.WarnContext(ctx, "unparseable mail refused", "remote", d.RemoteAddr, "mail_from", d.MailFrom, "error", err)
		return errUnparseable
	}
	if m.From.Email == "" && d.MailFrom != "" {
		m.From = Address{Email: d.MailFrom}
	}
	if m.From.Email == "" {
		return errNoSender
	}
	for _, id := range d.ChannelIDs {
		ch, err := b.c.store.ChannelByID(ctx, id)
		if err != nil {
			return err
		}
		if ch.Status != domain.ChannelConnected {
			continue // disconnected between RCPT and DATA
		}
		if _, err := b.c.deliverTo(ctx, b.h, ch, m, d.Raw, envelope{source: SourceSMTP, mailFrom: d.MailFrom}); err != nil {
			return err
		}
	}
	return nil
}

// deliverTo reads ch's configuration and delivers the parsed mail to it.
func (c *Channel) deliverTo(ctx context.Context, h channels.Host, ch domain.Channel, m *Mail, raw []byte, env envelope) (Outcome, error) {
	raw2, err := h.Config(ctx, ch)
	if err != nil {
		return Outcome{}, err
	}
	cfg, ok := raw2.(*Config)
	if !ok {
		return Outcome{}, fmt.Errorf("email channel %s decoded as %T", ch.ID, raw2)
	}
	return c.deliver(ctx, h, ch, cfg, m, raw, env)
}
