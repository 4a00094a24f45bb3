package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/messenger"
	"github.com/routedesk/routedesk/channels/meta"
	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/channels/whatsapp"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// webhookResponse acknowledges a Meta webhook delivery.
type webhookResponse struct {
	Received int `json:"received"`
	Ignored  int `json:"ignored"`
}

// metaChannel is a connected Messenger or WhatsApp channel with its secrets unsealed.
type metaChannel struct {
	channel     domain.Channel
	appSecret   string
	verifyToken string
	messenger   *messenger.Config // nil for WhatsApp
}

func (s *Server) metaChannel(ctx context.Context, ch domain.Channel) (metaChannel, error) {
	raw, err := s.store.ChannelConfig(ctx, ch.AccountID, ch.ID)
	if err != nil {
		return metaChannel{}, err
	}
	cfg, err := s.channels.Decode(channels.Type(ch.Type), raw)
	if err != nil {
		return metaChannel{}, fmt.Errorf("stored config of %s: %w", ch.ID, err)
	}
	switch c := cfg.(type) {
	case *messenger.Config:
		return metaChannel{channel: ch, appSecret: c.AppSecret, verifyToken: c.VerifyToken, messenger: c}, nil
	case *whatsapp.Config:
		return metaChannel{channel: ch, appSecret: c.AppSecret, verifyToken: c.VerifyToken}, nil
	}
	return metaChannel{}, fmt.Errorf("channel %s is not a Meta channel", ch.ID)
}

// metaHandshake answers Meta's subscription check: the verify token of any
// connected channel of the type echoes hub.challenge; anything else is 403.
func (s *Server) metaHandshake(typ string) gin.HandlerFunc {
	return func(c *gin.Context) {
		chs, err := s.store.ChannelsOfType(c.Request.Context(), typ, 10000)
		if err != nil {
			s.fail(c, err)
			return
		}
		for _, ch := range chs {
			mc, err := s.metaChannel(c.Request.Context(), ch)
			if err != nil {
				s.log.WarnContext(c.Request.Context(), "webhook handshake: unreadable channel", "channel_id", ch.ID, "error", err)
				continue
			}
			if challenge, ok := meta.Handshake(c.Request.URL.Query(), mc.verifyToken); ok {
				c.String(http.StatusOK, challenge)
				return
			}
		}
		writeProblem(c, http.StatusForbidden, "hub.mode must be subscribe and hub.verify_token the verify_token of a connected "+typ+" channel")
	}
}

// readWebhook reads the raw body (signatures cover the exact bytes).
func readWebhook(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, tooLarge
		}
		return nil, fmt.Errorf("read webhook: %w", err)
	}
	return body, nil
}

