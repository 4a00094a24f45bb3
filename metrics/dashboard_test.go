package metrics_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/metrics"
)

func TestQueryMetrics(t *testing.T) {
	for expr, want := range map[string][]string{
		`histogram_quantile(0.9, sum by (le, team) (rate(routedesk_x_seconds_bucket{channel_type=~"$channel_type", team="a b"}[$__rate_interval])))`: {"routedesk_x_seconds_bucket"},
		`sum by (team) (a_total{team=~"$team"}) / on (team) group_left sum without (x) (b)`:                                                          {"a_total", "b"},
		`label_values(routedesk_tickets_open, channel_type)`:                                                                                         {"routedesk_tickets_open"},
		`rate(c[5m] offset 1h) > bool 1e3 and d`:                                                                                                     {"c", "d"},
	} {
		require.Equal(t, want, metrics.QueryMetrics(expr), expr)
	}
}

// TestUnknownMetricsFindsWhatIsNotExported is the check's negative case: a
// name nothing exports, and a query naming no metric, are both reported.
func TestUnknownMetricsFindsWhatIsNotExported(t *testing.T) {
	dash := []byte(`{"panels": [{"title": "P", "targets": [
	    {"refId": "A", "expr": "sum(rate(routedesk_http_requests_total[5m]))"},
	    {"refId": "B", "expr": "sum(routedesk_not_exported{team=\"x\"})"},
	    {"refId": "C", "expr": "vector(1)"}]}],
	  "templating": {"list": [{"name": "team", "query": {"query": "label_values(routedesk_gone, team)"}}]}}`)
	got, err := metrics.UnknownMetrics(dash, map[string]bool{"routedesk_http_requests_total": true})
	require.NoError(t, err)
	require.Equal(t, []string{`panel "P" target B: routedesk_not_exported`, `panel "P" target C: names no metric`, `variable "team": routedesk_gone`}, got)
	_, err = metrics.UnknownMetrics([]byte(`{"panels": [`), nil)
	require.Error(t, err)
}
