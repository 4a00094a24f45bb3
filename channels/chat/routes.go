package chat

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
)

// Visitor API paths.
const (
	sessionsPath = "/chat/v1/:channel_id/sessions"
	messagesPath = "/chat/v1/:channel_id/messages"
	eventsPath   = "/chat/v1/:channel_id/events"
	settingsPath = "/chat/v1/:channel_id/settings"
)

// Routes registers the public visitor API, its CORS preflights and the widget script.
func (c *Channel) Routes(r channels.Router, h channels.Host) {
	c.hubOnce.Do(func() {
		c.log = h.Log()
		if c.store != nil {
			c.hub = newHub(c.store.DB(), h.Log())
		}
	})
	r.Handle(channels.Route{Method: http.MethodGet, Path: "/widget.js", Tag: "chat",
		Summary: "The embeddable chat widget: <script src=\".../widget.js\" data-channel=\"ch_…\" async></script>",
		Status:  http.StatusOK, Handler: serveWidget})
	r.Handle(channels.Route{Method: http.MethodGet, Path: settingsPath, Tag: "chat",
		Summary:  "The widget's branding, greeting and availability now (no token), for its launcher before a session",
		Response: WidgetSettings{}, Status: http.StatusOK, Handler: c.visitorRoute(h, c.getSettings)})
	r.Handle(channels.Route{Method: http.MethodPost, Path: sessionsPath, Tag: "chat",
		Summary: "Open or refresh a visitor session (Bearer: an earlier visitor token, optional); email, name and user_hash identify a logged-in visitor",
		Request: SessionRequest{}, Response: SessionResponse{}, Status: http.StatusCreated, Handler: c.visitorRoute(h, c.postSession)})
	r.Handle(channels.Route{Method: http.MethodPost, Path: messagesPath, Tag: "chat",
		Summary: "A visitor's message (Bearer visitor token); the same client_id again is not stored twice",
		Request: MessageRequest{}, Response: MessageAccepted{}, Status: http.StatusAccepted, Handler: c.visitorRoute(h, c.postMessage)})
	r.Handle(channels.Route{Method: http.MethodGet, Path: messagesPath, Tag: "chat",
		Summary: "The visitor's own conversation, oldest first, after a message id (Bearer visitor token)",
		Query:   []string{"after", "limit"}, Response: MessageList{}, Status: http.StatusOK, Handler: c.visitorRoute(h, c.getMessages)})
	r.Handle(channels.Route{Method: http.MethodGet, Path: eventsPath, Tag: "chat",
		Summary: "Server-Sent Events of the visitor's conversation (event: message); token in visitor_token or Bearer, resume with after or Last-Event-ID",
		Query:   []string{"visitor_token", "after"}, Status: http.StatusOK, Handler: c.visitorRoute(h, c.events)})
	r.Handle(channels.Route{Method: http.MethodGet, Path: filesPath, Tag: "chat",
		Summary: "Download a file of an agent's reply by the signed link a message lists (files[].url): no token, valid 24 h",
		Status:  http.StatusOK, Problems: []int{http.StatusGone}, Handler: c.visitorRoute(h, c.getFile)})
	for _, p := range []string{settingsPath, sessionsPath, messagesPath, eventsPath} {
		r.Handle(channels.Route{Method: http.MethodOptions, Path: p, Tag: "chat",
			Summary: "CORS preflight: answered for the channel's config.allowed_origins only", Status: http.StatusNoContent,
			Handler: c.visitorRoute(h, preflight)})
	}
}

// visit is one visitor API request: its channel, configuration and (once authenticated) visitor.
type visit struct {
	h   channels.Host
	gc  *gin.Context
	ch  domain.Channel
	cfg *Config
	db  *sqlx.DB
	key []byte
}

// ctx is the request's context.
func (v *visit) ctx() context.Context { return v.gc.Request.Context() }

