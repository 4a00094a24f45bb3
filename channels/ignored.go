package channels

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/routedesk/routedesk/store"
)

// IgnoredInbound counts inbound traffic a channel made no ticket of, by channel
// type and reason (routedesk_inbound_ignored_total); the server registers it.
var IgnoredInbound = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "routedesk_inbound_ignored_total",
	Help: "Inbound messages a channel made no ticket of (auto-replies, bounces, its own mail, signed webhooks with a malformed body), by channel type and reason.",
}, []string{"channel_type", "reason"})

// IgnoredStore keeps the record of ignored inbound traffic.
type IgnoredStore interface {
	RecordIgnored(ctx context.Context, accountID string, rec store.IgnoredInbound) (added bool, err error)
}

// RecordIgnored keeps the record of ignored inbound traffic (GET /v1/channels/{id}/ignored) and counts it;
// a redelivery of the same message is recorded and counted once.
func RecordIgnored(ctx context.Context, st IgnoredStore, accountID string, typ Type, rec store.IgnoredInbound) error {
	added, err := st.RecordIgnored(ctx, accountID, rec)
	if err != nil {
		return err
	}
	if added {
		IgnoredInbound.WithLabelValues(string(typ), rec.Reason).Inc()
	}
	return nil
}
