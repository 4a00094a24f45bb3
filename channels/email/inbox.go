package email

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/mailaddr"
)

// inbox is the SMTP listener's Inbox over the store and the server's Host.
type inbox struct {
	c *Channel
	h channels.Host

	mu    sync.Mutex
	cache map[string]cachedChannel
}

// channelCacheTTL is how long the listener reuses a channel and its decoded
// configuration: a change or a disconnection applies to mail within this long.
const channelCacheTTL = 5 * time.Second

// cachedChannel is a channel and its configuration as read at some time.
type cachedChannel struct {
	ch  domain.Channel
	cfg *Config
	at  time.Time
}

// channel returns the channel id and its configuration, read at most channelCacheTTL ago.
func (b *inbox) channel(ctx context.Context, id string) (domain.Channel, *Config, error) {
	b.mu.Lock()
	c, ok := b.cache[id]
	b.mu.Unlock()
	if ok && time.Since(c.at) < channelCacheTTL {
		return c.ch, c.cfg, nil
	}
	ch, err := b.c.store.ChannelByID(ctx, id)
	if err != nil {
		return ch, nil, err
	}
	raw, err := b.h.Config(ctx, ch)
	if err != nil {
		return ch, nil, err
	}
	cfg, ok := raw.(*Config)
	if !ok {
		return ch, nil, fmt.Errorf("email channel %s decoded as %T", ch.ID, raw)
	}
	b.mu.Lock()
	if b.cache == nil || len(b.cache) > 10000 {
		b.cache = map[string]cachedChannel{}
	}
	b.cache[id] = cachedChannel{ch: ch, cfg: cfg, at: time.Now()}
	b.mu.Unlock()
	return ch, cfg, nil
}

var errUnparseable = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
	Message: "The message could not be parsed as RFC 5322 mail"}

var errTooLarge = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4},
	Message: "Maximum message size exceeded"}

// capitalize starts an SMTP reply's text with a capital letter.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// errUnverified refuses mail for an address whose channel has not proven it yet: the sender's
// server bounces it, so nothing is held for a desk that may not own the address.
var errUnverified = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1},
	Message: "This address is awaiting verification by its help desk; mail is not accepted for it yet"}

// ChannelsFor returns the one email channel that owns the recipient's mailbox (mailaddr.Mailbox: plus-tags,
// and for Gmail dots, reach the same mailbox); a channel still pending_verification refuses it (550 5.7.1).
func (b *inbox) ChannelsFor(ctx context.Context, address string) ([]string, error) {
	if _, _, _, ok := splitAddress(address); !ok {
		return nil, nil
	}
	ch, found, err := b.c.store.EmailChannelByMailbox(ctx, mailaddr.Mailbox(strings.Trim(strings.TrimSpace(address), "<>")))
	if err != nil || !found {
		return nil, err
	}
	if ch.Status == domain.ChannelPendingVerification {
		return nil, errUnverified
	}
	return []string{ch.ID}, nil
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
	if refusal := CheckInbound(m, d.Raw); refusal != nil {
		b.c.log.InfoContext(ctx, "mail refused", "remote", d.RemoteAddr, "reason", refusal.Reason)
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: capitalize(refusal.Reason)}
	}
	for _, id := range d.ChannelIDs {
		ch, cfg, err := b.channel(ctx, id)
		if err != nil {
			return err
		}
		if ch.Status != domain.ChannelConnected {
			continue // disconnected (or its address changed) between RCPT and DATA
		}
		if _, err := b.c.deliver(ctx, b.h, ch, cfg, m, d.Raw, envelope{source: SourceSMTP, mailFrom: d.MailFrom}); err != nil {
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
