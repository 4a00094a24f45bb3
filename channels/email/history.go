package email

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
)

// MaxMailBytes is the largest mail an import reads: DefaultMaxBytes.
func (*Channel) MaxMailBytes() int { return DefaultMaxBytes }

// ReadHistoricalMail reads one mail of an mbox export with the same parser,
// forwarding rule and own-address rule as live mail.
func (*Channel) ReadHistoricalMail(raw []byte, config json.RawMessage) (channels.HistoricalMail, error) {
	m, err := ParseWithLimits(raw, DefaultLimits())
	if err != nil {
		return channels.HistoricalMail{}, fmt.Errorf("unreadable mail: %w", err)
	}
	var cfg Config
	if len(config) > 0 {
		if err := json.Unmarshal(config, &cfg); err != nil {
			return channels.HistoricalMail{}, fmt.Errorf("email channel configuration: %w", err)
		}
	}
	cfg.ApplyDefaults()
	out := channels.HistoricalMail{MessageID: m.MessageID, InReplyTo: m.InReplyTo, References: m.References, Date: m.Date,
		Subject: m.Subject, Text: m.NewText, HTML: m.HTML, Attachments: storedAttachments(m.Attachments)}
	if out.Text == "" {
		out.Text = m.Text
	}
	if m.Kind == KindBounce || m.Kind == KindAutoReply {
		out.Skip = strings.ReplaceAll(string(m.Kind), "_", "-") + " not imported"
		return out, nil
	}
	var contact Address
	if cfg.Address != "" && m.IsFrom(cfg.Address) {
		out.Outbound = true
		out.Author = domain.Author{Email: m.From.Email, Name: m.From.Name}
		if len(m.To) > 0 {
			contact = m.To[0]
		}
	} else {
		contact = m.Customer(cfg.ForwardsUseOriginalSender(), cfg.Address)
		out.Author = domain.Author{Email: contact.Email, Name: contact.Name}
	}
	out.Contact = domain.Author{Email: contact.Email, Name: contact.Name}
	return out, nil
}
