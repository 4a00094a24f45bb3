package redelivery

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/routedesk/routedesk/domain"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestIntakeRefusesAboveTheLimitUntilTheBacklogFalls: the gate opens at the
// limit, stays shut until the backlog is under 80 % of it (no flapping at
// the edge), names a Retry-After from the rate the backlog shrinks at, and
// counts what it refused.
func TestIntakeRefusesAboveTheLimitUntilTheBacklogFalls(t *testing.T) {
	reg := prometheus.NewRegistry()
	in := NewIntake(100, nil, quiet(), reg)
	at := time.Unix(1000, 0)
	step := func(n int) {
		at = at.Add(intakeCheck)
		in.observe(n, at)
	}
	step(10)
	step(99)
	if err := in.Admit(); err != nil {
		t.Fatalf("99 waiting of 100: %v, want admitted", err)
	}
	step(100)
	err := in.Admit()
	var o *domain.Overloaded
	if !errors.As(err, &o) {
		t.Fatalf("100 waiting of 100: %v, want *domain.Overloaded", err)
	}
	if !strings.Contains(o.Message, "100 accepted messages are waiting") || o.RetryAfter < time.Second || o.RetryAfter > maxIntakeRetryAfter {
		t.Errorf("refusal %q, Retry-After %s", o.Message, o.RetryAfter)
	}
	// The backlog shrinks by 10 every 200 ms (50/s): still refused at 81, with a Retry-After of about (81-80)/50 s → 1 s.
	for _, n := range []int{90, 81} {
		step(n)
		if err := in.Admit(); err == nil {
			t.Fatalf("%d waiting (above 80 %% of the limit): admitted, want refused", n)
		}
	}
	step(95) // grew again (in-flight requests): still refused, no flapping
	if in.Admit() == nil {
		t.Fatal("95 waiting: admitted while refusing")
	}
	step(70)
	if err := in.Admit(); err != nil {
		t.Fatalf("70 waiting (under 80): %v, want admitted", err)
	}
	if got := value(t, in.refused); got != 4 {
		t.Errorf("refused counter %v, want 4", got)
	}
	if got := value(t, in.state); got != 0 {
		t.Errorf("refusing gauge %v, want 0", got)
	}
}

// TestIntakeCountsAdmissionsBetweenCounts: a crowd of senders retrying at
// once, between two counts of the backlog, cannot push it past the limit.
func TestIntakeCountsAdmissionsBetweenCounts(t *testing.T) {
	in := NewIntake(100, nil, quiet(), nil)
	if err := in.Admit(); err != nil {
		t.Fatalf("before the first count: %v, want admitted", err)
	}
	in.observe(90, time.Unix(0, 0))
	admitted := 0
	for range 50 {
		if in.Admit() == nil {
			admitted++
		}
	}
	if admitted != 10 {
		t.Errorf("90 waiting, 50 arriving before the next count: %d admitted, want 10", admitted)
	}
	in.observe(85, time.Unix(0, int64(intakeCheck))) // above 80 % of the limit: still refusing
	if in.Admit() == nil {
		t.Error("85 waiting after the gate shut: admitted, want refused until under 80")
	}
}

// TestIntakeRetryAfterFollowsTheDrainRate: the slower the backlog shrinks, the longer senders are asked to wait, within 1–30 s.
func TestIntakeRetryAfterFollowsTheDrainRate(t *testing.T) {
	retryAfter := func(drop int) time.Duration {
		in := NewIntake(1000, nil, quiet(), nil)
		at, n := time.Unix(0, 0), 1500
		for range 20 {
			in.observe(n, at)
			at, n = at.Add(intakeCheck), n-drop
		}
		var o *domain.Overloaded
		if !errors.As(in.Admit(), &o) {
			t.Fatalf("drop %d: not refusing at %d waiting", drop, n)
		}
		return o.RetryAfter
	}
	fast, slow := retryAfter(10), retryAfter(1)
	if fast >= slow || fast < time.Second || slow > maxIntakeRetryAfter {
		t.Errorf("Retry-After %s draining 50/s, %s draining 5/s: want shorter for the faster drain, within 1–30 s", fast, slow)
	}
}

// TestIntakeOffNeverRefuses: a zero limit never counts nor refuses.
func TestIntakeOffNeverRefuses(t *testing.T) {
	counted := false
	in := NewIntake(0, func(context.Context) (int, error) { counted = true; return 1 << 20, nil }, quiet(), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	in.Run(ctx) // returns at once
	in.observe(1<<20, time.Now())
	if err := in.Admit(); err != nil || counted {
		t.Errorf("limit 0: Admit %v, counted %v; want admitted, never counted", err, counted)
	}
}

// value reads a counter's or gauge's value.
func value(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	if out.Counter != nil {
		return out.Counter.GetValue()
	}
	return out.Gauge.GetValue()
}
