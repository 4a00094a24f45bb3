package bench

import (
	"context"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/worker"
	"github.com/routedesk/routedesk/workflows"
)

// bareTaskQueue is the task queue of the bare workflow's own worker.
const bareTaskQueue = "routedesk-bench-bare"

// bareSignal carries the message id, as the API's inbound-message signal does.
const bareSignal = "inbound-message"

// bareActivities is the number of activities an assigned conversation runs:
// UpsertContact, EvaluateRules, CreateTicket, Route.
const bareActivities = 4

// bareActivityOptions are the conversation workflow's activity options.
var bareActivityOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    30 * time.Second,
	ScheduleToCloseTimeout: 24 * time.Hour,
	RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
}

type bareMessage struct {
	MessageID string `json:"message_id"`
}

type bareStep struct {
	MessageID string `json:"message_id"`
	Step      int    `json:"step"`
}

// bareWorkflow waits for its signal, then runs bareActivities no-op
// activities one after the other, like an assigned conversation does.
func bareWorkflow(ctx workflow.Context) error {
	var msg bareMessage
	workflow.GetSignalChannel(ctx, bareSignal).Receive(ctx, &msg)
	ctx = workflow.WithActivityOptions(ctx, bareActivityOptions)
	for i := 1; i <= bareActivities; i++ {
		if err := workflow.ExecuteActivity(ctx, "BareNoop", bareStep{MessageID: msg.MessageID, Step: i}).Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

// bareRecorder is the no-op activity; its last step notes the time, the
// counterpart of the Route activity's assigned_at.
type bareRecorder struct {
	mu   sync.Mutex
	done map[string]time.Time
}

func (r *bareRecorder) noop(ctx context.Context, in bareStep) error {
	if in.Step == bareActivities {
		now := time.Now()
		id := activity.GetInfo(ctx).WorkflowExecution.ID
		r.mu.Lock()
		r.done[id] = now
		r.mu.Unlock()
	}
	return nil
}

func (r *bareRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.done)
}

func (r *bareRecorder) at(id string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.done[id]
	return t, ok
}

// startBareWorker starts a worker for the bare workflow on its own task queue,
// with the options routedesk's worker uses.
func startBareWorker(c client.Client) (sdkworker.Worker, *bareRecorder, error) {
	rec := &bareRecorder{done: map[string]time.Time{}}
	w := sdkworker.New(c, bareTaskQueue, sdkworker.Options{
		WorkflowPanicPolicy:                     sdkworker.BlockWorkflow,
		MaxConcurrentActivityExecutionSize:      200,
		MaxConcurrentWorkflowTaskExecutionSize:  worker.WorkflowTaskSlots,
		MaxConcurrentLocalActivityExecutionSize: worker.WorkflowTaskSlots,
		WorkerStopTimeout:                       5 * time.Second,
	})
	w.RegisterWorkflowWithOptions(bareWorkflow, workflow.RegisterOptions{Name: "BareWorkflow"})
	w.RegisterActivityWithOptions(rec.noop, activity.RegisterOptions{Name: "BareNoop"})
	return w, rec, w.Start()
}

// signalWithStartBare starts one bare workflow the way the API starts a
// conversation: signal-with-start, the same reuse policy, search attributes and memo.
func signalWithStartBare(ctx context.Context, c client.Client, id, messageID string) error {
	opts := client.StartWorkflowOptions{
		ID:                    id,
		TaskQueue:             bareTaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.ChannelTypeKey.ValueSet("chat"),
			workflows.ChannelIDKey.ValueSet("ch_bench_bare"),
			workflows.AccountIDKey.ValueSet("acc_bench_bare"),
			workflows.RoutingStateKey.ValueSet(domain.RoutingRouting),
		),
		Memo: map[string]any{workflows.MemoChannelName: "bare"},
	}
	_, err := c.SignalWithStartWorkflow(ctx, id, bareSignal, bareMessage{MessageID: messageID}, opts, "BareWorkflow")
	return err
}
