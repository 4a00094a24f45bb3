package messenger

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/meta"
	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/channels/meta/webhook"
	"github.com/routedesk/routedesk/csat"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// WebhookSecrets returns the app secret and the verify token.
func (c *Config) WebhookSecrets() (appSecret, verifyToken string) { return c.AppSecret, c.VerifyToken }

// Routes registers Meta's handshake and deliveries at /webhooks/messenger.
func (c *Channel) Routes(r channels.Router, h channels.Host) {
	r.Handle(channels.Route{Method: http.MethodGet, Path: "/webhooks/messenger", Tag: "webhooks",
		Summary: "Meta's webhook verification handshake (hub.mode, hub.verify_token, hub.challenge)",
		Query:   webhook.HubQuery, Status: http.StatusOK, Handler: webhook.Handshake(h, Type)})
	r.Handle(channels.Route{Method: http.MethodPost, Path: "/webhooks/messenger", Tag: "webhooks",
		Summary:  "Messenger deliveries (object page), signed with X-Hub-Signature-256",
		Response: webhook.Response{}, Status: http.StatusOK, JSONBody: true, Problems: []int{http.StatusUnauthorized}, Handler: c.deliveries(h)})
}

// deliveries takes Meta's "page" deliveries: the signature is checked with the
// app secret of the channel owning each page before anything is stored; every
// customer message of the batch becomes an inbound message.
func (c *Channel) deliveries(h channels.Host) gin.HandlerFunc {
	return func(gc *gin.Context) {
		ctx := gc.Request.Context()
		body, verified, ok := webhook.Accept(gc, h, Type, "page", meta.MessengerPageIDs)
		if !ok {
			return
		}
		events, err := meta.ParseMessenger(body)
		if err != nil && len(verified) > 0 {
			webhook.Reject(gc, h, Type, verified, body, err)
			return
		}
		if err != nil {
			h.Problem(gc, http.StatusBadRequest, err.Error())
			return
		}
		var res webhook.Response
		for _, ev := range events {
			mc, known := verified[ev.PageID]
			if !known {
				res.Ignored++
				continue
			}
			if rated, err := rateSurvey(ctx, h, mc.Channel.ID, "psid:"+ev.PSID, ev); rated || err != nil {
				if err != nil {
					h.Fail(gc, err)
					return
				}
				res.Received++ // a survey's rating: not a message (it would reopen the solved ticket)
				continue
			}
			stored, err := c.consented(ctx, mc, ev)
			if err != nil {
				h.Fail(gc, err)
				return
			}
			if !stored || ev.Kind != meta.KindMessage {
				res.Ignored++ // postbacks, echoes, reads, deliveries, and messages awaiting consent
				continue
			}
			_, err = h.Accept(ctx, mc.Channel, store.Inbound{
				ThreadKey: "psid:" + ev.PSID, ExternalID: ev.MID, Author: domain.Author{ExternalUserID: ev.PSID},
				Text: ev.Text, SentAt: ev.Timestamp,
			})
			if err != nil {
				h.Fail(gc, err)
				return
			}
			res.Received++
		}
		gc.JSON(http.StatusOK, res)
	}
}

// ConsentAccept is the payload of the consent prompt's "I agree" quick reply (or a postback button).
const ConsentAccept = "GDPR_CONSENT_ACCEPT"

// consented applies the channel's GDPR consent rule to a Messenger event and
// reports whether the event may be stored. With explicit consent nothing a
// visitor sends is kept until they accept: they are sent the consent prompt
// instead, and their acceptance is recorded on their contact.
func (c *Channel) consented(ctx context.Context, mc webhook.Channel, ev meta.MessengerEvent) (bool, error) {
	cfg, ok := mc.Config.(*Config)
	if !ok || cfg.GDPR == nil || !cfg.GDPR.Enabled || cfg.GDPR.Consent != "explicit" {
		return true, nil
	}
	ch := mc.Channel
	if ev.PostbackPayload == ConsentAccept || ev.QuickReplyPayload == ConsentAccept {
		contact, err := c.store.UpsertContact(ctx, ch.AccountID, ch.ID, domain.Author{ExternalUserID: ev.PSID})
		if err != nil {
			return false, err
		}
		return false, c.store.RecordConsent(ctx, ch.AccountID, contact.ContactID, domain.Consent{
			Given: true, Mode: "explicit", At: time.Now().UTC(), ChannelID: ch.ID, Text: cfg.GDPR.Text})
	}
	if ev.Kind != meta.KindMessage {
		return true, nil
	}
	consent, err := c.store.ChannelUserConsent(ctx, ch.AccountID, ch.ID, ev.PSID)
	if err != nil {
		return false, err
	}
	if consent != nil && consent.Given {
		return true, nil
	}
	c.promptConsent(ctx, cfg, ev.PSID)
	return false, nil
}

// promptConsent sends the consent text with an "I agree" quick reply; a failure is logged, the next message prompts again.
func (c *Channel) promptConsent(ctx context.Context, cfg *Config, psid string) {
	if c.graph == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, GraphCallTimeout)
	defer cancel()
	_, err := c.graph.SendMessenger(ctx, cfg.PageAccessToken, graph.MessengerMessage{
		PSID: psid, Text: cfg.GDPR.Text, MessagingType: graph.MessagingTypeResponse,
		QuickReplies: []graph.QuickReply{{Title: "I agree", Payload: ConsentAccept}},
	})
	if err != nil {
		c.log.WarnContext(ctx, "send consent prompt", "error", err)
	}
}

// Sync sets the page's greeting from the channel's configuration when it has one; a failure is logged and does not fail the change.
func (c *Channel) Sync(ctx context.Context, ch domain.Channel, cfg channels.Config) {
	m, ok := cfg.(*Config)
	if !ok || c.graph == nil || m.Greeting == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, GraphCallTimeout)
	defer cancel()
	if err := c.graph.SetGreeting(ctx, m.PageAccessToken, m.Greeting); err != nil {
		c.log.WarnContext(ctx, "set Messenger greeting", "channel_id", ch.ID, "error", err)
	}
}

// GraphCheck is what the periodic check asks Graph: the page token reaches the page, and the page is subscribed.
func (c *Config) GraphCheck() channels.GraphCheck {
	return channels.GraphCheck{Token: c.PageAccessToken, ObjectID: c.PageID, SubscriptionID: c.PageID}
}

// rateSurvey takes a tap on a satisfaction survey's quick reply as the survey's rating; rated is false for
// any other event. A rating the survey no longer takes (past its 7 days) is dropped, not stored as a message.
func rateSurvey(ctx context.Context, h channels.Host, channelID, threadKey string, ev meta.MessengerEvent) (rated bool, err error) {
	rating, ticketID, ok := csat.ParsePayload(ev.QuickReplyPayload)
	if !ok || ev.Kind != meta.KindMessage {
		return false, nil
	}
	_, err = h.Store().AnswerCSATInThread(ctx, channelID, threadKey, ticketID, rating, csat.AnswerWindow)
	if errors.Is(err, domain.ErrNotFound) || errors.Is(err, store.ErrSurveyClosed) {
		return true, nil
	}
	return true, err
}
