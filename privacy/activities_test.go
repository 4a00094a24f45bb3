package privacy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/testsuite"
	"google.golang.org/grpc"

	"github.com/routedesk/routedesk/privacy"
	"github.com/routedesk/routedesk/store"
)

// fakeTemporal is the part of a Temporal client StopWorkflows uses: it records what it terminates
// and deletes, and answers each workflow id as gone, refused or done.
type fakeTemporal struct {
	client.Client
	gone       map[string]bool
	down       error
	terminated []string
	deleted    []string
	at         time.Time // of the last termination
}

func (f *fakeTemporal) TerminateWorkflow(_ context.Context, id, _, _ string, _ ...any) error {
	if f.down != nil {
		return f.down
	}
	if f.gone[id] {
		return serviceerror.NewNotFound("workflow not found")
	}
	f.terminated, f.at = append(f.terminated, id), time.Now()
	return nil
}

func (f *fakeTemporal) WorkflowService() workflowservice.WorkflowServiceClient {
	return fakeService{f: f}
}

// fakeService is the workflow service of a fakeTemporal: it deletes workflows.
type fakeService struct {
	workflowservice.WorkflowServiceClient
	f *fakeTemporal
}

func (s fakeService) DeleteWorkflowExecution(_ context.Context, in *workflowservice.DeleteWorkflowExecutionRequest, _ ...grpc.CallOption) (*workflowservice.DeleteWorkflowExecutionResponse, error) {
	id := in.GetWorkflowExecution().GetWorkflowId()
	if s.f.gone[id] {
		return nil, serviceerror.NewNotFound("workflow not found")
	}
	s.f.deleted = append(s.f.deleted, id)
	return &workflowservice.DeleteWorkflowExecutionResponse{}, nil
}

// stopWorkflows runs the StopWorkflows activity in the SDK's activity test environment (no
// PostgreSQL, no Temporal server).
func stopWorkflows(t *testing.T, acts *privacy.Activities, plan privacy.ErasurePlan) error {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	_, err := env.ExecuteActivity(acts.StopWorkflows, plan)
	return err
}

// TestStopWorkflowsTerminatesAndDeletesEachSkippingGoneOnes: every workflow of the plan is terminated
// and deleted from Temporal; one already gone (an earlier attempt got to it) is skipped, not an error.
func TestStopWorkflowsTerminatesAndDeletesEachSkippingGoneOnes(t *testing.T) {
	tc := &fakeTemporal{gone: map[string]bool{"conv:ch_1:gone": true}}
	err := stopWorkflows(t, &privacy.Activities{Temporal: tc}, privacy.ErasurePlan{
		AccountID: "acc_1", ContactID: "ct_1", WorkflowIDs: []string{"conv:ch_1:a", "conv:ch_1:gone", "ticket:tkt_1"}})
	require.NoError(t, err)
	require.Equal(t, []string{"conv:ch_1:a", "ticket:tkt_1"}, tc.terminated)
	require.Equal(t, []string{"conv:ch_1:a", "ticket:tkt_1"}, tc.deleted)
}

// TestStopWorkflowsWaitsOutDeliveriesUnderWay: a delivery under way when the plan stopped the
// contact's pending ones may still start a workflow; StopWorkflows terminates only after it has ended.
func TestStopWorkflowsWaitsOutDeliveriesUnderWay(t *testing.T) {
	tc := &fakeTemporal{}
	settle := time.Now().Add(400 * time.Millisecond)
	err := stopWorkflows(t, &privacy.Activities{Temporal: tc}, privacy.ErasurePlan{
		WorkflowIDs: []string{"conv:ch_1:a"}, DeliveriesSettleAt: settle})
	require.NoError(t, err)
	require.Equal(t, []string{"conv:ch_1:a"}, tc.terminated)
	require.False(t, tc.at.Before(settle), "terminated at %s, before the deliveries settled at %s", tc.at, settle)
}

