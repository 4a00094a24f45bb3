package email

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// Sources of inbound mail.
const (
	SourceRaw  = "raw"
	SourceSMTP = "smtp"
	SourceIMAP = "imap"
)

// Outcomes of one inbound mail on one channel.
const (
	// OutcomeStored: stored and delivered to its conversation (a new ticket, or the thread it answers).
	OutcomeStored = "stored"
	// OutcomeAutoReply: an auto-reply stored on the thread it answers, without waking its workflow.
	OutcomeAutoReply = "auto_reply"
	// OutcomeAutoReplyIgnored: an auto-reply that answers no thread of the channel; never a ticket.
	OutcomeAutoReplyIgnored = "auto_reply_ignored"
	// OutcomeBounce: a bounce; the reply it names (if ours) is marked failed.
	OutcomeBounce = "bounce"
	// OutcomeOwnAddress: mail from the channel's own address, ignored (loop protection).
	OutcomeOwnAddress = "own_address_ignored"
)

// MaxAttachmentBytes is the largest attachment stored; larger ones are listed in the mail's warnings and dropped.
const MaxAttachmentBytes = 10 << 20

// Outcome is what became of an inbound mail on one channel.
type Outcome struct {
	Outcome  string
	Accepted store.Accepted
}

// envelope is how a mail arrived.
type envelope struct {
	source   string
	mailFrom string
}

// ticketRefOf is the reference of a ticket in subjects and plus-addresses: its id with '-' for '_' ("tkt-0193…").
func ticketRefOf(ticketID string) string { return strings.Replace(ticketID, "_", "-", 1) }

// ticketIDOf turns a reference back into a ticket id.
func ticketIDOf(ref string) string { return strings.Replace(ref, "-", "_", 1) }

// deliver applies the channel's rules to a parsed mail and stores it: loops,
// bounces and unthreaded auto-replies are not tickets; the rest is threaded
// (Message-IDs, then the ticket reference) and handed to h.Accept.
func (c *Channel) deliver(ctx context.Context, h channels.Host, ch domain.Channel, cfg *Config, m *Mail, raw []byte, env envelope) (Outcome, error) {
	if m.IsFrom(cfg.Address) {
		return Outcome{Outcome: OutcomeOwnAddress}, nil
	}
	if m.Kind == KindBounce {
		if m.Bounce != nil && m.Bounce.OriginalMessageID != "" && m.Bounce.Permanent {
			reason := "bounced: " + m.Bounce.Reason
			if m.Bounce.Recipient != "" {
				reason += " (" + m.Bounce.Recipient + ")"
			}
			if _, err := c.store.FailOutboundByProviderID(ctx, ch.ID, m.Bounce.OriginalMessageID, reason); err != nil {
				return Outcome{}, err
			}
		}
		return Outcome{Outcome: OutcomeBounce}, nil
	}
	key, threaded, err := c.thread(ctx, ch, cfg, m)
	if err != nil {
		return Outcome{}, err
	}
	externalID := m.MessageID
	if externalID == "" {
		sum := sha256.Sum256(raw)
		externalID = "sha256:" + hex.EncodeToString(sum[:])
	}
	if !threaded {
		if m.Kind == KindAutoReply {
			return Outcome{Outcome: OutcomeAutoReplyIgnored}, nil
		}
		key = "email:" + externalID
	}
	in := inboundOf(m, cfg, key, externalID)
	if !threaded {
		// An answer to our reply to a form submission or a call joins that conversation.
		if in.ConversationID, _, err = c.store.ConversationOfReply(ctx, ch.ID, clipIDs(append(append([]string(nil), m.InReplyTo...), m.References...))); err != nil {
			return Outcome{}, err
		}
	}
	out := Outcome{Outcome: OutcomeStored}
	if m.Kind == KindAutoReply {
		// Kept on its thread for the agents, but no workflow hears of it: no reopening, no automated answer.
		in.AccountID, in.ChannelID = ch.AccountID, ch.ID
		out.Outcome = OutcomeAutoReply
		out.Accepted, err = c.store.AcceptInbound(ctx, in, func(channelID, key string) string { return "email-auto:" + externalID })
		if err == nil && !out.Accepted.Delivered {
			err = c.store.MarkDelivered(ctx, out.Accepted.MessageID)
		}
	} else {
		out.Accepted, err = h.Accept(ctx, ch, in)
	}
	if err != nil {
		return Outcome{}, err
	}
	return out, c.saveMeta(ctx, ch, m, out.Accepted.MessageID, env)
}

