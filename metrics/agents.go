package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// Per-agent metric names, as dashboards query them.
const (
	AgentLoad          = "routedesk_agent_load"
	AgentCapacity      = "routedesk_agent_capacity"
	AgentSeriesOmitted = "routedesk_agent_series_omitted"
)

// MaxAgentSeries caps the agents the per-agent gauges export in one scrape (two series each):
// enough for every agent of a typical installation, bounded for one hosting thousands.
const MaxAgentSeries = 1000

// collectAgents exports each agent's load and capacity, the busiest MaxAgentSeries agents of the
// installation, labelled by user id; the count of agents left out is exported too.
func (t *Tickets) collectAgents(ctx context.Context, ch chan<- prometheus.Metric) {
	loads, total, err := t.src.AgentLoads(ctx, MaxAgentSeries)
	if err != nil {
		t.log.Warn("per-agent load metrics", "error", err)
		return
	}
	for _, l := range loads {
		ch <- prometheus.MustNewConstMetric(t.agentLoad, prometheus.GaugeValue, float64(l.OpenTickets), l.AgentID)
		ch <- prometheus.MustNewConstMetric(t.agentCapacity, prometheus.GaugeValue, float64(l.Capacity), l.AgentID)
	}
	ch <- prometheus.MustNewConstMetric(t.agentsOmitted, prometheus.GaugeValue, float64(max(0, total-len(loads))))
}
