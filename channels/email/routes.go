package email

import (
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// RawResponse is the answer to a raw mail: where it was stored, like the messages endpoint's, and what became of it.
type RawResponse struct {
	ConversationID string `json:"conversation_id,omitempty"`
	MessageID      string `json:"message_id,omitempty"`
	WorkflowID     string `json:"workflow_id,omitempty"`
	// Duplicate is true when a mail with the same Message-ID was stored before.
	Duplicate bool `json:"duplicate"`
	// Outcome is stored, auto_reply, auto_reply_ignored, bounce or own_address_ignored.
	Outcome string `json:"outcome"`
}

// AttachmentList is the answer of GET /v1/messages/{id}/attachments: a page of the API's list shape.
type AttachmentList struct {
	Items      []store.Attachment `json:"items"`
	NextCursor *string            `json:"next_cursor"`
}

// Routes registers the raw mail endpoint, the attachment downloads and the mailbox consent flow.
func (c *Channel) Routes(r channels.Router, h channels.Host) {
	r.Handle(channels.Route{Method: http.MethodPost, Path: "/v1/channels/:id/email", Auth: channels.AuthChannel, Tag: "inbound",
		Summary:  "Deliver a raw RFC 5322 mail (Content-Type: message/rfc822) to an email channel",
		Response: RawResponse{}, Status: http.StatusAccepted, Handler: c.postRaw(h), MaxBodyBytes: c.set.SMTPMaxBytes})
	r.Handle(channels.Route{Method: http.MethodGet, Path: "/v1/messages/:id/attachments", Auth: channels.AuthAny, Tag: "tickets",
		Summary: "List a message's attachments (an omitted one was over the size limit: listed, its bytes not kept)",
		Query:   []string{"limit", "cursor"}, Response: AttachmentList{}, Status: http.StatusOK, Handler: c.listAttachments(h)})
	r.Handle(channels.Route{Method: http.MethodGet, Path: "/v1/messages/:id/attachments/:n", Auth: channels.AuthAny, Tag: "tickets",
		Summary: "Download attachment n of a message (Content-Disposition: attachment)", Status: http.StatusOK, Handler: c.getAttachment(h)})
	c.oauthRoutes(r, h)
}

// postRaw takes one raw mail, authenticated with the account's admin token or
// a key of the channel (so a mail gateway holds no account access).
func (c *Channel) postRaw(h channels.Host) gin.HandlerFunc {
	return func(gc *gin.Context) {
		ctx := gc.Request.Context()
		ch, err := h.Channel(ctx, h.AccountID(gc), gc.Param("id"))
		if err != nil {
			h.Fail(gc, err)
			return
		}
		if ch.Type != string(Type) {
			h.Fail(gc, domain.Invalid("id", fmt.Sprintf("channel %s is a %s channel; raw mail goes to email channels", ch.ID, ch.Type)))
			return
		}
		if mt, _, err := mime.ParseMediaType(gc.GetHeader("Content-Type")); err != nil || mt != "message/rfc822" {
			h.Problem(gc, http.StatusUnsupportedMediaType, "Content-Type must be message/rfc822 (the raw RFC 5322 mail)")
			return
		}
		m, raw, err := ParseReader(gc.Request.Body, Limits{MaxBytes: c.set.SMTPMaxBytes})
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge), errors.Is(err, ErrTooLarge):
			h.Problem(gc, http.StatusRequestEntityTooLarge, fmt.Sprintf("the mail exceeds %d bytes", c.set.SMTPMaxBytes))
			return
		case len(raw) == 0:
			h.Fail(gc, domain.Invalid("body", "the body is empty; send the raw RFC 5322 mail"))
			return
		case err != nil:
			h.Fail(gc, domain.Invalid("body", "not a parseable RFC 5322 mail: "+truncate(err.Error(), 200)))
			return
		}
		if refusal := CheckInbound(m, raw); refusal != nil {
			h.Fail(gc, domain.Invalid("body", refusal.Reason))
			return
		}
		cfg, err := configOf(gc, h, ch)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		out, err := c.deliver(ctx, h, ch, cfg, m, raw, envelope{source: SourceRaw})
		if err != nil {
			h.Fail(gc, err)
			return
		}
		res := RawResponse{ConversationID: out.Accepted.ConversationID, MessageID: out.Accepted.MessageID,
			WorkflowID: out.Accepted.WorkflowID, Duplicate: out.Accepted.Duplicate, Outcome: out.Outcome}
		status := http.StatusAccepted
		if out.Accepted.Duplicate || out.Accepted.MessageID == "" {
			status = http.StatusOK
		}
		gc.JSON(status, res)
	}
}

