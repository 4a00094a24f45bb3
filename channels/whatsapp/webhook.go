package whatsapp

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/meta"
	"github.com/routedesk/routedesk/channels/meta/webhook"
	"github.com/routedesk/routedesk/csat"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// WebhookSecrets returns the app secret and the verify token.
func (c *Config) WebhookSecrets() (appSecret, verifyToken string) { return c.AppSecret, c.VerifyToken }

// Routes registers Meta's handshake and deliveries at /webhooks/whatsapp.
func (c *Channel) Routes(r channels.Router, h channels.Host) {
	r.Handle(channels.Route{Method: http.MethodGet, Path: "/webhooks/whatsapp", Tag: "webhooks",
		Summary: "Meta's webhook verification handshake for WhatsApp",
		Query:   webhook.HubQuery, Status: http.StatusOK, Handler: webhook.Handshake(h, Type)})
	r.Handle(channels.Route{Method: http.MethodPost, Path: "/webhooks/whatsapp", Tag: "webhooks",
		Summary:  "WhatsApp deliveries (object whatsapp_business_account), signed with X-Hub-Signature-256",
		Response: webhook.Response{}, Status: http.StatusOK, JSONBody: true, Problems: []int{http.StatusUnauthorized}, Handler: c.deliveries(h)})
}

// deliveries takes Meta's "whatsapp_business_account" deliveries: customers'
// messages become inbound messages, and a "failed" status of one of our replies
// marks it failed.
func (c *Channel) deliveries(h channels.Host) gin.HandlerFunc {
	return func(gc *gin.Context) {
		ctx := gc.Request.Context()
		body, verified, ok := webhook.Accept(gc, h, Type, "number", meta.WhatsAppPhoneNumberIDs)
		if !ok {
			return
		}
		events, err := meta.ParseWhatsApp(body)
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
			mc, known := verified[ev.PhoneNumberID]
			if known && ev.Kind == meta.KindStatus && ev.Status == "failed" {
				// WhatsApp could not deliver one of our replies (e.g. 131047 outside the window).
				found, err := h.Store().MarkProviderFailed(ctx, mc.Channel.ID, ev.WAMID)
				if err != nil {
					h.Fail(gc, err)
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
			if rating, ticketID, ok := csat.ParsePayload(ev.Payload); ok { // a survey's rating: not a message
				_, err := h.Store().AnswerCSATInThread(ctx, mc.Channel.ID, "wa:"+ev.From, ticketID, rating, csat.AnswerWindow)
				if err != nil && !errors.Is(err, domain.ErrNotFound) && !errors.Is(err, store.ErrSurveyClosed) {
					h.Fail(gc, err)
					return
				}
				res.Received++
				continue
			}
			// A wa_id is the customer's number without "+": their phone, and an identity across channels.
			phone, _ := channels.NormalizePhone("+"+ev.From, "")
			_, err := h.Accept(ctx, mc.Channel, store.Inbound{
				ThreadKey: "wa:" + ev.From, ExternalID: ev.WAMID,
				Author: domain.Author{ExternalUserID: ev.From, Name: ev.ProfileName, Phone: phone}, Text: ev.Text, SentAt: ev.Timestamp,
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

// GraphCheck is what the periodic check asks Graph: the token reaches the phone number, and
// (when business_account_id is set) the business account is subscribed.
func (c *Config) GraphCheck() channels.GraphCheck {
	return channels.GraphCheck{Token: c.AccessToken, ObjectID: c.PhoneNumberID, SubscriptionID: c.BusinessAccountID}
}