// thread returns the thread key of the conversation m answers: by In-Reply-To
// and References, else by the ticket reference in its subject or plus-address.
func (c *Channel) thread(ctx context.Context, ch domain.Channel, cfg *Config, m *Mail) (string, bool, error) {
	ids := append(append([]string(nil), m.InReplyTo...), m.References...)
	key, ok, err := c.store.ThreadByMessageIDs(ctx, ch.ID, clipIDs(ids))
	if err != nil || ok {
		return key, ok, err
	}
	ref, ok := ThreadRef(m, cfg.Address)
	if !ok {
		return "", false, nil
	}
	return c.store.ThreadByTicket(ctx, ch.ID, ticketIDOf(ref))
}

// clipIDs keeps at most the last 50 ids, each valid UTF-8 without NUL.
func clipIDs(ids []string) []string {
	if len(ids) > 50 {
		ids = ids[len(ids)-50:]
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = storable(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// inboundOf is the stored message of m: the contact per the forwarding toggle, the new text of a reply.
func inboundOf(m *Mail, cfg *Config, key, externalID string) store.Inbound {
	who := m.Contact(cfg.ForwardsUseOriginalSender())
	text := m.NewText
	if m.Forward != nil || strings.TrimSpace(text) == "" {
		text = m.Text
	}
	if strings.TrimSpace(text) == "" && m.HTML == "" {
		text = "(no text)"
	}
	sent := m.Date
	if sent.IsZero() || sent.After(time.Now().Add(24*time.Hour)) {
		sent = time.Now().UTC()
	}
	return store.Inbound{ThreadKey: storable(key), ExternalID: storable(externalID),
		Author:  domain.Author{Email: storable(strings.ToLower(who.Email)), Name: storable(who.Name)},
		Subject: storable(m.Subject), Text: storable(text), HTML: storable(m.HTML), SentAt: sent}
}

// storable makes s valid UTF-8 without NUL, as PostgreSQL text requires.
func storable(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// saveMeta stores the mail's classification, forwarder, quoted history and attachments beside its message.
func (c *Channel) saveMeta(ctx context.Context, ch domain.Channel, m *Mail, messageID string, env envelope) error {
	meta := store.EmailMeta{MessageID: messageID, ChannelID: ch.ID, Kind: string(m.Kind), Source: env.source,
		QuotedText: storable(m.QuotedText), MailFrom: storable(env.mailFrom)}
	if m.Forward != nil {
		meta.ForwarderEmail, meta.ForwarderName = storable(m.Forward.Forwarder.Email), storable(m.Forward.Forwarder.Name)
	}
	atts := make([]store.Attachment, 0, len(m.Attachments))
	for i, a := range m.Attachments {
		if a.Size > MaxAttachmentBytes {
			c.log.WarnContext(ctx, "email attachment over the size limit not stored", "message_id", messageID,
				"name", a.Name, "size", a.Size, "limit", MaxAttachmentBytes)
			continue
		}
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		atts = append(atts, store.Attachment{N: i, Name: storable(a.Name), ContentType: storable(ct), Size: a.Size,
			SHA256: a.SHA256, Inline: a.Inline, ContentID: storable(a.ContentID), Content: a.Content})
	}
	if err := c.store.SaveEmailMessage(ctx, ch.AccountID, meta, atts); err != nil {
		return fmt.Errorf("email %s: %w", messageID, err)
	}
	return nil
}