// configOf returns the email configuration of ch.
func configOf(gc *gin.Context, h channels.Host, ch domain.Channel) (*Config, error) {
	raw, err := h.Config(gc.Request.Context(), ch)
	if err != nil {
		return nil, err
	}
	cfg, ok := raw.(*Config)
	if !ok {
		return nil, fmt.Errorf("email channel %s decoded as %T", ch.ID, raw)
	}
	return cfg, nil
}

func (c *Channel) listAttachments(h channels.Host) gin.HandlerFunc {
	return func(gc *gin.Context) {
		ctx := gc.Request.Context()
		accountID := h.AccountID(gc)
		after, limit, err := attachmentPage(gc)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		if _, err := c.store.Message(ctx, accountID, gc.Param("id")); err != nil {
			h.Fail(gc, err)
			return
		}
		list, err := c.store.MessageAttachments(ctx, accountID, gc.Param("id"), after, limit)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		out := AttachmentList{Items: list}
		if out.Items == nil {
			out.Items = []store.Attachment{}
		}
		if len(list) == limit {
			cur := base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(list[len(list)-1].N)))
			out.NextCursor = &cur
		}
		gc.JSON(http.StatusOK, out)
	}
}

// attachmentPage reads ?limit= (1-500, default 50) and ?cursor= (the number of the previous page's last attachment).
func attachmentPage(gc *gin.Context) (after, limit int, err error) {
	after, limit = -1, 50
	if v := gc.Query("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 500 {
			return 0, 0, domain.Invalid("limit", "must be a whole number from 1 to 500")
		}
	}
	if v := gc.Query("cursor"); v != "" {
		b, derr := base64.RawURLEncoding.DecodeString(v)
		n, cerr := strconv.Atoi(string(b))
		if derr != nil || cerr != nil || n < 0 {
			return 0, 0, domain.Invalid("cursor", "is not a cursor this API returned")
		}
		after = n
	}
	return after, limit, nil
}

// getAttachment serves one attachment of the caller's account, always as a download.
func (c *Channel) getAttachment(h channels.Host) gin.HandlerFunc {
	return func(gc *gin.Context) {
		n, err := strconv.Atoi(gc.Param("n"))
		if err != nil || n < 0 || n > 100000 {
			h.Fail(gc, domain.Invalid("n", "must be the attachment's number, 0 or more"))
			return
		}
		a, err := c.store.MessageAttachment(gc.Request.Context(), h.AccountID(gc), gc.Param("id"), n)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		if a.Omitted {
			h.Problem(gc, http.StatusGone, fmt.Sprintf("attachment %d (%s, %d bytes) was over the %d-byte limit: it is listed, its bytes were not kept",
				n, a.Name, a.Size, MaxAttachmentBytes))
			return
		}
		ct := a.ContentType
		if _, _, err := mime.ParseMediaType(ct); err != nil || strings.HasPrefix(strings.ToLower(ct), "text/html") {
			ct = "application/octet-stream"
		}
		gc.Header("Content-Disposition", contentDisposition(a.Name, n))
		gc.Header("X-Content-Type-Options", "nosniff")
		gc.Header("Content-Security-Policy", "default-src 'none'; sandbox")
		gc.Data(http.StatusOK, ct, a.Content)
	}
}

// contentDisposition is an attachment disposition with the file name made safe (RFC 6266 filename*).
func contentDisposition(name string, n int) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == '"' {
			return '_'
		}
		return r
	}, name)
	if strings.Trim(name, ". _") == "" {
		name = "attachment-" + strconv.Itoa(n)
	}
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": name}); v != "" {
		return v
	}
	return `attachment; filename="attachment-` + strconv.Itoa(n) + `"`
}
