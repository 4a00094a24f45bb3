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

// MaxAttachmentBytes is the largest attachment stored; a larger one is listed (name, type, size) as omitted, without its bytes.
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

// Reasons of ignored mail (GET /v1/channels/{id}/ignored, routedesk_inbound_ignored_total).
const (
	IgnoredOwnAddress = "own_address"
	IgnoredBounce     = "bounce"
	IgnoredAutoReply  = "auto_reply"
)

// deliver applies the channel's rules to a parsed mail and stores it: loops,
// bounces and unthreaded auto-replies are not tickets (each is recorded as
// ignored, with its reason); the rest is threaded (Message-IDs, then the ticket
// reference) and handed to h.Accept.
func (c *Channel) deliver(ctx context.Context, h channels.Host, ch domain.Channel, cfg *Config, m *Mail, raw []byte, env envelope) (Outcome, error) {
	externalID := m.MessageID
	if externalID == "" {
		sum := sha256.Sum256(raw)
		externalID = "sha256:" + hex.EncodeToString(sum[:])
	}
	ignore := func(outcome, reason, detail, conversationID string) (Outcome, error) {
		rec := store.IgnoredInbound{ChannelID: ch.ID, Reason: reason, Detail: detail, ExternalID: storable(externalID),
			Author: domain.Author{Email: storable(m.From.Email), Name: storable(m.From.Name)}, Subject: storable(m.Subject), Source: env.source}
		if conversationID != "" {
			rec.ConversationID = &conversationID
		}
		return Outcome{Outcome: outcome}, channels.RecordIgnored(ctx, c.store, ch.AccountID, Type, rec)
	}
	if m.IsFrom(cfg.Address) {
		return ignore(OutcomeOwnAddress, IgnoredOwnAddress, "mail from the channel's own address "+cfg.Address, "")
	}
	if m.Kind == KindBounce {
		detail, conversationID := "a delivery report", ""
		if b := m.Bounce; b != nil {
			detail = strings.TrimSpace(b.Reason + " " + b.Recipient)
			if b.OriginalMessageID != "" {
				var err error
				if conversationID, err = c.store.ConversationOfProviderID(ctx, ch.ID, b.OriginalMessageID); err != nil {
					return Outcome{}, err
				}
			}
			if b.OriginalMessageID != "" && b.Permanent {
				reason := "bounced: " + b.Reason
				if b.Recipient != "" {
					reason += " (" + b.Recipient + ")"
				}
				if _, err := c.store.FailOutboundByProviderID(ctx, ch.ID, b.OriginalMessageID, reason); err != nil {
					return Outcome{}, err
				}
			}
		}
		return ignore(OutcomeBounce, IgnoredBounce, detail, conversationID)
	}
	key, threaded, err := c.thread(ctx, ch, cfg, m)
	if err != nil {
		return Outcome{}, err
	}
	if !threaded {
		if m.Kind == KindAutoReply {
			return ignore(OutcomeAutoReplyIgnored, IgnoredAutoReply, m.AutoReason+" (answers no thread of the channel)", "")
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
	who := m.Customer(cfg.ForwardsUseOriginalSender(), cfg.Address)
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

// saveMeta stores the mail's classification, forwarder, quoted history, addresses and attachments beside its message.
func (c *Channel) saveMeta(ctx context.Context, ch domain.Channel, m *Mail, messageID string, env envelope) error {
	meta := store.EmailMeta{MessageID: messageID, ChannelID: ch.ID, Kind: string(m.Kind), Source: env.source,
		QuotedText: storable(m.QuotedText), MailFrom: storable(env.mailFrom), HeaderFrom: storedAddress(m.From),
		ReplyTo: storedAddresses(m.ReplyTo), To: storedAddresses(m.To), Cc: storedAddresses(m.Cc), NoAutoReply: storable(m.NoAutoReply)}
	if m.Forward != nil {
		meta.ForwarderEmail, meta.ForwarderName = storable(m.Forward.Forwarder.Email), storable(m.Forward.Forwarder.Name)
	}
	if err := c.store.SaveEmailMessage(ctx, ch.AccountID, meta, storedAttachments(m.Attachments)); err != nil {
		return fmt.Errorf("email %s: %w", messageID, err)
	}
	return nil
}

// storedAttachments are the attachments as stored: one over MaxAttachmentBytes is listed as omitted, without its bytes.
func storedAttachments(list []Attachment) []store.Attachment {
	out := make([]store.Attachment, 0, len(list))
	for i, a := range list {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		sa := store.Attachment{N: i, Name: storable(a.Name), ContentType: storable(ct), Size: a.Size,
			SHA256: a.SHA256, Inline: a.Inline, ContentID: storable(a.ContentID), Content: a.Content}
		if a.Size > MaxAttachmentBytes {
			sa.Content, sa.Omitted = nil, true
		}
		out = append(out, sa)
	}
	return out
}

// storedAddress is an address as PostgreSQL stores it.
func storedAddress(a Address) store.MailAddress {
	return store.MailAddress{Name: storable(a.Name), Email: storable(a.Email)}
}

// storedAddresses are at most 100 addresses as PostgreSQL stores them.
func storedAddresses(list []Address) []store.MailAddress {
	out := make([]store.MailAddress, 0, min(len(list), 100))
	for i, a := range list {
		if i == 100 {
			break
		}
		out = append(out, storedAddress(a))
	}
	return out
}
