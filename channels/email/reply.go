package email

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/store"
)

// replyTimeout bounds the dial and each SMTP command of one reply, inside the activity's own send timeout.
const replyTimeout = 8 * time.Second

// Send sends an agent's reply through the channel's config.smtp relay, as an
// answer in the conversation's thread: From per from_name_mode, the signature,
// our own Message-ID (returned as the provider id, so the customer's answer
// threads), In-Reply-To/References and "Re: <subject> [#T-<ref>]". Temporary
// failures (SMTP 4xx, network) are returned for the activity's bounded retries;
// permanent ones (5xx) are refusals carrying the server's text.
func (c *Channel) Send(ctx context.Context, r channels.Reply) (channels.Sent, error) {
	cfg, ok := r.Config.(*Config)
	if !ok {
		return channels.Sent{}, channels.Reject(fmt.Sprintf("email channel given a %T configuration", r.Config), nil)
	}
	if cfg.SMTP == nil {
		return channels.Sent{}, channels.Reject("the email channel has no config.smtp relay to send replies through", nil)
	}
	rcpt, err := c.replyRecipients(ctx, r, cfg)
	if err != nil {
		return channels.Sent{}, err
	}
	if len(rcpt.To) == 0 {
		return channels.Sent{}, channels.Reject("the conversation's customer has no email address", nil)
	}
	sender, err := NewSender(c.smtpSettings(r.ChannelID, cfg, replyTimeout))
	if err != nil {
		return channels.Sent{}, channels.Reject("config.smtp: "+err.Error(), err)
	}
	thread, err := c.store.EmailThread(ctx, r.AccountID, r.ConversationID)
	if err != nil {
		return channels.Sent{}, err
	}
	name, err := c.store.UserName(ctx, r.AccountID, r.AuthorUserID)
	if err != nil {
		return channels.Sent{}, err
	}
	ticketID := r.TicketID
	if ticketID == "" {
		if ticketID, err = c.store.TicketOfConversation(ctx, r.AccountID, r.ConversationID); err != nil {
			return channels.Sent{}, err
		}
	}
	out := Outgoing{
		To: rcpt.To, Cc: rcpt.Cc, Bcc: rcpt.Bcc,
		OriginalSubject: thread.Subject, Text: r.Text, HTML: r.HTML, Agent: Agent{FullName: name},
		// The stored reply's id makes the Message-ID stable across retries of one reply.
		MessageID: replyMessageID(r.MessageID, cfg.Address),
		// Every reply handed to Send is a person's (an agent's, or an admin's through the API): the email
		// channel sends no automated messages yet, so none carries Auto-Submitted.
		Automated: false,
	}
	if ticketID != "" {
		out.TicketRef = ticketRefOf(ticketID)
	}
	if n := len(thread.MessageIDs); n > 0 {
		out.References = thread.MessageIDs
		out.InReplyTo = lastInbound(thread.MessageIDs, out.MessageID)
	}
	out.Files = r.Attachments
	if strings.TrimSpace(out.Text) == "" && strings.TrimSpace(out.HTML) == "" && len(out.Files) == 0 {
		return channels.Sent{}, channels.Reject("the reply is empty", nil)
	}
	id := Identity{Address: cfg.Address, FromNameMode: cfg.FromNameMode, CompanyName: cfg.CompanyName, Signature: cfg.Signature}
	msgID, err := sender.Send(ctx, id, out)
	if err != nil {
		if IsTemporary(err) {
			return channels.Sent{}, fmt.Errorf("email reply %s: %w", r.MessageID, err)
		}
		return channels.Sent{}, channels.Reject(sendText(err), err)
	}
	meta := store.EmailMeta{MessageID: r.MessageID, ChannelID: r.ChannelID, Kind: "reply", Source: SourceSMTP,
		HeaderFrom: store.MailAddress{Email: cfg.Address}}
	meta.To, meta.Cc, meta.Bcc = storedRecipients(rcpt)
	if err := c.store.SaveEmailMessage(ctx, r.AccountID, meta, nil); err != nil {
		// The mail is out: failing now would send it again; the recipients are only not on record.
		c.log.WarnContext(ctx, "the reply's recipients were not recorded", "message_id", r.MessageID, "error", err)
	}
	return channels.Sent{ProviderID: msgID}, nil
}

// AttachmentLimits returns what a reply mail carries: files up to 18 MB together, so that the mail,
// base64-encoded, stays within the 25 MB most providers (Gmail, Office 365) accept.
func (*Channel) AttachmentLimits() channels.AttachmentLimits {
	return channels.AttachmentLimits{MaxTotalBytes: MaxReplyFilesBytes}
}

// MaxReplyFilesBytes bounds the files of one reply mail together.
const MaxReplyFilesBytes = 18 << 20

// replyMessageID is the Message-ID of a stored reply: its id in the team address's domain.
func replyMessageID(messageID, address string) string {
	domain := "routedesk.invalid"
	if _, _, d, ok := splitAddress(address); ok {
		domain = d
	}
	return strings.ReplaceAll(messageID, "_", ".") + "@" + domain
}

// lastInbound is the newest Message-ID of the thread other than our own, which In-Reply-To names.
func lastInbound(ids []string, own string) string {
	for i := len(ids) - 1; i >= 0; i-- {
		if ids[i] != own {
			return ids[i]
		}
	}
	return ""
}

// sendText is the failure reason of a permanent send failure: the server's text.
func sendText(err error) string {
	if se, ok := err.(*SendError); ok {
		return se.Text
	}
	return err.Error()
}

// smtpSettings turns a channel's config.smtp into sender settings (logging in with the provider's
// access token when the mailbox is connected through config.oauth).
func (c *Channel) smtpSettings(channelID string, cfg *Config, timeout time.Duration) SMTPSettings {
	s := SMTPSettings{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username,
		Password: cfg.SMTP.Password, TLS: cfg.SMTP.TLS, Timeout: timeout, TLSConfig: c.set.SMTPClientTLS}
	s.Token, s.TokenRefused = c.mailboxTokens(channelID, cfg)
	return s
}
