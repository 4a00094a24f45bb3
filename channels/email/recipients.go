package email

import (
	"context"
	"strings"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/store"
)

// Recipients are who a reply goes to.
type Recipients struct {
	To, Cc, Bcc []Address
}

// replyRecipients returns who the reply r goes to. By default it answers the
// thread's newest mail as reply-all does: To its Reply-To (RFC 5322 §3.6.2),
// else its From; Cc the rest of its To and Cc. The channel's own addresses (any
// email channel of the account, plus-addresses included) are never recipients.
// The agent's to, cc and bcc (the reply API's), when given, replace each part.
// Without a stored mail the conversation's customer is the recipient.
func (c *Channel) replyRecipients(ctx context.Context, r channels.Reply, cfg *Config) (Recipients, error) {
	own, err := c.store.AccountEmailAddresses(ctx, r.AccountID)
	if err != nil {
		return Recipients{}, err
	}
	own = append(own, cfg.Address)
	var out Recipients
	last, ok, err := c.store.LatestInboundAddresses(ctx, r.AccountID, r.ConversationID)
	if err != nil {
		return Recipients{}, err
	}
	switch {
	case ok:
		out.To = notOwn(fromStored(last.ReplyTo), own)
		if len(out.To) == 0 {
			out.To = notOwn(fromStored([]store.MailAddress{last.From}), own)
		}
		out.Cc = notOwn(append(fromStored(last.To), fromStored(last.Cc)...), own)
	case r.Customer.Email != "":
		out.To = []Address{{Name: r.Customer.Name, Email: r.Customer.Email}}
	}
	chosen, has, err := c.store.ReplyRecipients(ctx, r.AccountID, r.MessageID)
	if err != nil {
		return Recipients{}, err
	}
	if has {
		if chosen.To != nil {
			out.To = fromStored(chosen.To)
		}
		if chosen.Cc != nil {
			out.Cc = fromStored(chosen.Cc)
		}
		out.Bcc = fromStored(chosen.Bcc)
	}
	out.To = unique(out.To, nil)
	out.Cc = unique(out.Cc, out.To)
	out.Bcc = unique(out.Bcc, append(append([]Address(nil), out.To...), out.Cc...))
	return out, nil
}

// fromStored converts stored addresses.
func fromStored(list []store.MailAddress) []Address {
	out := make([]Address, 0, len(list))
	for _, a := range list {
		if a.Email != "" {
			out = append(out, Address{Name: a.Name, Email: a.Email})
		}
	}
	return out
}

// notOwn drops the addresses that are one of own.
func notOwn(list []Address, own []string) []Address {
	out := list[:0:0]
	for _, a := range list {
		if !isOwn(a.Email, own) {
			out = append(out, a)
		}
	}
	return out
}

// unique drops repeated addresses (case-insensitively) and those already in seen.
func unique(list, seen []Address) []Address {
	var out []Address
	has := func(l []Address, e string) bool {
		for _, a := range l {
			if strings.EqualFold(a.Email, e) {
				return true
			}
		}
		return false
	}
	for _, a := range list {
		if !has(seen, a.Email) && !has(out, a.Email) {
			out = append(out, a)
		}
	}
	return out
}

// storedRecipients are the recipients as the reply's email metadata keeps them.
func storedRecipients(r Recipients) (to, cc, bcc []store.MailAddress) {
	return storedAddresses(r.To), storedAddresses(r.Cc), storedAddresses(r.Bcc)
}
