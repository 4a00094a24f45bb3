// Package worker registers routedesk's workflows and activities on a Temporal worker.
package worker

import (
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/workflows"
)

// New returns a worker on taskQueue with every routedesk workflow and activity
// registered; on Stop, running activities get stopTimeout to finish.
func New(c client.Client, taskQueue string, acts *activities.Activities, stopTimeout time.Duration) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{
		// A panic or non-determinism bug blocks the workflow task (and shows in the UI)
		// instead of failing the conversation for good.
		WorkflowPanicPolicy:                sdkworker.BlockWorkflow,
		MaxConcurrentActivityExecutionSize: 200,
		WorkerStopTimeout:                  stopTimeout,
	})
	RegisterWorkflows(w)
	w.RegisterActivity(acts)
	return w
}

// RegisterWorkflows adds routedesk's workflows to a registry (a worker or a replayer).
func RegisterWorkflows(r sdkworker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.ConversationWorkflow, workflow.RegisterOptions{Name: "ConversationWorkflow"})
}
