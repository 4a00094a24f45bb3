package activities

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/routedesk/routedesk/rules"
)

// RuleFailuresMetric is the name of the counter of rules skipped because they failed.
const RuleFailuresMetric = "routedesk_rule_failures_total"

// RuleMetrics counts the rules an evaluation skipped because they failed, by
// the kind of failure (a label without personal data).
type RuleMetrics struct {
	failures *prometheus.CounterVec
}

// NewRuleMetrics returns the rule metrics registered with reg (nil: not
// registered), sharing the counter an earlier call registered there: the
// worker's activities and the API's ticket route report into one registry.
func NewRuleMetrics(reg prometheus.Registerer) *RuleMetrics {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: RuleFailuresMetric,
		Help: "Rules skipped for one conversation or ticket because they failed at run time, by kind: " +
			"invalid, error, panic, not_finite, unstorable, limit, timeout (see the ticket's routing record).",
	}, []string{"kind"})
	if reg != nil {
		var exists prometheus.AlreadyRegisteredError
		if err := reg.Register(c); errors.As(err, &exists) {
			c = exists.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	for _, k := range rules.FailureKinds {
		c.WithLabelValues(k) // every kind from zero, so a rate is defined before the first failure
	}
	return &RuleMetrics{failures: c}
}

// reportRuleFailures counts and logs, with the rule's id, each rule the
// evaluation skipped; the messages stay on the routing record, since a
// run-time message may quote the customer's data.
func (a *Activities) reportRuleFailures(ctx context.Context, accountID string, errs []rules.RuleError) {
	for _, e := range errs {
		if a.RuleMetrics != nil {
			a.RuleMetrics.failures.WithLabelValues(e.Kind).Inc()
		}
		if a.Log != nil {
			a.Log.WarnContext(ctx, "routing rule failed and was skipped", "account_id", accountID, "rule_id", e.RuleID,
				"kind", e.Kind, "field", e.Field)
		}
	}
}
