package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/metrics"
	"github.com/routedesk/routedesk/store"
)

// agentSource is a TicketSource with agents only; it honours the limit as the store's query does.
type agentSource struct {
	agents []store.AgentLoad
	limit  int
}

func (agentSource) MeasureHistograms(context.Context) ([]store.MeasureHistogram, error) {
	return nil, nil
}
func (agentSource) OpenTicketCounts(context.Context) ([]store.OpenTicketCount, error) {
	return nil, nil
}
func (agentSource) TeamLoads(context.Context) ([]store.TeamLoad, error)     { return nil, nil }
func (agentSource) SLAOutcomes(context.Context) ([]store.SLAOutcome, error) { return nil, nil }
func (a *agentSource) AgentLoads(_ context.Context, limit int) ([]store.AgentLoad, int, error) {
	a.limit = limit
	return a.agents[:min(limit, len(a.agents))], len(a.agents), nil
}

// TestAgentGaugesCapTheirSeries: each agent's load and capacity are exported by user id, at most
// MaxAgentSeries agents, and the agents left out are counted.
func TestAgentGaugesCapTheirSeries(t *testing.T) {
	src := &agentSource{}
	for i := range metrics.MaxAgentSeries + 7 {
		src.agents = append(src.agents, store.AgentLoad{AgentID: "usr_" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + strings.Repeat("0", i/26), OpenTickets: 3, Capacity: 5})
	}
	src.agents[0] = store.AgentLoad{AgentID: "usr_busiest", OpenTickets: 9, Capacity: 4}
	reg := prometheus.NewRegistry()
	reg.MustRegister(metrics.NewTickets(src, slog.New(slog.NewTextHandler(io.Discard, nil))))
	families, err := reg.Gather()
	require.NoError(t, err)
	series := map[string]map[string]float64{}
	for _, f := range families {
		series[f.GetName()] = map[string]float64{}
		for _, m := range f.GetMetric() {
			agent := ""
			for _, l := range m.GetLabel() {
				require.Equal(t, "agent", l.GetName())
				agent = l.GetValue()
			}
			series[f.GetName()][agent] = m.GetGauge().GetValue()
		}
	}
	require.Equal(t, metrics.MaxAgentSeries, src.limit)
	require.Len(t, series[metrics.AgentLoad], metrics.MaxAgentSeries)
	require.Len(t, series[metrics.AgentCapacity], metrics.MaxAgentSeries)
	require.Equal(t, map[string]float64{"": 7}, series[metrics.AgentSeriesOmitted])
	require.Equal(t, 9.0, series[metrics.AgentLoad]["usr_busiest"])
	require.Equal(t, 4.0, series[metrics.AgentCapacity]["usr_busiest"])
}
