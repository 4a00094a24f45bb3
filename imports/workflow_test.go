package imports_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/imports"
	"github.com/routedesk/routedesk/store"
)

// A batch that can never succeed ends the import failed, with the reason recorded.
func TestImportWorkflowRecordsFailure(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	acts := &imports.Activities{}
	env.RegisterActivity(acts)
	env.OnActivity(acts.ImportBatch, mock.Anything, mock.Anything).
		Return(imports.Progress{}, temporal.NewNonRetryableApplicationError("the import's channel is gone", imports.ErrTypeInvalid, nil)).Once()
	var finished imports.FinishInput
	env.OnActivity(acts.FinishImport, mock.Anything, mock.Anything).Run(func(args mock.Arguments) {
		finished = args.Get(1).(imports.FinishInput)
	}).Return(nil).Once()
	env.ExecuteWorkflow(imports.ImportWorkflow, imports.Input{ImportID: "imp_1", Format: imports.FormatNDJSON})
	require.True(t, env.IsWorkflowCompleted())
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(env.GetWorkflowError(), &appErr), "workflow error: %v", env.GetWorkflowError())
	require.Equal(t, store.ImportFailed, finished.State)
	require.Contains(t, finished.Failure, "channel is gone")
	env.AssertExpectations(t)
}

// Batches carry the progress on; the workflow continues as new every BatchesPerRun batches.
func TestImportWorkflowBatchesAndContinuesAsNew(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	acts := &imports.Activities{}
	env.RegisterActivity(acts)
	var starts []int64
	env.OnActivity(acts.ImportBatch, mock.Anything, mock.Anything).Return(func(_ context.Context, in imports.BatchInput) (imports.Progress, error) {
		starts = append(starts, in.Start.Position.Offset)
		p := in.Start
		p.Position.Offset += 100
		p.Total += 10
		p.Imported += 10
		return p, nil
	})
	env.ExecuteWorkflow(imports.ImportWorkflow, imports.Input{ImportID: "imp_2", Format: imports.FormatNDJSON, BatchesPerRun: 3})
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "workflow error: %v", env.GetWorkflowError())
	var next imports.Input
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.Equal(t, []int64{0, 100, 200}, starts)
	require.Equal(t, imports.Position{Offset: 300}, next.Progress.Position)
	require.Equal(t, 30, next.Progress.Imported)
}
