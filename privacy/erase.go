package privacy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/store"
)

// EraseWorkflowName is the registered name of EraseWorkflow.
const EraseWorkflowName = "EraseContactWorkflow"

// EraseWorkflowID is the workflow id of a contact's erasure: one per contact, whoever asks again.
func EraseWorkflowID(accountID, contactID string) string {
	return "erase:" + accountID + ":" + contactID
}

// EraseInput names the contact to erase and its erasure record, by opaque ids only.
type EraseInput struct {
	AccountID string `json:"account_id"`
	ContactID string `json:"contact_id"`
	ErasureID string `json:"erasure_id"`
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
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		// An erasure is owed: it retries until PostgreSQL and Temporal answer; its state stays running meanwhile.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute},
	})
	var a *Activities
	var res EraseResult
	var plan store.ErasurePlan
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

// Activities are the erasure's steps.
type Activities struct {
	Store    *store.Store
	Temporal client.Client
	// Fault, when set (tests), is called after a step's work is done and before it returns:
	// an error then stands for a crash between the work and its record in the history.
	Fault func(step string) error
}

func (a *Activities) fault(step string) error {
	if a.Fault == nil {
		return nil
	}
	return a.Fault(step)
}

// PlanErasure lists the contact's tickets, conversations and workflows.
func (a *Activities) PlanErasure(ctx context.Context, in EraseInput) (store.ErasurePlan, error) {
	p, err := a.Store.PlanErasure(ctx, in.AccountID, in.ContactID, in.ErasureID)
	if err != nil {
		return p, err
	}
	return p, a.fault("plan")
}

// StopWorkflows terminates the contact's workflows (no cleanup code runs, so nothing is sent)
// and deletes them from Temporal, so their ids leave its visibility store; gone ones are skipped.
func (a *Activities) StopWorkflows(ctx context.Context, p store.ErasurePlan) error {
	ns := activity.GetInfo(ctx).Namespace
	for i, id := range p.WorkflowIDs {
		activity.RecordHeartbeat(ctx, i)
		err := a.Temporal.TerminateWorkflow(ctx, id, "", "contact erased")
		var notFound *serviceerror.NotFound
		if err != nil && !errors.As(err, &notFound) {
			return fmt.Errorf("terminate workflow %s: %w", id, err)
		}
		_, err = a.Temporal.WorkflowService().DeleteWorkflowExecution(ctx, &workflowservice.DeleteWorkflowExecutionRequest{
			Namespace: ns, WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: id},
		})
		if err != nil && !errors.As(err, &notFound) {
			return fmt.Errorf("delete workflow %s: %w", id, err)
		}
	}
	return a.fault("stop")
}

// ShredKeys erases the keys of the contact's workflows, here and in every keyring of this process.
func (a *Activities) ShredKeys(ctx context.Context, p store.ErasurePlan) (int, error) {
	ids, err := a.Store.ShredKeys(ctx, p)
	if err != nil {
		return 0, err
	}
	forgetEverywhere(ids)
	return len(ids), a.fault("shred")
}

// DeleteContactData deletes the contact's rows in PostgreSQL in one transaction.
func (a *Activities) DeleteContactData(ctx context.Context, p store.ErasurePlan) (map[string]int64, error) {
	counts, err := a.Store.DeleteContactData(ctx, p)
	if err != nil {
		return nil, err
	}
	return counts, a.fault("delete")
}

// FinishErasure marks the erasure completed.
func (a *Activities) FinishErasure(ctx context.Context, erasureID string, keys int) error {
	return a.Store.FinishErasure(ctx, erasureID, keys)
}

// keyrings are this process's keyrings, which an erasure tells to forget the keys it shredded.
var keyrings struct {
	sync.Mutex
	all []*Keyring
}

func register(k *Keyring) {
	keyrings.Lock()
	defer keyrings.Unlock()
	keyrings.all = append(keyrings.all, k)
}

func forgetEverywhere(ids []string) {
	keyrings.Lock()
	defer keyrings.Unlock()
	for _, k := range keyrings.all {
		k.Forget(ids...)
	}
}
