package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/routedesk/routedesk/health"
	"github.com/routedesk/routedesk/store"
)

// healthCollector exports the channels' health from PostgreSQL at scrape time,
// so every process shows the same figures: channels per type and state, and
// the failures recorded per type and component. No ids or personal data in labels.
type healthCollector struct {
	store    *store.Store
	log      *slog.Logger
	state    *prometheus.Desc
	failures *prometheus.Desc
}

func newHealthCollector(st *store.Store, log *slog.Logger) *healthCollector {
	return &healthCollector{store: st, log: log,
		state: prometheus.NewDesc("routedesk_channel_health", "Connected channels by channel type and health state (ok, degraded, failing).",
			[]string{"channel_type", "state"}, nil),
		failures: prometheus.NewDesc("routedesk_channel_failures_total", "Failures recorded by channels' components (imap, smtp, graph, endpoint), by channel type.",
			[]string{"channel_type", "component"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (h *healthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- h.state
	ch <- h.failures
}

// Collect implements prometheus.Collector; every state of a type that has channels is exported, 0 included.
func (h *healthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	counts, failures, err := h.store.HealthCounts(ctx)
	if err != nil {
		h.log.Warn("channel health metrics", "error", err)
		return
	}
	byType := map[string]map[string]int{}
	for _, c := range counts {
		if byType[c.ChannelType] == nil {
			byType[c.ChannelType] = map[string]int{health.OK: 0, health.Degraded: 0, health.Failing: 0}
		}
		byType[c.ChannelType][c.State] += c.Channels
	}
	for typ, states := range byType {
		for state, n := range states {
			ch <- prometheus.MustNewConstMetric(h.state, prometheus.GaugeValue, float64(n), typ, state)
		}
	}
	for _, f := range failures {
		ch <- prometheus.MustNewConstMetric(h.failures, prometheus.CounterValue, float64(f.Failures), f.ChannelType, f.Component)
	}
}
