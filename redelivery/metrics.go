package redelivery

import "github.com/prometheus/client_golang/prometheus"

// metrics counts what the redrive loop and the paced deliveries did.
type metrics struct {
	delivered prometheus.Counter
	retried   prometheus.Counter
	failed    prometheus.Counter
	deferred  prometheus.Counter
	busy      prometheus.Counter
	pending   prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		delivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "routedesk_redrive_delivered_total", Help: "Stored inbound messages the redrive loop delivered to their workflow.",
		}),
		retried: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "routedesk_redrive_retried_total", Help: "Redelivery attempts that failed and were scheduled again with backoff.",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "routedesk_redrive_failed_total", Help: "Inbound messages given up on (attempts exhausted or a non-retryable error); see GET /v1/deliveries?state=failed.",
		}),
		deferred: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "routedesk_deliveries_paced_total", Help: "Inbound messages a request stored and left to the redrive loop because the delivery window was full or older messages waited.",
		}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "routedesk_redrive_busy_total", Help: "Redelivery attempts that found Temporal busy (timed out or rate limited): retried within a second, not counted as attempts.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "routedesk_deliveries_pending", Help: "Inbound messages stored but not yet accepted by their workflow (not failed), as of the last redrive pass.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.delivered, m.retried, m.failed, m.deferred, m.busy, m.pending)
	}
	return m
}
