package privacy

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// RetentionWorkflowName is the registered name of RetentionWorkflow.
const RetentionWorkflowName = "RetentionWorkflow"

// RetentionScheduleID is the Temporal Schedule that starts RetentionWorkflow.
const RetentionScheduleID = "privacy-retention"

// retentionBatch is how many conversations one activity deletes in one transaction;
// batchesPerRun bound a run's history before it continues as new.
const (
	retentionBatch = 500
	batchesPerRun  = 10
)

// RetentionInput is a retention run's state across continue-as-new: ids and counts only.
type RetentionInput struct {
	RunID    string   `json:"run_id,omitempty"`
	Accounts []string `json:"accounts,omitempty"`
	Listed   bool     `json:"listed,omitempty"`
}

// RetentionWorkflow deletes or anonymises every account's expired conversations in batches (each an activity
// with heartbeats), continuing as new every batchesPerRun batches; a run resumes where it stopped.
func RetentionWorkflow(ctx workflow.Context, in RetentionInput) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute, HeartbeatTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
	var a *Activities
	if in.RunID == "" {
		in.RunID = workflow.GetInfo(ctx).WorkflowExecution.RunID
	}
	if !in.Listed {
		if err := workflow.ExecuteActivity(ctx, a.RetentionAccounts).Get(ctx, &in.Accounts); err != nil {
			return err
		}
		in.Listed = true
	}
	for batches := 0; len(in.Accounts) > 0; batches++ {
		if batches == batchesPerRun {
			return workflow.NewContinueAsNewError(ctx, RetentionWorkflowName, in)
		}
		var n int
		if err := workflow.ExecuteActivity(ctx, a.RetentionBatch, in.Accounts[0], in.RunID).Get(ctx, &n); err != nil {
			return err
		}
		if n < retentionBatch {
			if err := workflow.ExecuteActivity(ctx, a.FinishRetention, in.Accounts[0], in.RunID).Get(ctx, nil); err != nil {
				return err
			}
			in.Accounts = in.Accounts[1:]
		}
	}
	return nil
}

// RetentionAccounts lists the accounts that have a retention policy.
func (a *Activities) RetentionAccounts(ctx context.Context) ([]string, error) {
	return a.Store.RetentionAccounts(ctx)
}

// RetentionBatch deletes or anonymises one batch of an account's expired conversations, as their
// policies say: their workflows are terminated and deleted from Temporal first (as an erasure
// does: nothing of theirs runs on), then PostgreSQL's rows go or are anonymised and the workflows'
// keys are erased in one transaction, so what Temporal kept of them can no longer be decoded. A
// retry after a crash finds the same conversations again (stopping a gone workflow is a no-op).
// It answers how many conversations the batch took.
func (a *Activities) RetentionBatch(ctx context.Context, accountID, runID string) (int, error) {
	activity.RecordHeartbeat(ctx, accountID)
	next, err := a.Store.NextRetention(ctx, accountID, retentionBatch)
	if err != nil {
		return 0, err
	}
	if err := a.stop(ctx, next.WorkflowIDs, "retention"); err != nil {
		return 0, err
	}
	done, err := a.Store.ApplyRetention(ctx, accountID, runID, next)
	if err != nil {
		return 0, err
	}
	forgetEverywhere(done.KeyIDs)
	return next.Len(), nil
}

// FinishRetention records an account's completed run (last-run status and audit log).
func (a *Activities) FinishRetention(ctx context.Context, accountID, runID string) error {
	return a.Store.FinishRetention(ctx, accountID, runID)
}

// EnsureRetentionSchedule creates the hourly Schedule that starts RetentionWorkflow on taskQueue,
// or leaves the existing one: safe to call on every start of every process.
func EnsureRetentionSchedule(ctx context.Context, c client.Client, taskQueue string) error {
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      RetentionScheduleID,
		Spec:    client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour}}},
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, // a run still going keeps the next from starting
		Action: &client.ScheduleWorkflowAction{ID: "retention", Workflow: RetentionWorkflowName, TaskQueue: taskQueue,
			Args: []any{RetentionInput{}}},
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create the retention schedule: %w", err)
	}
	return nil
}
