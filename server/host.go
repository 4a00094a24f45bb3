package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/traits"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// channelHost is what the server offers the channels' inbound routes (channels.Host).
type channelHost struct{ s *Server }

var _ channels.Host = channelHost{}

// Accept stores the message (a redelivery is a no-op) and delivers it to its
// conversation workflow; a delivery Temporal does not take now is left to the redrive loop.
// Over the intake limit it stores nothing and returns a *domain.Overloaded.
func (h channelHost) Accept(ctx context.Context, ch domain.Channel, in store.Inbound) (store.Accepted, error) {
	s := h.s
	if err := s.redrive.Admit(); err != nil {
		return store.Accepted{}, err
	}
	in.AccountID, in.ChannelID = ch.AccountID, ch.ID
	if in.SentAt.IsZero() {
		in.SentAt = time.Now().UTC()
	}
	acc, err := s.store.AcceptInbound(ctx, in, s.cfg.ConversationIDs.ID)
	if err != nil {
		return acc, err
	}
	if acc.Delivered {
		return acc, nil
	}
	if in.ConversationID != "" {
		// An answer to a reply that went out through ch for another channel's conversation:
		// its workflow is that channel's.
		if ch, err = s.store.ConversationChannel(ctx, ch.AccountID, acc.ConversationID); err != nil {
			return acc, err
		}
	}
	if err := s.deliverPaced(ctx, store.Undelivered{MessageID: acc.MessageID, AccountID: ch.AccountID, ChannelID: ch.ID,
		ChannelType: ch.Type, ChannelName: ch.Name, ConversationID: acc.ConversationID, WorkflowID: acc.WorkflowID,
		Sender: sender(in.Author), Subject: in.Subject, TextHead: in.Text}); err != nil {
		s.log.WarnContext(ctx, "message stored, delivery to its workflow deferred", "message_id", acc.MessageID, "error", err)
	}
	return acc, nil
}

// Decoy returns the answer Accept would give in, with fresh ids that name nothing stored.
func (h channelHost) Decoy(ch domain.Channel, in store.Inbound) store.Accepted {
	return store.Accepted{ConversationID: store.NewID("conv"), MessageID: store.NewID("msg"),
		WorkflowID: h.s.cfg.ConversationIDs.ID(ch.ID, in.ThreadKey)}
}

// AccountID is the account of the request's token.
func (channelHost) AccountID(c *gin.Context) string { return principal(c).AccountID }

// Channel returns the account's connected channel id (410 when disconnected).
func (h channelHost) Channel(ctx context.Context, accountID, id string) (domain.Channel, error) {
	return h.s.connectedChannel(ctx, accountID, id)
}

// DecodeJSON reads the body into dst strictly and validates it.
func (channelHost) DecodeJSON(c *gin.Context, dst any) error { return httpx.DecodeJSON(c, dst) }

// CheckStorable is httpx.CheckJSONText with the webhooks' bounds: one well-formed JSON value of storable text
// (422 naming the field), at most httpx.WebhookLimits keys (413) and levels.
func (channelHost) CheckStorable(body []byte) error {
	return httpx.CheckJSONText(body, httpx.WebhookLimits)
}

// Fail answers with the problem err stands for.
func (h channelHost) Fail(c *gin.Context, err error) { h.s.fail(c, err) }

// Problem answers with a problem+json of status and detail.
func (channelHost) Problem(c *gin.Context, status int, detail string) {
	httpx.WriteProblem(c, status, detail)
}

// Log is the server's logger.
func (h channelHost) Log() *slog.Logger { return h.s.log }

// Store is the server's store.
func (h channelHost) Store() channels.HostStore { return h.s.store }

// Config returns ch's configuration with its secrets unsealed.
func (h channelHost) Config(ctx context.Context, ch domain.Channel) (channels.Config, error) {
	raw, err := h.s.store.ChannelConfig(ctx, ch.AccountID, ch.ID)
	if err != nil {
		return nil, err
	}
	cfg, err := h.s.channels.Decode(channels.Type(ch.Type), raw)
	if err != nil {
		return nil, fmt.Errorf("stored config of %s: %w", ch.ID, err)
	}
	return cfg, nil
}

// channelRouter collects the channels' routes into the server's route table.
type channelRouter struct{ routes []route }

// Handle adds r.
func (cr *channelRouter) Handle(r channels.Route) {
	cr.routes = append(cr.routes, route{method: r.Method, path: r.Path, tag: r.Tag, summary: r.Summary, auth: string(r.Auth),
		request: r.Request, response: r.Response, status: r.Status, query: r.Query, handler: r.Handler, maxBody: r.MaxBodyBytes,
		jsonBody: r.JSONBody, problems: r.Problems})
}

// channelRoutes returns the inbound routes of every registered channel.
func (s *Server) channelRoutes() []route {
	var cr channelRouter
	s.channels.Routes(&cr, channelHost{s})
	return cr.routes
}

// allRoutes is the server's own route table followed by the channels' routes.
func (s *Server) allRoutes() []route {
	var all []route
	for _, group := range [][]route{s.routes(), s.channelRoutes(), s.codecRoutes(), s.macroRoutes(), s.templateRoutes(),
		s.noteRoutes(), s.slaRoutes(), s.privacyRoutes(), s.liveRoutes(), s.csatRoutes(), s.reportRoutes()} {
		all = append(all, group...)
	}
	return all
}

// channelTypeList names the registered channel types, for messages.
func (s *Server) channelTypeList() string {
	types := s.channels.Types()
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// syncChannel lets a channel push its configuration to its provider (channels.Syncer) after it was connected or changed.
func (s *Server) syncChannel(ctx context.Context, ch domain.Channel) {
	impl, ok := s.channels.Lookup(channels.Type(ch.Type))
	if !ok {
		return
	}
	sy, ok := impl.(channels.Syncer)
	if !ok {
		return
	}
	cfg, err := channelHost{s}.Config(ctx, ch)
	if err != nil {
		s.log.WarnContext(ctx, "sync channel: unreadable config", "channel_id", ch.ID, "error", err)
		return
	}
	sy.Sync(ctx, ch, cfg)
}

// traitsOf returns the traits of a channel type for a conversation's input.
func (s *Server) traitsOf(channelType string) *traits.Traits {
	t := s.channels.Traits(channels.Type(channelType))
	return &t
}

// readBody reads the raw request body; one over the size limit is the *http.MaxBytesError s.fail answers 413,
// one that stalled past the server's read timeout is httpx.ErrRequestTimeout (408).
func readBody(c *gin.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return nil, httpx.BodyReadError(err)
	}
	return body, nil
}

// Listen runs the long-running inbound work of every channel that has some
// (channels.Listener: the SMTP listener, IMAP pollers) until ctx ends; the
// first failure to start is returned.
func (s *Server) Listen(ctx context.Context) error {
	var listeners []channels.Listener
	for _, ch := range s.channels.Channels() {
		if l, ok := ch.(channels.Listener); ok {
			listeners = append(listeners, l)
		}
	}
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { errc <- l.Listen(ctx, channelHost{s}) }()
	}
	var first error
	for range listeners {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}
