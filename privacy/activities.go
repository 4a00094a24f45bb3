package privacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/store"
)

// ErasureStore is what the erasure's steps need of the store (*store.Store is one).
type ErasureStore interface {
	PlanErasure(ctx context.Context, accountID, contactID, erasureID string) (store.ErasurePlan, error)
	ShredKeys(ctx context.Context, p store.ErasurePlan) ([]string, error)
	DeleteContactData(ctx context.Context, p store.ErasurePlan) (map[string]int64, error)
	FinishErasure(ctx context.Context, erasureID string, keys int) error
}

// ExportStore is what an export's steps ask of PostgreSQL.
type ExportStore interface {
	ExportContact(ctx context.Context, accountID, contactID string) (store.ExportData, error)
	FinishExport(ctx context.Context, id string, archive []byte, counts json.RawMessage, expires time.Time) (store.Export, error)
	ExpireExport(ctx context.Context, id string) error
}

// RetentionStore is what a retention run's steps ask of PostgreSQL.
type RetentionStore interface {
	RetentionAccounts(ctx context.Context) ([]string, error)
	NextRetention(ctx context.Context, accountID string, limit int) (store.RetentionCandidates, error)
	ApplyRetention(ctx context.Context, accountID, runID string, c store.RetentionCandidates) (store.RetentionApplied, error)
	FinishRetention(ctx context.Context, accountID, runID string) error
}

// Store is everything the privacy activities ask of PostgreSQL (*store.Store in production).
type Store interface {
	ErasureStore
	ExportStore
	RetentionStore
}

// Activities are the erasure's steps.
type Activities struct {
	Store    Store
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
func (a *Activities) PlanErasure(ctx context.Context, in EraseInput) (ErasurePlan, error) {
	defer activities.Heartbeating(ctx)()
	p, err := a.Store.PlanErasure(ctx, in.AccountID, in.ContactID, in.ErasureID)
	if err != nil {
		return ErasurePlan(p), err
	}
	return ErasurePlan(p), a.fault("plan")
}

// StopWorkflows terminates the contact's workflows (no cleanup code runs, so nothing is sent)
// and deletes them from Temporal, so their ids leave its visibility store; gone ones are skipped.
func (a *Activities) StopWorkflows(ctx context.Context, p ErasurePlan) error {
	defer activities.Heartbeating(ctx)()
	// A delivery under way when the plan stopped the contact's pending ones may still start
	// a workflow: wait it out, so that workflow is stopped here rather than outliving the erasure.
	if wait := time.Until(p.DeliveriesSettleAt); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("wait for deliveries under way: %w", ctx.Err())
		}
	}
	if err := a.stop(ctx, p.WorkflowIDs, "contact erased"); err != nil {
		return err
	}
	return a.fault("stop")
}

// stop terminates workflows and deletes them from Temporal; gone ones are skipped.
func (a *Activities) stop(ctx context.Context, ids []string, reason string) error {
	ns := activity.GetInfo(ctx).Namespace
	for i, id := range ids {
		activity.RecordHeartbeat(ctx, i)
		err := a.Temporal.TerminateWorkflow(ctx, id, "", reason)
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
	return nil
}

// ShredKeys erases the keys of the contact's workflows, here and in every keyring of this process.
func (a *Activities) ShredKeys(ctx context.Context, p ErasurePlan) (int, error) {
	defer activities.Heartbeating(ctx)()
	ids, err := a.Store.ShredKeys(ctx, store.ErasurePlan(p))
	if err != nil {
		return 0, err
	}
	forgetEverywhere(ids)
	return len(ids), a.fault("shred")
}

// DeleteContactData deletes the contact's rows in PostgreSQL in one transaction.
func (a *Activities) DeleteContactData(ctx context.Context, p ErasurePlan) (map[string]int64, error) {
	defer activities.Heartbeating(ctx)()
	counts, err := a.Store.DeleteContactData(ctx, store.ErasurePlan(p))
	if err != nil {
		return nil, err
	}
	return counts, a.fault("delete")
}

// FinishErasure marks the erasure completed.
func (a *Activities) FinishErasure(ctx context.Context, erasureID string, keys int) error {
	defer activities.Heartbeating(ctx)()
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
