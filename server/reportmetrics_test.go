package server_test

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/metrics"
)

// histogramCount is the sample count of a histogram series with the labels, -1 when absent.
func histogramCount(t *testing.T, s *testenv.Stack, name string, labels map[string]string) int64 {
	families, err := s.Registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if matches(m, labels) {
				return int64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}

func matches(m *dto.Metric, labels map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := labels[l.GetName()]; ok {
			if v != l.GetValue() {
				return false
			}
			n++
		}
	}
	return n == len(labels)
}

// gauge is a gauge series' value with the labels, -1 when absent.
func gauge(t *testing.T, s *testenv.Stack, name string, labels map[string]string) float64 {
	families, err := s.Registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if f.GetName() == name && matches(m, labels) {
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}

// TestReportMetricsAndDashboard: a ticket's wait for an agent, first response
// and resolution are each observed once, by channel type and team, however
// often it is closed or measured again; open tickets and team load are
// exported, per team and per agent; and every query of the Grafana dashboard names a metric that the
// registry, built as the binary builds it, exports.
func TestReportMetricsAndDashboard(t *testing.T) {
	s := testenv.NewStack(t)
	accountID, token := s.Account("Acme", "enterprise")
	d := desk{t: t, s: s, token: token}
	ada := d.user("ada@acme.test", map[string]any{"capacity": 2})
	team := s.Do(http.MethodPost, "/v1/teams", token, map[string]any{"name": "Support", "members": []string{ada}}).Map(t)["id"].(string)
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "teams": []string{team}})
	d.message(ch, "m", map[string]any{"email": "m@x.test"})
	id := d.ticketOf(ch, "m", "assigned")["id"].(string)
	labels := map[string]string{"channel_type": "chat", "team": team}
	require.EqualValues(t, 1, histogramCount(t, s, metrics.AgentWaitSeconds, labels))
	require.EqualValues(t, -1, histogramCount(t, s, metrics.FirstResponseSeconds, labels))
	require.EqualValues(t, 1, gauge(t, s, metrics.OpenTickets, map[string]string{"channel_type": "chat", "routing_state": "assigned"}))
	require.EqualValues(t, 1, gauge(t, s, metrics.TeamOpenTickets, map[string]string{"team": team}))
	require.EqualValues(t, 2, gauge(t, s, metrics.TeamCapacity, map[string]string{"team": team}))
	require.EqualValues(t, 0, gauge(t, s, metrics.TeamAgentsAtCapacity, map[string]string{"team": team}))
	// Per agent, labelled by user id: no name or address is a label value anywhere in the scrape.
	require.EqualValues(t, 1, gauge(t, s, metrics.AgentLoad, map[string]string{"agent": ada}))
	require.EqualValues(t, 2, gauge(t, s, metrics.AgentCapacity, map[string]string{"agent": ada}))
	require.EqualValues(t, 0, gauge(t, s, metrics.AgentSeriesOmitted, map[string]string{}))
	families, err := s.Registry.Gather()
	require.NoError(t, err)
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				require.NotContains(t, l.GetValue(), "@acme.test", "%s{%s}", f.GetName(), l.GetName())
			}
		}
	}

	agentTok := s.Do(http.MethodPost, "/v1/users/"+ada+"/tokens", token, nil).Map(t)["token"].(string)
	for range 2 {
		r := s.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", agentTok, map[string]any{"text": "On it."})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	}
	testenv.Eventually(t, 10*time.Second, "the first response", func() bool {
		return histogramCount(t, s, metrics.FirstResponseSeconds, labels) == 1
	})

	require.Equal(t, http.StatusOK, s.Do(http.MethodPatch, "/v1/tickets/"+id, token, map[string]any{"status": "solved"}).Status)
	require.EqualValues(t, 1, histogramCount(t, s, metrics.ResolutionSeconds, labels))
	// Reopened and solved again, closed, or measured again (a retried activity): still one observation each.
	require.Equal(t, http.StatusOK, s.Do(http.MethodPatch, "/v1/tickets/"+id, token, map[string]any{"status": "open"}).Status)
	require.Equal(t, http.StatusOK, s.Do(http.MethodPatch, "/v1/tickets/"+id, token, map[string]any{"status": "solved"}).Status)
	require.Equal(t, http.StatusOK, s.Do(http.MethodPatch, "/v1/tickets/"+id, token, map[string]any{"status": "closed"}).Status)
	took, err := s.Store.MeasureResolution(context.Background(), accountID, id)
	require.NoError(t, err)
	require.False(t, took)
	took, err = s.Store.MeasureAgentWait(context.Background(), id)
	require.NoError(t, err)
	require.False(t, took)
	require.EqualValues(t, 1, histogramCount(t, s, metrics.ResolutionSeconds, labels))
	require.EqualValues(t, 1, histogramCount(t, s, metrics.AgentWaitSeconds, labels))
	require.EqualValues(t, 1, histogramCount(t, s, metrics.FirstResponseSeconds, labels))
	require.EqualValues(t, -1, gauge(t, s, metrics.OpenTickets, map[string]string{"channel_type": "chat", "routing_state": "assigned"}))

	d.message(ch, "n", map[string]any{"email": "n@x.test"}) // an open ticket again, for the open-ticket gauge
	d.ticketOf(ch, "n", "assigned")
	dash, err := os.ReadFile("../metrics/grafana/dashboards/routedesk.json")
	require.NoError(t, err)
	queries, err := metrics.DashboardQueries(dash)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(queries), 12)
	exported, err := metrics.Exported(s.Registry)
	require.NoError(t, err)
	unknown, err := metrics.UnknownMetrics(dash, exported)
	require.NoError(t, err)
	require.Empty(t, unknown, "dashboard queries naming metrics the registry does not export")
}
