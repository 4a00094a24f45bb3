package form

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// Response answers an accepted submission, like the messages endpoint.
type Response struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
	WorkflowID     string `json:"workflow_id"`
	Duplicate      bool   `json:"duplicate"`
}

// Routes registers POST /v1/channels/{id}/submissions (a key of the form channel or an admin token)
// and the public POST|OPTIONS /forms/{form_id} (form_id: the channel's id) of forms with public: true.
func (c *Channel) Routes(r channels.Router, h channels.Host) {
	r.Handle(channels.Route{Method: http.MethodPost, Path: "/v1/channels/:id/submissions", Auth: channels.AuthChannel, Tag: "inbound",
		Summary: "Deliver a form submission, validated against the form's fields (a key of the form channel or an admin token)",
		Request: Request{}, Response: Response{}, Status: http.StatusAccepted, Handler: c.submissions(h)})
	r.Handle(channels.Route{Method: http.MethodPost, Path: "/forms/:form_id", Tag: "inbound",
		Summary: "A public form's submission from a website (form_id: the form channel's id): urlencoded (303 to redirect_url) or JSON (CORS for allowed_origins), rate-limited per IP",
		Request: Request{}, Response: Response{}, Status: http.StatusAccepted, Problems: []int{http.StatusForbidden, http.StatusTooManyRequests},
		Handler: c.public(h)})
	r.Handle(channels.Route{Method: http.MethodOptions, Path: "/forms/:form_id", Tag: "inbound",
		Summary: "CORS preflight of a public form for its allowed_origins", Status: http.StatusNoContent, Handler: c.preflight(h)})
}

// submissions takes a submission of the route's form channel.
func (c *Channel) submissions(h channels.Host) gin.HandlerFunc {
	return func(gc *gin.Context) {
		ctx := gc.Request.Context()
		ch, err := h.Channel(ctx, h.AccountID(gc), gc.Param("id"))
		if err == nil && ch.Type != string(Type) {
			err = domain.Invalid("id", fmt.Sprintf("channel %s is a %s channel; submissions go to form channels", ch.ID, ch.Type))
		}
		if err != nil {
			h.Fail(gc, err)
			return
		}
		cfg, err := formConfig(gc, h, ch)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		req, err := decode(gc, h)
		if err == nil && strings.TrimSpace(req.ExternalID) == "" {
			err = domain.Invalid("external_id", "is required")
		}
		if err != nil {
			h.Fail(gc, err)
			return
		}
		resp, status, err := c.accept(gc, h, ch, cfg, req)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		gc.JSON(status, resp)
	}
}

// formConfig returns the form channel's configuration.
func formConfig(gc *gin.Context, h channels.Host, ch domain.Channel) (*Config, error) {
	raw, err := h.Config(gc.Request.Context(), ch)
	if err != nil {
		return nil, err
	}
	cfg, ok := raw.(*Config)
	if !ok {
		return nil, fmt.Errorf("form channel %s has a %T configuration", ch.ID, raw)
	}
	return cfg, nil
}

// decode reads a JSON submission: storable text, exact keys, then its field values.
func decode(gc *gin.Context, h channels.Host) (Request, error) {
	var req Request
	body, err := io.ReadAll(gc.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return req, tooLarge
		}
		return req, fmt.Errorf("read submission: %w", err)
	}
	if err := h.CheckStorable(body); err != nil {
		return req, err
	}
	gc.Request.Body = io.NopCloser(bytes.NewReader(body))
	if err := h.DecodeJSON(gc, &req); err != nil {
		return req, err
	}
	return req, nil
}

// accept validates a submission and stores it as the first message of its own conversation.
func (c *Channel) accept(gc *gin.Context, h channels.Host, ch domain.Channel, cfg *Config, req Request) (Response, int, error) {
	values, errs := Values(req.Fields)
	sub, more := cfg.Validate(values)
	for _, e := range more { // a value Values refused is absent from values: not "is required" too
		if !slices.ContainsFunc(errs, func(f domain.FieldError) bool { return f.Field == e.Field }) {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return Response{}, 0, &domain.ValidationError{Errors: errs}
	}
	submittedAt := time.Now().UTC()
	if req.SubmittedAt != nil {
		submittedAt = req.SubmittedAt.UTC()
	}
	in := store.Inbound{
		ThreadKey: "m:" + req.ExternalID, ExternalID: req.ExternalID,
		Author:  domain.Author{Email: sub.Email, Name: sub.Name, Phone: sub.Phone},
		Subject: sub.Subject, Text: sub.Text, SentAt: submittedAt,
		Submission: &domain.Submission{Fields: sub.Values, Hidden: sub.Hidden, Description: sub.Description,
			PageURL: req.PageURL, SubmittedAt: submittedAt},
	}
	if sub.Spam {
		// Answered exactly as a stored submission is, so a bot cannot tell it was caught.
		h.Log().InfoContext(gc.Request.Context(), "form honeypot filled; submission dropped", "channel_id", ch.ID)
		acc := h.Decoy(ch, in)
		return Response{ConversationID: acc.ConversationID, MessageID: acc.MessageID, WorkflowID: acc.WorkflowID}, http.StatusAccepted, nil
	}
	acc, err := h.Accept(gc.Request.Context(), ch, in)
	if err != nil {
		return Response{}, 0, err
	}
	status := http.StatusAccepted
	if acc.Duplicate {
		status = http.StatusOK
	}
	return Response{ConversationID: acc.ConversationID, MessageID: acc.MessageID, WorkflowID: acc.WorkflowID, Duplicate: acc.Duplicate}, status, nil
}
