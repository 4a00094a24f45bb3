package chat

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// MaxBodyBytes bounds a visitor API request body; more is answered 413.
const MaxBodyBytes = 16 << 10

// SessionRequest identifies the visitor; every field is optional.
type SessionRequest struct {
	// Email is the visitor's email: verified (and linked to that email's contact) only with a matching UserHash.
	Email string `json:"email,omitempty" validate:"omitempty,max=254,email"`
	Name  string `json:"name,omitempty" validate:"max=200"`
	// UserHash is hex(HMAC-SHA256(channel identity_secret, email)), computed by the site's server for a logged-in user.
	UserHash string `json:"user_hash,omitempty" validate:"max=128"`
}

// SessionResponse is a visitor's session and what the widget shows.
type SessionResponse struct {
	VisitorID    string    `json:"visitor_id"`
	VisitorToken string    `json:"visitor_token"`
	ExpiresAt    time.Time `json:"expires_at"`
	// Verified is true when the site proved the visitor's email with user_hash.
	Verified bool           `json:"verified"`
	Channel  WidgetSettings `json:"channel"`
}

// WidgetSettings are the channel's branding and availability, for the widget.
type WidgetSettings struct {
	AccentColor  string `json:"accent_color"`
	Font         string `json:"font"`
	Greeting     string `json:"greeting"`
	Availability Status `json:"availability"`
}

// MessageRequest is a visitor's message.
type MessageRequest struct {
	// ClientID is the widget's own id of the message: sending it again stores nothing twice.
	ClientID string `json:"client_id" validate:"required,max=64"`
	Text     string `json:"text" validate:"required,max=4000"`
}

// MessageAccepted says a visitor's message is stored.
type MessageAccepted struct {
	ID        string `json:"id"`
	ClientID  string `json:"client_id"`
	Duplicate bool   `json:"duplicate"`
	// OutsideHours is true when the chat was away or closed: an agent answers when it opens (availability.next_open_at).
	OutsideHours bool   `json:"outside_hours"`
	Availability Status `json:"availability"`
}

// MessageList is a page of the visitor's conversation.
type MessageList struct {
	Items []Message `json:"items"`
	// NextAfter is the after value that continues the list (the last item's id, or the given after).
	NextAfter string `json:"next_after"`
}

// status is the channel's availability now.
func (c *Channel) status(v *visit) Status {
	zone := "UTC"
	if acc, err := c.store.Account(v.ctx(), v.ch.AccountID); err == nil && acc.Timezone != "" {
		zone = acc.Timezone
	}
	return v.cfg.StatusAt(c.now(), zone)
}

// settings are what the widget shows.
func (c *Channel) settings(v *visit) WidgetSettings {
	return WidgetSettings{AccentColor: v.cfg.AccentColor, Font: v.cfg.Font, Greeting: v.cfg.Greeting, Availability: c.status(v)}
}

// getSettings answers the widget's settings without a session.
func (c *Channel) getSettings(v *visit) { v.gc.JSON(http.StatusOK, c.settings(v)) }

// postSession opens a session for a new visitor, or refreshes the session of the visitor of the Bearer token
// (expired less than RefreshWindow ago). A valid user_hash makes the visitor the verified owner of the email.
func (c *Channel) postSession(v *visit) {
	gc, h := v.gc, v.h
	gc.Request.Body = http.MaxBytesReader(gc.Writer, gc.Request.Body, MaxBodyBytes)
	var req SessionRequest
	if err := h.DecodeJSON(gc, &req); err != nil {
		h.Fail(gc, err)
		return
	}
	req.Email = strings.TrimSpace(req.Email)
	var (
		prior visitor
		known bool
	)
	if tok := bearer(gc, false); tok != "" {
		cl, err := parseToken(v.key, v.ch.ID, tok, c.now())
		if errors.Is(err, errExpiredToken) && c.now().Before(time.Unix(cl.Expires, 0).Add(RefreshWindow)) {
			err = nil
		}
		if err == nil {
			prior, err = loadVisitor(v.ctx(), v.db, v.ch.ID, cl.Visitor)
		}
		if err != nil {
			gc.Header("WWW-Authenticate", `Bearer realm="chat"`)
			h.Problem(gc, http.StatusUnauthorized, "the visitor token cannot be refreshed: "+errBadToken.Error()+"; open a new session without it")
			return
		}
		known = true
	} else if ok, wait := c.sessionLimit.allow(gc.ClientIP(), c.now()); !ok { // only new visitors count; refreshes do not
		tooMany(h, gc, wait, "too many new chat sessions from this address")
		return
	}
	vis, verified, ok := c.identify(v, req, prior, known)
	if !ok {
		return
	}
	exp := c.now().Add(TokenTTL).UTC().Truncate(time.Second)
	gc.JSON(http.StatusCreated, SessionResponse{VisitorID: vis.ID, VisitorToken: signToken(v.key, v.ch.ID, vis.ID, exp),
		ExpiresAt: exp, Verified: verified, Channel: c.settings(v)})
}