// TestStopWorkflowsFailsForARetryWhenTemporalIsDown: an error other than "not found" fails the
// attempt (the workflow retries it) and names the workflow; a fault after the work fails it too.
func TestStopWorkflowsFailsForARetryWhenTemporalIsDown(t *testing.T) {
	tc := &fakeTemporal{down: errors.New("connection refused")}
	err := stopWorkflows(t, &privacy.Activities{Temporal: tc}, privacy.ErasurePlan{WorkflowIDs: []string{"conv:ch_1:a"}})
	require.ErrorContains(t, err, "terminate workflow conv:ch_1:a: connection refused")
	require.Empty(t, tc.deleted)

	crash := errors.New("crashed before recording")
	err = stopWorkflows(t, &privacy.Activities{Temporal: &fakeTemporal{}, Fault: func(step string) error {
		require.Equal(t, "stop", step)
		return crash
	}}, privacy.ErasurePlan{WorkflowIDs: []string{"conv:ch_1:a"}})
	require.ErrorContains(t, err, crash.Error())
}

// fakeStore is the erasure's store: it plans what it was given and records what it was asked.
type fakeStore struct {
	privacy.Store // exports and retention: not used by these tests
	plan          store.ErasurePlan
	deleted       []store.ErasurePlan
	finished      map[string]int
}

func (f *fakeStore) PlanErasure(_ context.Context, accountID, contactID, erasureID string) (store.ErasurePlan, error) {
	p := f.plan
	p.AccountID, p.ContactID, p.ErasureID = accountID, contactID, erasureID
	return p, nil
}

func (f *fakeStore) ShredKeys(context.Context, store.ErasurePlan) ([]string, error) { return nil, nil }

func (f *fakeStore) DeleteContactData(_ context.Context, p store.ErasurePlan) (map[string]int64, error) {
	f.deleted = append(f.deleted, p)
	return map[string]int64{"tickets": int64(len(p.TicketIDs))}, nil
}

func (f *fakeStore) FinishErasure(_ context.Context, erasureID string, keys int) error {
	f.finished[erasureID] = keys
	return nil
}

// TestErasureStepsCarryThePlanAsTheContractType: PlanErasure answers the store's plan as
// privacy.ErasurePlan (what the workflow's history keeps), DeleteContactData hands it back to the
// store unchanged, and FinishErasure records the key count; each in the SDK's activity environment.
func TestErasureStepsCarryThePlanAsTheContractType(t *testing.T) {
	st := &fakeStore{plan: store.ErasurePlan{TicketIDs: []string{"tkt_1", "tkt_2"}, ConversationIDs: []string{"cv_1"},
		WorkflowIDs: []string{"conv:ch_1:a"}}, finished: map[string]int{}}
	acts := &privacy.Activities{Store: st}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)

	v, err := env.ExecuteActivity(acts.PlanErasure, privacy.EraseInput{AccountID: "acc_1", ContactID: "ct_1", ErasureID: "er_1"})
	require.NoError(t, err)
	var plan privacy.ErasurePlan
	require.NoError(t, v.Get(&plan))
	require.Equal(t, privacy.ErasurePlan{AccountID: "acc_1", ContactID: "ct_1", ErasureID: "er_1", TicketIDs: []string{"tkt_1", "tkt_2"},
		ConversationIDs: []string{"cv_1"}, WorkflowIDs: []string{"conv:ch_1:a"}}, plan)

	v, err = env.ExecuteActivity(acts.DeleteContactData, plan)
	require.NoError(t, err)
	var counts map[string]int64
	require.NoError(t, v.Get(&counts))
	require.Equal(t, map[string]int64{"tickets": 2}, counts)
	require.Equal(t, []store.ErasurePlan{store.ErasurePlan(plan)}, st.deleted)

	_, err = env.ExecuteActivity(acts.FinishErasure, "er_1", 3)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"er_1": 3}, st.finished)
}