// visitorRoute resolves the channel, applies CORS and the per-IP limit, then runs fn.
func (c *Channel) visitorRoute(h channels.Host, fn func(*visit)) gin.HandlerFunc {
	return func(gc *gin.Context) {
		gc.Header("Vary", "Origin")
		gc.Header("Cache-Control", "no-store")
		if c.store == nil {
			h.Problem(gc, http.StatusServiceUnavailable, "the chat channel has no store")
			return
		}
		ctx := gc.Request.Context()
		db := c.store.DB()
		id := gc.Param("channel_id")
		account, err := channelAccount(ctx, db, id)
		if errors.Is(err, sql.ErrNoRows) {
			h.Problem(gc, http.StatusNotFound, "there is no chat channel "+strconv.Quote(id))
			return
		}
		if err != nil {
			h.Fail(gc, err)
			return
		}
		ch, err := h.Channel(ctx, account, id)
		if err != nil {
			h.Fail(gc, err) // 410 once disconnected
			return
		}
		raw, err := h.Config(ctx, ch)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		cfg, ok := raw.(*Config)
		if !ok {
			h.Problem(gc, http.StatusNotFound, "there is no chat channel "+strconv.Quote(id))
			return
		}
		if !visitorCORS.Allow(gc, func(origin string) bool {
			return httpx.OriginIn(origin, cfg.AllowedOrigins) || sameOrigin(origin, gc.Request)
		}) {
			h.Problem(gc, http.StatusForbidden, "origin "+strconv.Quote(gc.GetHeader("Origin"))+" is not in the chat channel's config.allowed_origins")
			return
		}
		if ok, wait := c.ipLimit.allow(gc.ClientIP(), c.now()); !ok {
			tooMany(h, gc, wait, "too many requests from this address")
			return
		}
		key, err := c.signingKey(ctx, db, ch.ID)
		if err != nil {
			h.Fail(gc, err)
			return
		}
		fn(&visit{h: h, gc: gc, ch: ch, cfg: cfg, db: db, key: key})
	}
}

// sameOrigin reports whether a browser's Origin is the API's own host (the demo page, a widget served alongside).
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// tooMany answers 429 with Retry-After.
func tooMany(h channels.Host, gc *gin.Context, wait int, detail string) {
	gc.Header("Retry-After", strconv.Itoa(max(wait, 1)))
	h.Problem(gc, http.StatusTooManyRequests, detail+"; retry after "+strconv.Itoa(max(wait, 1))+" s")
}

// visitorCORS is the visitor API's cross-origin policy: the widget on the channel's allowed_origins
// (or the API's own host) may call it and read Retry-After.
var visitorCORS = httpx.CORS{Methods: "GET, POST", Headers: "Authorization, Content-Type, Last-Event-ID", Expose: "Retry-After"}

// preflight answers a CORS preflight of an allowed origin.
func preflight(v *visit) {
	visitorCORS.Preflight(v.gc)
	v.gc.Status(http.StatusNoContent)
}

// bearer is the request's visitor token: the Authorization header, or visitor_token for EventSource, which cannot send headers.
func bearer(gc *gin.Context, query bool) string {
	if tok, ok := strings.CutPrefix(gc.GetHeader("Authorization"), "Bearer "); ok {
		return strings.TrimSpace(tok)
	}
	if query {
		return gc.Query("visitor_token")
	}
	return ""
}

// authenticate returns the visitor of a valid, unexpired token for this channel, or answers 401.
func (c *Channel) authenticate(v *visit, query bool) (visitor, bool) {
	cl, err := parseToken(v.key, v.ch.ID, bearer(v.gc, query), c.now())
	if err != nil {
		v.gc.Header("WWW-Authenticate", `Bearer realm="chat"`)
		v.h.Problem(v.gc, http.StatusUnauthorized, err.Error())
		return visitor{}, false
	}
	vis, err := loadVisitor(v.ctx(), v.db, v.ch.ID, cl.Visitor)
	if errors.Is(err, sql.ErrNoRows) {
		v.h.Problem(v.gc, http.StatusUnauthorized, errBadToken.Error())
		return visitor{}, false
	}
	if err != nil {
		v.h.Fail(v.gc, err)
		return visitor{}, false
	}
	return vis, true
}
