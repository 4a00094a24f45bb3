package privacy

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ExportWorkflowName is the registered name of ExportWorkflow.
const ExportWorkflowName = "ExportContactWorkflow"

// ExportTTL is how long an export's archive can be downloaded before the workflow deletes it.
const ExportTTL = 7 * 24 * time.Hour

// ExportWorkflowID is the workflow id of one export.
func ExportWorkflowID(accountID, exportID string) string {
	return "export:" + accountID + ":" + exportID
}

// ExportInput names the export, by opaque ids only: the workflow's history holds no personal data.
type ExportInput struct {
	AccountID string `json:"account_id"`
	ContactID string `json:"contact_id"`
	ExportID  string `json:"export_id"`
}

// ExportResult is what an export wrote: counts of each part and the archive's size (no personal data).
type ExportResult struct {
	Counts    map[string]int `json:"counts"`
	SizeBytes int64          `json:"size_bytes"`
}

// ExportWorkflow writes a contact's archive into PostgreSQL (an activity: the data never enters
// the history), keeps it for ExportTTL on a durable timer, then deletes it.
func ExportWorkflow(ctx workflow.Context, in ExportInput) (ExportResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
	var a *Activities
	var res ExportResult
	if err := workflow.ExecuteActivity(ctx, a.BuildExport, in).Get(ctx, &res); err != nil {
		return res, err
	}
	if err := workflow.Sleep(ctx, ExportTTL); err != nil {
		return res, err
	}
	return res, workflow.ExecuteActivity(ctx, a.ExpireExport, in.ExportID).Get(ctx, nil)
}
