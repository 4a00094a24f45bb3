package imports

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/workflows"
)

// WorkflowName is the name ImportWorkflow is registered under.
const WorkflowName = "ImportWorkflow"

// QueryProgress returns the import's Status.
const QueryProgress = "progress"

// Defaults of an import's batching.
const (
	DefaultBatchItems       = 200
	DefaultBatchesPerRun    = 50
	DefaultHeartbeatTimeout = 30 * time.Second
)

// WorkflowID is the workflow id of an import.
func WorkflowID(importID string) string { return "import:" + importID }

// Input starts (or continues) an import.
type Input struct {
	ImportID       string `json:"import_id"`
	AccountID      string `json:"account_id"`
	ChannelID      string `json:"channel_id"`
	Format         string `json:"format"`
	DryRun         bool   `json:"dry_run"`
	IncludeHistory bool   `json:"include_history"`
	RecentHours    int    `json:"recent_hours"`
	// BatchItems is how many items one activity imports; 0: DefaultBatchItems.
	BatchItems int `json:"batch_items,omitempty"`
	// BatchesPerRun is how many batches run before the workflow continues as new; 0: DefaultBatchesPerRun.
	BatchesPerRun int `json:"batches_per_run,omitempty"`
	// HeartbeatTimeout is how soon a batch whose worker died is retried elsewhere; 0: DefaultHeartbeatTimeout.
	HeartbeatTimeout time.Duration `json:"heartbeat_timeout,omitempty"`
	// Progress is carried over by continue-as-new.
	Progress Progress `json:"progress"`
}

// Status is what the progress query returns.
type Status struct {
	State    string   `json:"state"`
	Progress Progress `json:"progress"`
}

// a names the activities; the worker registers the real ones.
var a *Activities

// ImportWorkflow imports a stored file in batches of activities that
// heartbeat their position, continuing as new every BatchesPerRun batches;
// its progress is in the "progress" query and the ImportState search
// attribute. Cancelling it stops after the item in hand: what was imported stays.
func ImportWorkflow(ctx workflow.Context, in Input) (Progress, error) {
	st := Status{State: domain.ImportRunning, Progress: in.Progress}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Status, error) { return st, nil }); err != nil {
		return st.Progress, fmt.Errorf("register progress query: %w", err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, workflows.ImportStateKey.ValueSet(domain.ImportRunning)); err != nil {
		return st.Progress, fmt.Errorf("upsert import state: %w", err)
	}
	actx := workflow.WithActivityOptions(ctx, batchOptions(in))
	items, perRun := batching(in)
	for batch := 0; !st.Progress.Done; batch++ {
		if batch == perRun {
			next := in
			next.Progress = st.Progress
			return st.Progress, workflow.NewContinueAsNewError(ctx, ImportWorkflow, next)
		}
		var p Progress
		err := workflow.ExecuteActivity(actx, a.ImportBatch, BatchInput{
			ImportID: in.ImportID, AccountID: in.AccountID, ChannelID: in.ChannelID, Format: in.Format, DryRun: in.DryRun,
			IncludeHistory: in.IncludeHistory, RecentHours: in.RecentHours, MaxItems: items, Start: st.Progress,
		}).Get(ctx, &p)
		var canceled *temporal.CanceledError
		switch {
		case errors.As(err, &canceled) || (err != nil && ctx.Err() != nil):
			return st.Progress, finish(ctx, in, &st, domain.ImportCancelled, "", ctx.Err())
		case err != nil:
			return st.Progress, finish(ctx, in, &st, domain.ImportFailed, err.Error(), err)
		}
		st.Progress = p
	}
	return st.Progress, finish(ctx, in, &st, domain.ImportCompleted, "", nil)
}

// batchOptions are the options of an import's batch activities: a batch whose
// worker died is retried elsewhere after the input's heartbeat timeout.
func batchOptions(in Input) workflow.ActivityOptions {
	hb := in.HeartbeatTimeout
	if hb <= 0 {
		hb = DefaultHeartbeatTimeout
	}
	return workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    hb,
		WaitForCancellation: true,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute,
			MaximumAttempts: 20, NonRetryableErrorTypes: []string{ErrTypeInvalid}},
	}
}

// batching is how many items one batch imports and how many batches run before
// the workflow continues as new, the input's or the defaults.
func batching(in Input) (items, perRun int) {
	items, perRun = in.BatchItems, in.BatchesPerRun
	if items <= 0 {
		items = DefaultBatchItems
	}
	if perRun <= 0 {
		perRun = DefaultBatchesPerRun
	}
	return items, perRun
}

// finish records the end state (even once the workflow is cancelled) and returns result.
func finish(ctx workflow.Context, in Input, st *Status, state, failure string, result error) error {
	st.State = state
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	dctx = workflow.WithActivityOptions(dctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second, MaximumAttempts: 20},
	})
	if err := workflow.UpsertTypedSearchAttributes(dctx, workflows.ImportStateKey.ValueSet(state)); err != nil {
		return fmt.Errorf("upsert import state: %w", err)
	}
	err := workflow.ExecuteActivity(dctx, a.FinishImport, FinishInput{
		ImportID: in.ImportID, DryRun: in.DryRun, State: state, Failure: failure, Progress: st.Progress,
	}).Get(dctx, nil)
	if err != nil {
		return fmt.Errorf("finish import: %w", err)
	}
	return result
}
