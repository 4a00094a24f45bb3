package privacy

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/workflows"
)

// EraseWorkflowName is the registered name of EraseWorkflow.
const EraseWorkflowName = "EraseContactWorkflow"

// EraseWorkflowID is the workflow id of a contact's erasure: one per contact, whoever asks again.
func EraseWorkflowID(accountID, contactID string) string {
	return "erase:" + accountID + ":" + contactID
}

// eraseHeartbeatTimeout is how soon a step whose worker went silent (a crash) is retried; the
// steps heartbeat every activities.HeartbeatEvery while they work.
const eraseHeartbeatTimeout = 10 * time.Second

// EraseInput names the contact to erase and its erasure record, by opaque ids only.
type EraseInput struct {
	AccountID string `json:"account_id"`
	ContactID string `json:"contact_id"`
	ErasureID string `json:"erasure_id"`
}

// ErasurePlan is what erasing a contact reaches, by opaque ids only, as kept in the erasure
// workflow's history: the contact's tickets, their conversations and every Temporal workflow
// holding the contact's data. It is the workflow's contract, apart from store.ErasurePlan (same
// fields), so a store change cannot break replay; its JSON names are recorded and never change.
type ErasurePlan struct {
	AccountID       string   `json:"account_id"`
	ContactID       string   `json:"contact_id"`
	ErasureID       string   `json:"erasure_id"`
	TicketIDs       []string `json:"ticket_ids"`
	ConversationIDs []string `json:"conversation_ids"`
	WorkflowIDs     []string `json:"workflow_ids"`
	// VisitorIDs are the contact's chat visitors (their name and emails go with them).
	VisitorIDs []string `json:"visitor_ids,omitempty"`
	// DeliveriesSettleAt is when a delivery attempt in flight at planning time (a request's
	// own, or a redrive claim) has certainly ended; zero when no delivery was pending.
	DeliveriesSettleAt time.Time `json:"deliveries_settle_at,omitzero"`
}

// EraseResult is what an erasure removed, row counts by kind (no personal data).
type EraseResult struct {
	Counts map[string]int64 `json:"counts"`
	Keys   int              `json:"keys"`
}

// EraseWorkflow erases a contact, each step an idempotent activity retried until it succeeds:
// plan (the ids it reaches, kept in this history), stop and delete the contact's workflows
// in Temporal (terminated: no code of theirs runs, so nothing is sent), shred their keys,
// delete the contact's rows in PostgreSQL, then mark the audit record completed.
func EraseWorkflow(ctx workflow.Context, in EraseInput) (EraseResult, error) {
	opts := workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		// An erasure is owed: it retries until PostgreSQL and Temporal answer; its state stays running meanwhile.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	}
	if workflow.GetVersion(ctx, workflows.ChangeEraseHeartbeat, workflow.DefaultVersion, 1) == 1 {
		opts.HeartbeatTimeout = eraseHeartbeatTimeout
	}
	ctx = workflow.WithActivityOptions(ctx, opts)
	var a *Activities
	var res EraseResult
	var plan ErasurePlan
	if err := workflow.ExecuteActivity(ctx, a.PlanErasure, in).Get(ctx, &plan); err != nil {
		return res, err
	}
	if err := workflow.ExecuteActivity(ctx, a.StopWorkflows, plan).Get(ctx, nil); err != nil {
		return res, err
	}
	if err := workflow.ExecuteActivity(ctx, a.ShredKeys, plan).Get(ctx, &res.Keys); err != nil {
		return res, err
	}
	if err := workflow.ExecuteActivity(ctx, a.DeleteContactData, plan).Get(ctx, &res.Counts); err != nil {
		return res, err
	}
	err := workflow.ExecuteActivity(ctx, a.FinishErasure, in.ErasureID, res.Keys).Get(ctx, nil)
	return res, err
}
