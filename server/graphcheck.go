package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/health"
	"github.com/routedesk/routedesk/store"
)

// Graph checks: every connected Messenger and WhatsApp channel's token is asked of
// Graph (GET /{page or phone number id}?fields=id) and its webhook subscription
// read (GET /{page or business account id}/subscribed_apps) every
// GraphCheckInterval, so an expired token or a page unsubscribed from the app
// shows in the channel's health before a customer's message is lost or a reply fails.
const (
	// GraphCheckInterval is how often a healthy channel is checked.
	GraphCheckInterval = time.Hour
	// graphCheckLease is how long a claimed check is kept from other servers.
	graphCheckLease = 2 * time.Minute
	// graphCheckTimeout bounds one channel's check (both calls).
	graphCheckTimeout = 15 * time.Second
	// graphCheckBatch is how many channels one pass claims.
	graphCheckBatch = 20
	// graphCheckRetry is the first wait after a failed check; it doubles per failure, up to the interval.
	graphCheckRetry = time.Minute
)

// RunGraphChecks checks due channels every tick until ctx ends.
func (s *Server) RunGraphChecks(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		s.CheckGraphDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// CheckGraphDue runs the checks that are due now (claimed, so each runs on one server) and returns how many ran.
func (s *Server) CheckGraphDue(ctx context.Context) int {
	if s.cfg.Graph == nil {
		return 0
	}
	due, err := s.store.ClaimGraphChecks(ctx, graphCheckBatch, graphCheckLease)
	if err != nil {
		if ctx.Err() == nil {
			s.log.WarnContext(ctx, "claim graph checks", "error", err)
		}
		return 0
	}
	for _, c := range due {
		failed := s.checkGraph(ctx, c)
		next := GraphCheckInterval
		if failed {
			next = min(GraphCheckInterval, graphCheckRetry<<min(c.Failures, 10))
		}
		if err := s.store.GraphCheckDone(ctx, c.Channel.ID, failed, next); err != nil {
			s.log.WarnContext(ctx, "record graph check", "channel_id", c.Channel.ID, "error", err)
		}
	}
	return len(due)
}

// checkGraph checks one channel's token and subscription and records both in its health; true when either failed.
func (s *Server) checkGraph(ctx context.Context, c store.GraphCheck) bool {
	cfg, err := channelHost{s}.Config(ctx, c.Channel)
	if err != nil {
		s.log.WarnContext(ctx, "graph check: read channel configuration", "channel_id", c.Channel.ID, "error", err)
		return true
	}
	checked, ok := cfg.(channels.GraphChecked)
	if !ok {
		return false
	}
	q := checked.GraphCheck()
	cctx, cancel := context.WithTimeout(ctx, graphCheckTimeout)
	defer cancel()
	tokenErr := s.cfg.Graph.CheckToken(cctx, q.Token, q.ObjectID)
	if errors.Is(tokenErr, context.Canceled) && ctx.Err() != nil {
		return false // shutting down: the lease lets another server check soon
	}
	s.store.RecordHealth(ctx, c.Channel.ID, health.Graph, tokenErr)
	if tokenErr != nil || q.SubscriptionID == "" {
		return tokenErr != nil // a refused token cannot read the subscription either
	}
	sub, err := s.cfg.Graph.SubscribedApps(cctx, q.Token, q.SubscriptionID)
	if err == nil {
		err = subscriptionProblem(c.Channel.Type, sub)
	}
	s.store.RecordHealth(ctx, c.Channel.ID, health.Webhook, err)
	return err != nil
}

// subscriptionProblem is why a subscription delivers no messages; nil when it does. A page's
// subscribed_apps name their fields (messages must be one); a WhatsApp Business Account's
// name only the apps, so any subscribed app counts.
func subscriptionProblem(channelType string, sub graph.Subscription) error {
	what, ok := "page", sub.Has("messages")
	if channelType == "whatsapp" {
		what, ok = "WhatsApp Business Account", sub.Subscribed
	}
	if ok {
		return nil
	}
	return health.Fail(fmt.Sprintf("Meta shows the %s not subscribed to the app's webhook messages: customers' messages will not arrive; "+
		"subscribe it in the app's %s settings (or POST /{id}/subscribed_apps)", what, channelTypeName(channelType)), false, nil)
}

func channelTypeName(t string) string {
	if t == "whatsapp" {
		return "WhatsApp"
	}
	return "Messenger"
}