// verifiedChannels looks up the channels that own ids and keeps those whose
// app secret verifies the body's X-Hub-Signature-256. Unknown ids are skipped.
func (s *Server) verifiedChannels(c *gin.Context, typ string, ids []string, body []byte) (map[string]metaChannel, int, error) {
	sig := c.GetHeader("X-Hub-Signature-256")
	ok := map[string]metaChannel{}
	unknown := 0
	for _, id := range ids {
		ch, err := s.store.ChannelByExternalKey(c.Request.Context(), typ, id)
		if errors.Is(err, domain.ErrNotFound) {
			s.log.WarnContext(c.Request.Context(), "webhook for an unknown "+typ+" id; acknowledged, not stored", "id", id)
			unknown++
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		mc, err := s.metaChannel(c.Request.Context(), ch)
		if err != nil {
			return nil, 0, err
		}
		if meta.VerifySignature(body, sig, mc.appSecret) {
			ok[id] = mc
		}
	}
	return ok, unknown, nil
}

// messengerWebhook takes Meta's "page" deliveries: the signature is checked
// with the app secret of the channel owning each page before anything is
// stored; every customer message of the batch becomes an inbound message.
func (s *Server) messengerWebhook(c *gin.Context) {
	body, err := readWebhook(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	pages, err := meta.MessengerPageIDs(body)
	if err != nil {
		writeProblem(c, http.StatusBadRequest, err.Error())
		return
	}
	channels, unknown, err := s.verifiedChannels(c, "messenger", pages, body)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(channels) == 0 && unknown < len(pages) {
		writeProblem(c, http.StatusUnauthorized, "X-Hub-Signature-256 is missing or does not match the app secret of the page's channel")
		return
	}
	events, err := meta.ParseMessenger(body)
	if err != nil {
		writeProblem(c, http.StatusBadRequest, err.Error())
		return
	}
	var res webhookResponse
	for _, ev := range events {
		mc, known := channels[ev.PageID]
		if !known {
			res.Ignored++
			continue
		}
		stored, err := s.consented(c.Request.Context(), mc, ev)
		if err != nil {
			s.fail(c, err)
			return
		}
		if !stored || ev.Kind != meta.KindMessage {
			res.Ignored++ // postbacks, echoes, reads, deliveries, and messages awaiting consent
			continue
		}
		err = s.acceptWebhookMessage(c.Request.Context(), mc.channel, store.Inbound{
			ThreadKey: "psid:" + ev.PSID, ExternalID: ev.MID, Author: domain.Author{ExternalUserID: ev.PSID},
			Text: ev.Text, SentAt: ev.Timestamp,
		})
		if err != nil {
			s.fail(c, err)
			return
		}
		res.Received++
	}
	c.JSON(http.StatusOK, res)
}

// whatsappWebhook takes Meta's "whatsapp_business_account" deliveries, like messengerWebhook.
func (s *Server) whatsappWebhook(c *gin.Context) {
	body, err := readWebhook(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	numbers, err := meta.WhatsAppPhoneNumberIDs(body)
	if err != nil {
		writeProblem(c, http.StatusBadRequest, err.Error())
		return
	}
	channels, unknown, err := s.verifiedChannels(c, "whatsapp", numbers, body)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(channels) == 0 && unknown < len(numbers) {
		writeProblem(c, http.StatusUnauthorized, "X-Hub-Signature-256 is missing or does not match the app secret of the number's channel")
		return
	}
	events, err := meta.ParseWhatsApp(body)
	if err != nil {
		writeProblem(c, http.StatusBadRequest, err.Error())
		return
	}
	var res webhookResponse
	for _, ev := range events {
		mc, known := channels[ev.PhoneNumberID]
		if known && ev.Kind == meta.KindStatus && ev.Status == "failed" {
			// WhatsApp could not deliver one of our replies (e.g. 131047 outside the window).
			found, err := s.store.MarkProviderFailed(c.Request.Context(), mc.channel.ID, ev.WAMID)
			if err != nil {
				s.fail(c, err)
				return
			}
			if found {
				res.Received++
				continue
			}
		}
		if !known || ev.Kind != meta.KindMessage {
			res.Ignored++
			continue
		}
		err := s.acceptWebhookMessage(c.Request.Context(), mc.channel, store.Inbound{
			ThreadKey: "wa:" + ev.From, ExternalID: ev.WAMID,
			Author: domain.Author{ExternalUserID: ev.From, Name: ev.ProfileName}, Text: ev.Text, SentAt: ev.Timestamp,
		})
		if err != nil {
			s.fail(c, err)
			return
		}
		res.Received++
	}
	c.JSON(http.StatusOK, res)
}

// acceptWebhookMessage stores a webhook's message (a redelivery is a no-op)
// and delivers it to its conversation workflow.
func (s *Server) acceptWebhookMessage(ctx context.Context, ch domain.Channel, in store.Inbound) error {
	in.AccountID, in.ChannelID = ch.AccountID, ch.ID
	if in.SentAt.IsZero() {
		in.SentAt = time.Now().UTC()
	}
	acc, err := s.store.AcceptInbound(ctx, in, workflows.ConversationWorkflowID)
	if err != nil {
		return err
	}
	if acc.Delivered {
		return nil
	}
	if err := s.deliver(ctx, store.Undelivered{MessageID: acc.MessageID, AccountID: ch.AccountID, ChannelID: ch.ID,
		ChannelType: ch.Type, ChannelName: ch.Name, ConversationID: acc.ConversationID, WorkflowID: acc.WorkflowID}); err != nil {
		s.log.WarnContext(ctx, "webhook message stored, delivery deferred", "message_id", acc.MessageID, "error", err)
	}
	return nil
}

// ConsentAccept is the payload of the consent prompt's "I agree" quick reply (or a postback button).
const ConsentAccept = "GDPR_CONSENT_ACCEPT"

// consented applies the channel's GDPR consent rule to a Messenger event and
// reports whether the event may be stored. With explicit consent nothing a
// visitor sends is kept until they accept: they are sent the consent prompt
// instead, and their acceptance is recorded on their contact.
func (s *Server) consented(ctx context.Context, mc metaChannel, ev meta.MessengerEvent) (bool, error) {
	cfg := mc.messenger
	if cfg == nil || cfg.GDPR == nil || !cfg.GDPR.Enabled || cfg.GDPR.Consent != "explicit" {
		return true, nil
	}
	ch := mc.channel
	if ev.PostbackPayload == ConsentAccept || ev.QuickReplyPayload == ConsentAccept {
		contact, err := s.store.UpsertContact(ctx, ch.AccountID, ch.ID, domain.Author{ExternalUserID: ev.PSID})
		if err != nil {
			return false, err
		}
		return false, s.store.RecordConsent(ctx, ch.AccountID, contact.ContactID, domain.Consent{
			Given: true, Mode: "explicit", At: time.Now().UTC(), ChannelID: ch.ID, Text: cfg.GDPR.Text})
	}
	if ev.Kind != meta.KindMessage {
		return true, nil
	}
	consent, err := s.store.ChannelUserConsent(ctx, ch.AccountID, ch.ID, ev.PSID)
	if err != nil {
		return false, err
	}
	if consent != nil && consent.Given {
		return true, nil
	}
	s.promptConsent(ctx, cfg, ev.PSID)
	return false, nil
}

// promptConsent sends the consent text with an "I agree" quick reply; a failure is logged, the next message prompts again.
func (s *Server) promptConsent(ctx context.Context, cfg *messenger.Config, psid string) {
	if s.cfg.Graph == nil {
		return
	}
	_, err := s.cfg.Graph.SendMessenger(ctx, cfg.PageAccessToken, graph.MessengerMessage{
		PSID: psid, Text: cfg.GDPR.Text, MessagingType: graph.MessagingTypeResponse,
		QuickReplies: []graph.QuickReply{{Title: "I agree", Payload: ConsentAccept}},
	})
	if err != nil {
		s.log.WarnContext(ctx, "send consent prompt", "error", err)
	}
}

// syncGreeting sets a Messenger page's greeting from its channel; a failure is logged and does not fail the change.
func (s *Server) syncGreeting(ctx context.Context, ch domain.Channel) {
	if ch.Type != "messenger" || s.cfg.Graph == nil {
		return
	}
	mc, err := s.metaChannel(ctx, ch)
	if err != nil || mc.messenger == nil || mc.messenger.Greeting == "" {
		return
	}
	if err := s.cfg.Graph.SetGreeting(ctx, mc.messenger.PageAccessToken, mc.messenger.Greeting); err != nil {
		s.log.WarnContext(ctx, "set Messenger greeting", "channel_id", ch.ID, "error", err)
	}
}
