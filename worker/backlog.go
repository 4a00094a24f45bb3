package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// Backlog polling defaults: how often the task queue's statistics are read,
// and how long one read may take before it counts as failed.
const (
	BacklogInterval = 15 * time.Second
	BacklogTimeout  = 5 * time.Second
)

// backlogTypes are the task types of a routedesk task queue, by metric label.
var backlogTypes = []struct {
	label string
	typ   enumspb.TaskQueueType
}{
	{"workflow", enumspb.TASK_QUEUE_TYPE_WORKFLOW},
	{"activity", enumspb.TASK_QUEUE_TYPE_ACTIVITY},
}

// Backlog exports the backlog of one task queue — the tasks waiting for a
// worker, from Temporal's task-queue statistics — as Prometheus gauges, so that
// an autoscaler can add workers when tasks wait (docs/kubernetes.md).
type Backlog struct {
	client    client.Client
	namespace string
	taskQueue string
	log       *slog.Logger
	// Interval is the time between two reads; Timeout bounds each read.
	Interval, Timeout time.Duration

	tasks    *prometheus.GaugeVec
	age      *prometheus.GaugeVec
	failures prometheus.Counter
}

// NewBacklog registers the backlog gauges of taskQueue in namespace on reg.
func NewBacklog(reg prometheus.Registerer, c client.Client, namespace, taskQueue string, log *slog.Logger) *Backlog {
	b := &Backlog{
		client: c, namespace: namespace, taskQueue: taskQueue, log: log,
		Interval: BacklogInterval, Timeout: BacklogTimeout,
		tasks: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "routedesk_task_queue_backlog",
			Help: "Approximate number of tasks waiting for a worker on the task queue (Temporal's task-queue statistics), by task type.",
		}, []string{"task_queue", "type"}),
		age: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "routedesk_task_queue_backlog_age_seconds",
			Help: "How long the oldest waiting task of the task queue has waited, by task type.",
		}, []string{"task_queue", "type"}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "routedesk_task_queue_stats_errors_total",
			Help: "Reads of the task queue's statistics that failed; while they fail the backlog gauges are absent.",
		}),
	}
	reg.MustRegister(b.tasks, b.age, b.failures)
	return b
}

// Run reads the statistics at once and then every Interval until ctx ends.
func (b *Backlog) Run(ctx context.Context) {
	t := time.NewTicker(b.Interval)
	defer t.Stop()
	for {
		if err := b.Poll(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("task queue backlog unknown; the backlog gauges are absent until a read succeeds", "task_queue", b.taskQueue, "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Poll reads the backlog of every task type once and sets the gauges; when a
// read fails it removes that type's gauges (an autoscaler then holds its
// scale rather than act on a stale number) and counts the failure.
func (b *Backlog) Poll(ctx context.Context) error {
	var errs []string
	for _, bt := range backlogTypes {
		stats, err := b.read(ctx, bt.typ)
		if err != nil {
			b.failures.Inc()
			b.tasks.DeleteLabelValues(b.taskQueue, bt.label)
			b.age.DeleteLabelValues(b.taskQueue, bt.label)
			errs = append(errs, fmt.Sprintf("%s tasks: %v", bt.label, err))
			continue
		}
		b.tasks.WithLabelValues(b.taskQueue, bt.label).Set(float64(stats.GetApproximateBacklogCount()))
		b.age.WithLabelValues(b.taskQueue, bt.label).Set(stats.GetApproximateBacklogAge().AsDuration().Seconds())
	}
	if len(errs) > 0 {
		return fmt.Errorf("read task queue %q statistics: %s", b.taskQueue, strings.Join(errs, "; "))
	}
	return nil
}

// read asks Temporal for the statistics of one task type, within Timeout.
func (b *Backlog) read(ctx context.Context, typ enumspb.TaskQueueType) (*taskqueuepb.TaskQueueStats, error) {
	ctx, cancel := context.WithTimeout(ctx, b.Timeout)
	defer cancel()
	resp, err := b.client.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:     b.namespace,
		TaskQueue:     &taskqueuepb.TaskQueue{Name: b.taskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		TaskQueueType: typ,
		ReportStats:   true,
	})
	if err != nil {
		return nil, err
	}
	if resp.GetStats() == nil {
		return nil, errors.New("the Temporal server reported no statistics for the task queue (a server too old to report them?)")
	}
	return resp.GetStats(), nil
}
