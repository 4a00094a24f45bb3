// Package worker registers routedesk's workflows and activities on a Temporal worker.
package worker

import (
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/imports"
	"github.com/routedesk/routedesk/privacy"
	"github.com/routedesk/routedesk/workflows"
)

// StickyTimeout is how long a conversation's next workflow task waits for the
// worker that has the conversation cached before any worker may take it: a
// killed worker's conversations move on after this. Together with short
// store-activity timeouts (workflows.StoreAttemptTimeout) and heartbeats on
// long activities, another worker carries on a dead worker's conversations
// within seconds.
const StickyTimeout = 3 * time.Second

// WorkflowTaskSlots bounds the workflow tasks (and the local activities they
// run: a conversation's opening) one worker executes at a time. The SDK's
// default, 1,000, lets a backlog — after a restart, in a burst — start
// hundreds of openings at once; they then share the CPU and the PostgreSQL
// pool until each outlives its workflow task timeout, and every timed-out
// task is redone: ticket creation stalls. A few dozen keep the CPU and the
// pool busy; more wait in Temporal's task queue, where waiting costs nothing.
const WorkflowTaskSlots = 32

// ImportPause is waited after each imported item, so an import running beside
// live traffic leaves it PostgreSQL (see docs/imports.md); 0 imports at full speed.
var ImportPause time.Duration

// DefaultWorkflowCacheSize is the default of ROUTEDESK_WORKFLOW_CACHE_SIZE.
// The SDK's own default (10,000) keeps every idle conversation of a busy desk
// in memory; a conversation's history is short, so replaying an evicted one
// on its next event costs a few milliseconds.
const DefaultWorkflowCacheSize = 1000

// SetWorkflowCacheSize bounds the workflows this process's workers keep
// cached between tasks (the SDK's sticky cache, shared by every worker of the
// process); it must be called before the first worker starts, n < 1 keeps the default.
func SetWorkflowCacheSize(n int) {
	if n < 1 {
		n = DefaultWorkflowCacheSize
	}
	sdkworker.SetStickyWorkflowCacheSize(n)
}

// New returns a worker on taskQueue with every routedesk workflow and activity
// registered; on Stop, running activities get stopTimeout to finish.
func New(c client.Client, taskQueue string, acts *activities.Activities, stopTimeout time.Duration) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{
		// A panic or non-determinism bug blocks the workflow task (and shows in the UI)
		// instead of failing the conversation for good.
		WorkflowPanicPolicy:                     sdkworker.BlockWorkflow,
		MaxConcurrentActivityExecutionSize:      200,
		MaxConcurrentWorkflowTaskExecutionSize:  WorkflowTaskSlots,
		MaxConcurrentLocalActivityExecutionSize: WorkflowTaskSlots,
		WorkerStopTimeout:                       stopTimeout,
		StickyScheduleToStartTimeout:            StickyTimeout,
		// Every activity gets a summary for the Temporal UI (no history change).
		Interceptors: []interceptor.WorkerInterceptor{&workflows.ActivitySummaries{}},
	})
	RegisterWorkflows(w)
	w.RegisterActivity(acts)
	w.RegisterActivity(&imports.Activities{Store: acts.Store, Pause: ImportPause, Channels: acts.Channels, WorkflowID: acts.WorkflowID})
	w.RegisterActivity(&privacy.Activities{Store: acts.Store, Temporal: c})
	return w
}

// RegisterWorkflows adds routedesk's workflows to a registry (a worker or a replayer).
func RegisterWorkflows(r sdkworker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.ConversationWorkflow, workflow.RegisterOptions{Name: "ConversationWorkflow"})
	r.RegisterWorkflowWithOptions(workflows.DeliveryWorkflow, workflow.RegisterOptions{Name: workflows.DeliveryWorkflowName})
	r.RegisterWorkflowWithOptions(imports.ImportWorkflow, workflow.RegisterOptions{Name: imports.WorkflowName})
	r.RegisterWorkflowWithOptions(privacy.EraseWorkflow, workflow.RegisterOptions{Name: privacy.EraseWorkflowName})
	r.RegisterWorkflowWithOptions(privacy.ExportWorkflow, workflow.RegisterOptions{Name: privacy.ExportWorkflowName})
	r.RegisterWorkflowWithOptions(privacy.RetentionWorkflow, workflow.RegisterOptions{Name: privacy.RetentionWorkflowName})
}
