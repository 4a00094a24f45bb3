package calling

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// Response answers a call report: the call as stored, the message that shows it once it ended, and whether the report was out of order.
type Response struct {
	store.Call
	MessageID      string `json:"message_id,omitempty"`
	ConversationID string `json:"conversation_id,omitempty"`
	// Ignored is true for an out-of-order report (its status is not ahead of the stored one): nothing changed.
	Ignored bool `json:"ignored"`
}

// Routes registers POST /v1/channels/{id}/calls (a key of the calling channel or an admin token).
func (c *Channel) Routes(r channels.Router, h channels.Host) {
	r.Handle(channels.Route{Method: http.MethodPost, Path: "/v1/channels/:id/calls", Auth: channels.AuthChannel, Tag: "inbound",
		Summary: "Report a call or its progress (the same call_id updates it, status only forward); a missed call or voicemail opens a ticket",
		Request: Request{}, Response: Response{}, Status: http.StatusAccepted, Handler: calls(h)})
}

func calls(h channels.Host) gin.HandlerFunc {
	return func(gc *gin.Context) {
		resp, status, err := call(gc, h)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		gc.JSON(status, resp)
	}
}

func call(gc *gin.Context, h channels.Host) (Response, int, error) {
	ctx := gc.Request.Context()
	ch, err := h.Channel(ctx, h.AccountID(gc), gc.Param("id"))
	if err == nil && ch.Type != string(Type) {
		err = domain.Invalid("id", fmt.Sprintf("channel %s is a %s channel; calls go to calling channels", ch.ID, ch.Type))
	}
	if err != nil {
		return Response{}, 0, err
	}
	raw, err := h.Config(ctx, ch)
	if err != nil {
		return Response{}, 0, err
	}
	cfg, ok := raw.(*Config)
	if !ok {
		return Response{}, 0, fmt.Errorf("calling channel %s has a %T configuration", ch.ID, raw)
	}
	body, err := io.ReadAll(gc.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return Response{}, 0, tooLarge
		}
		return Response{}, 0, fmt.Errorf("read call: %w", err)
	}
	if err := h.CheckStorable(body); err != nil {
		return Response{}, 0, err
	}
	gc.Request.Body = io.NopCloser(bytes.NewReader(body))
	var req Request
	if err := h.DecodeJSON(gc, &req); err != nil {
		return Response{}, 0, err
	}
	c, errs := req.Call(channels.PhoneRegion(cfg.PhoneNumber), time.Now().UTC())
	if len(errs) > 0 {
		return Response{}, 0, &domain.ValidationError{Errors: errs}
	}
	c.AccountID, c.ChannelID = ch.AccountID, ch.ID
	stored, moved, err := h.Store().RecordCall(ctx, c)
	if err != nil {
		return Response{}, 0, err
	}
	resp := Response{Call: stored, Ignored: !moved}
	if !moved {
		return resp, http.StatusOK, nil
	}
	status := http.StatusAccepted
	if !Ended(stored.Status) {
		return resp, status, nil
	}
	thread := "tel:" + Customer(stored)
	quiet := false
	if stored.Status == "completed" {
		open, err := h.Store().ThreadHasOpenTicket(ctx, ch.ID, thread)
		if err != nil {
			return Response{}, 0, err
		}
		quiet = !open // a completed call attaches to an open ticket, and opens none
	}
	subject, text := Message(stored)
	acc, err := h.Accept(ctx, ch, store.Inbound{ThreadKey: thread, ExternalID: "call:" + stored.CallID + ":" + stored.Status,
		Author: domain.Author{Phone: Customer(stored)}, Subject: subject, Text: text, SentAt: stored.StartedAt, Quiet: quiet})
	if err != nil {
		return Response{}, 0, err
	}
	if err := h.Store().SetCallMessage(ctx, stored.ID, acc.MessageID); err != nil {
		return Response{}, 0, err
	}
	resp.MessageID, resp.ConversationID = acc.MessageID, acc.ConversationID
	return resp, status, nil
}