// identify returns the session's visitor: the verified owner of a proven email, else the prior visitor
// (with what they told about themselves recorded), else a new anonymous one.
func (c *Channel) identify(v *visit, req SessionRequest, prior visitor, known bool) (visitor, bool, bool) {
	gc, h, ctx := v.gc, v.h, v.ctx()
	if req.UserHash != "" {
		switch {
		case req.Email == "":
			h.Fail(gc, domain.Invalid("email", "is required with user_hash"))
			return visitor{}, false, false
		case v.cfg.IdentitySecret == "":
			h.Fail(gc, domain.Invalid("user_hash", "cannot be checked: the chat channel has no config.identity_secret"))
			return visitor{}, false, false
		case !userHashValid(v.cfg.IdentitySecret, req.Email, req.UserHash):
			h.Problem(gc, http.StatusUnauthorized, "user_hash is not HMAC-SHA256(identity_secret, email) in hex")
			return visitor{}, false, false
		}
		if known && prior.VerifiedEmail.Valid && strings.EqualFold(prior.VerifiedEmail.String, req.Email) {
			return prior, true, true
		}
		vis, err := verifiedVisitor(ctx, v.db, v.ch, req.Email, req.Name)
		if err != nil {
			h.Fail(gc, err)
			return visitor{}, false, false
		}
		return vis, true, true
	}
	var (
		vis visitor
		err error
	)
	if known {
		vis, err = updateVisitor(ctx, v.db, prior, req.Name, req.Email)
	} else {
		vis, err = newVisitor(ctx, v.db, v.ch, req.Name, req.Email)
	}
	if err != nil {
		h.Fail(gc, err)
		return visitor{}, false, false
	}
	return vis, vis.VerifiedEmail.Valid, true
}

// postMessage stores a visitor's message (before answering) and delivers it to its conversation workflow.
func (c *Channel) postMessage(v *visit) {
	gc, h := v.gc, v.h
	vis, ok := c.authenticate(v, false)
	if !ok {
		return
	}
	if ok, wait := c.messageLimit.allow(vis.ID, c.now()); !ok {
		tooMany(h, gc, wait, "too many messages from this visitor")
		return
	}
	gc.Request.Body = http.MaxBytesReader(gc.Writer, gc.Request.Body, MaxBodyBytes)
	var req MessageRequest
	if err := h.DecodeJSON(gc, &req); err != nil {
		h.Fail(gc, err)
		return
	}
	if strings.ContainsFunc(req.ClientID, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		h.Fail(gc, domain.Invalid("client_id", "must not contain spaces or control characters"))
		return
	}
	if strings.TrimSpace(req.Text) == "" {
		h.Fail(gc, domain.Invalid("text", "must not be blank"))
		return
	}
	st := c.status(v)
	acc, err := h.Accept(v.ctx(), v.ch, store.Inbound{ThreadKey: vis.threadKey(), ExternalID: externalPrefix(vis.ID) + req.ClientID,
		Author: vis.author(), Text: req.Text, SentAt: c.now().UTC(), Properties: vis.properties(st)})
	if err != nil {
		h.Fail(gc, err)
		return
	}
	if err := notify(v.ctx(), v.db, vis.ID); err != nil {
		h.Log().WarnContext(v.ctx(), "chat message stored, other tabs not woken", "message_id", acc.MessageID, "error", err)
	}
	status := http.StatusAccepted
	if acc.Duplicate {
		status = http.StatusOK
	}
	gc.JSON(status, MessageAccepted{ID: acc.MessageID, ClientID: req.ClientID, Duplicate: acc.Duplicate, OutsideHours: !st.Open, Availability: st})
}

// maxPage is the most messages one GET answers.
const maxPage = 500

// getMessages lists the visitor's own conversation after a message id.
func (c *Channel) getMessages(v *visit) {
	gc, h := v.gc, v.h
	vis, ok := c.authenticate(v, false)
	if !ok {
		return
	}
	after := gc.Query("after")
	if err := checkAfter(after); err != nil {
		h.Fail(gc, err)
		return
	}
	limit := 100
	if s := gc.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPage {
			h.Fail(gc, domain.Invalid("limit", "must be a whole number from 1 to 500"))
			return
		}
		limit = n
	}
	out := MessageList{Items: []Message{}, NextAfter: after}
	conv, err := conversationID(v.ctx(), v.db, vis)
	if err == nil && conv != "" {
		out.Items, err = visibleMessages(v.ctx(), v.db, vis, conv, after, limit, v.linker(vis, c.now()))
	}
	if err != nil {
		h.Fail(gc, err)
		return
	}
	if n := len(out.Items); n > 0 {
		out.NextAfter = out.Items[n-1].ID
	}
	gc.JSON(http.StatusOK, out)
}

// checkAfter accepts "" or a message id.
func checkAfter(after string) error {
	if after == "" {
		return nil
	}
	if !strings.HasPrefix(after, "msg_") || len(after) > 64 || strings.ContainsFunc(after, func(r rune) bool {
		return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z')
	}) {
		return domain.Invalid("after", "must be a message id (msg_…) from an earlier answer")
	}
	return nil
}
