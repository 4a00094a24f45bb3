package server

import (
	"context"
	"errors"
	"strings"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
)

// replyVia is the channel a reply to a ticket on a form or a phone line goes out on: the
// request's channel_id, else the one the ticket's channel names (reply_channel_id), else the
// first connected channel that reaches the contact (an email channel when they have an
// address, else a WhatsApp or custom channel they wrote through). It is 422 naming channel_id
// when none can reach them — before anything is stored. A ticket on a channel that sends its
// own replies gets the zero channel: the reply goes out on the conversation's channel.
func (s *Server) replyVia(ctx context.Context, accountID string, t domain.Ticket, channelID string) (domain.Channel, error) {
	own, err := s.store.Channel(ctx, accountID, t.ChannelID)
	if err != nil {
		return domain.Channel{}, err
	}
	cfg, err := channelHost{s}.Config(ctx, own)
	if err != nil {
		return domain.Channel{}, err
	}
	routed, ok := cfg.(channels.ReplyRouted)
	if !ok {
		if channelID != "" && channelID != t.ChannelID {
			return domain.Channel{}, domain.Invalid("channel_id", "the ticket's conversation is on channel "+t.ChannelID+"; leave channel_id out")
		}
		return domain.Channel{}, nil
	}
	if t.ContactID == nil {
		return domain.Channel{}, domain.Invalid("channel_id", "the ticket has no contact: a "+own.Type+" ticket's reply has no one to go to")
	}
	contact, err := s.store.Contact(ctx, accountID, *t.ContactID)
	if err != nil {
		return domain.Channel{}, err
	}
	for _, named := range []struct{ id, source string }{{channelID, "channel_id"}, {routed.ReplyChannelID(), "the " + own.Type + " channel's reply_channel_id"}} {
		if named.id == "" {
			continue
		}
		ch, err := s.store.Channel(ctx, accountID, named.id)
		if errors.Is(err, domain.ErrNotFound) {
			return domain.Channel{}, domain.Invalid("channel_id", named.source+" names no channel of this account ("+named.id+")")
		}
		if err != nil {
			return domain.Channel{}, err
		}
		if err := s.canReach(ctx, ch, contact); err != nil {
			return domain.Channel{}, domain.Invalid("channel_id", named.source+": "+err.Error())
		}
		return ch, nil
	}
	candidates, err := s.store.ReplyChannels(ctx, accountID)
	if err != nil {
		return domain.Channel{}, err
	}
	var why []string
	for _, ch := range candidates {
		err := s.canReach(ctx, ch, contact)
		if err == nil {
			return ch, nil
		}
		why = append(why, err.Error())
	}
	detail := "the ticket's contact " + contact.ID + " cannot be reached by any connected channel"
	if len(why) > 0 {
		detail += " (" + strings.Join(why, "; ") + ")"
	}
	return domain.Channel{}, domain.Invalid("channel_id", detail+": connect an email channel with an SMTP relay, or add an email address to the contact")
}

// cannotReach is why a channel cannot write to a contact.
type cannotReach string

func (e cannotReach) Error() string { return string(e) }

// canReach reports why channel ch cannot write to the contact, nil when it can: it must be
// connected and able to send, and know an address of theirs (email: their email address and
// an SMTP relay; WhatsApp: their phone number or WhatsApp id; custom: the user id they wrote with).
func (s *Server) canReach(ctx context.Context, ch domain.Channel, contact domain.Contact) error {
	if ch.Status != domain.ChannelConnected {
		return cannotReach("channel " + ch.ID + " is disconnected")
	}
	switch ch.Type {
	case "email":
		if contact.Email == nil || *contact.Email == "" {
			return cannotReach("email channel " + ch.ID + ": the contact has no email address")
		}
		cfg, err := channelHost{s}.Config(ctx, ch)
		if err != nil {
			return err
		}
		if sc, ok := cfg.(channels.Sending); ok {
			if why := sc.CannotSend(); why != "" {
				return cannotReach("email channel " + ch.ID + " " + why)
			}
		}
		return nil
	case "whatsapp", "custom":
		user, err := s.store.ContactChannelUser(ctx, ch.AccountID, contact.ID, ch.ID)
		if err != nil {
			return err
		}
		if user != "" || (ch.Type == "whatsapp" && contact.Phone != "") {
			return nil
		}
		if ch.Type == "whatsapp" {
			return cannotReach("WhatsApp channel " + ch.ID + ": the contact has no phone number")
		}
		return cannotReach("custom channel " + ch.ID + ": the contact never wrote through it")
	}
	return cannotReach("a " + ch.Type + " channel (" + ch.ID + ") cannot send a reply to a contact; name an email, WhatsApp or custom channel")
}

// checkReplyChannel refuses (422 naming config.reply_channel_id) a form's or a phone line's
// reply channel that is not a channel of the account able to write to a contact.
func (s *Server) checkReplyChannel(ctx context.Context, accountID string, cfg channels.Config) error {
	routed, ok := cfg.(channels.ReplyRouted)
	if !ok || routed.ReplyChannelID() == "" {
		return nil
	}
	ch, err := s.store.Channel(ctx, accountID, routed.ReplyChannelID())
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Invalid("config.reply_channel_id", "names no channel of this account")
	}
	if err != nil {
		return err
	}
	switch ch.Type {
	case "email", "whatsapp", "custom":
		return nil
	}
	return domain.Invalid("config.reply_channel_id", "a "+ch.Type+" channel cannot send replies to a contact; name an email, WhatsApp or custom channel")
}
