package worker_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/worker"
)

// TestBacklogGaugeFollowsTheTaskQueue: workflows started while no worker polls
// wait as workflow tasks, and the gauge counts them; once a worker drains the
// queue the gauge is back at zero.
func TestBacklogGaugeFollowsTheTaskQueue(t *testing.T) {
	srv := testenv.Temporal(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace(), Logger: sdklog.NewStructuredLogger(log)})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	const queue, waiting = "backlog-test", 5
	reg := prometheus.NewRegistry()
	b := worker.NewBacklog(reg, c, srv.Namespace(), queue, log)
	ctx := t.Context()
	for i := range waiting {
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("backlog-%d", i), TaskQueue: queue}, "Noop")
		require.NoError(t, err)
	}
	labels := map[string]string{"task_queue": queue, "type": "workflow"}
	workflowTasks := func() float64 {
		require.NoError(t, b.Poll(ctx))
		v, ok := sample(t, reg, "routedesk_task_queue_backlog", labels)
		require.True(t, ok, "the gauge is there after a successful read")
		return v
	}
	testenv.Eventually(t, 30*time.Second, "the backlog gauge counts the waiting workflow tasks", func() bool {
		return workflowTasks() == waiting
	})
	age, _ := sample(t, reg, "routedesk_task_queue_backlog_age_seconds", labels)
	assert.Greater(t, age, 0.0, "the oldest task has waited")

	w := sdkworker.New(c, queue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(func(workflow.Context) error { return nil }, workflow.RegisterOptions{Name: "Noop"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	testenv.Eventually(t, 30*time.Second, "the backlog gauge back at zero once a worker drained the queue", func() bool {
		return workflowTasks() == 0
	})
}

// TestBacklogGaugeIsAbsentWhileTheStatisticsCannotBeRead: once Temporal is
// unreachable a read fails within its timeout, removes the gauges (an
// autoscaler then holds its scale instead of acting on a stale number) and
// counts the failure; Run keeps polling until its context ends.
func TestBacklogGaugeIsAbsentWhileTheStatisticsCannotBeRead(t *testing.T) {
	srv := testenv.Temporal(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace(), Logger: sdklog.NewStructuredLogger(log)})
	require.NoError(t, err)
	t.Cleanup(c.Close)

	reg := prometheus.NewRegistry()
	b := worker.NewBacklog(reg, c, srv.Namespace(), "q", log)
	b.Timeout, b.Interval = 2*time.Second, 100*time.Millisecond
	require.NoError(t, b.Poll(t.Context()))
	for _, typ := range []string{"workflow", "activity"} {
		_, ok := sample(t, reg, "routedesk_task_queue_backlog", map[string]string{"task_queue": "q", "type": typ})
		assert.True(t, ok, "a gauge for %s tasks", typ)
	}

	require.NoError(t, srv.Stop())
	start := time.Now()
	err = b.Poll(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"q"`)
	assert.Less(t, time.Since(start), 2*b.Timeout+5*time.Second, "each read is bounded by the timeout")
	_, ok := sample(t, reg, "routedesk_task_queue_backlog", nil)
	assert.False(t, ok, "no backlog gauge while the backlog is unknown")
	_, ok = sample(t, reg, "routedesk_task_queue_backlog_age_seconds", nil)
	assert.False(t, ok, "no age gauge while the backlog is unknown")
	failures, _ := sample(t, reg, "routedesk_task_queue_stats_errors_total", nil)
	assert.Equal(t, 2.0, failures, "one failure per task type")

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { b.Run(ctx); close(done) }()
	testenv.Eventually(t, 30*time.Second, "Run polled again", func() bool {
		n, _ := sample(t, reg, "routedesk_task_queue_stats_errors_total", nil)
		return n >= 4
	})
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
}

// sample is the value of metric with labels (a subset) gathered from reg; ok is false when it is absent.
func sample(t *testing.T, reg *prometheus.Registry, metric string, labels map[string]string) (v float64, ok bool) {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != metric {
			continue
		}
	samples:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, named := labels[l.GetName()]; named && want != l.GetValue() {
					continue samples
				}
			}
			return m.GetGauge().GetValue() + m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}
