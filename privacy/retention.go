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

// RetentionWorkflow deletes every account's expired conversations in batches (each an activity
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

// RetentionBatch deletes one batch of an account's expired conversations.
func (a *Activities) RetentionBatch(ctx context.Context, accountID, runID string) (int, error) {
	activity.RecordHeartbeat(ctx, accountID)
	return a.Store.RetentionBatch(ctx, accountID, runID, retentionBatch)
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
