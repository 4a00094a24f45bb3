package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/sla"
	"github.com/routedesk/routedesk/sla/slatest"
)

// ticketInput is a ticket's own workflow (no channel), which starts the SLA clocks as it loads the ticket.
var ticketInput = ConversationInput{AccountID: "acc_1", TicketID: "tkt_1", IdleTimeout: 60 * 24 * time.Hour}

// fired is an escalation the workflow asked for, at the test environment's time.
type fired struct {
	kind, target string
	at, due      time.Time
}

// slaEnv runs a ticket's workflow from start under policy; escalations are appended to got. The choice
// answers the ticket's status as *status says (open until a test changes it).
func slaEnv(t *testing.T, start time.Time, policy sla.Policy, got *[]fired, status *string) *testsuite.TestWorkflowEnvironment {
	env := newBareEnv(t)
	env.SetStartTime(start)
	env.OnActivity(a.LoadTicket, mock.Anything, mock.Anything).Return(activities.TicketCreated{TicketID: "tkt_1",
		Status: domain.TicketStatusOpen, RoutingState: domain.RoutingAssigned, AssigneeID: "usr_1"}, nil).Maybe()
	open := domain.TicketStatusOpen
	if status == nil {
		status = &open
	}
	env.OnActivity(a.ChooseSLA, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.TicketRef) (activities.SLAChoice, error) {
		return activities.SLAChoice{Policy: &policy, Status: *status}, nil
	}).Maybe() // a continued run chooses nothing: it re-arms from its state

	env.OnActivity(a.ShowSLA, mock.Anything, mock.Anything).Return(nil).Maybe()
	env.OnActivity(a.EscalateSLA, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.EscalateInput) (activities.Escalated, error) {
			*got = append(*got, fired{kind: in.Kind, target: in.Target, at: env.Now(), due: in.DueAt})
			return activities.Escalated{}, nil
		})
	return env
}

// TestSLATimersFireAtTheTableDeadlines runs the exactness table's rows that have a deadline and no pause
// through the workflow under time skipping: the breach timer that fires, fires at the row's deadline,
// once, after the warning at 80 % of the target.
func TestSLATimersFireAtTheTableDeadlines(t *testing.T) {
	for _, tc := range slatest.Table {
		if tc.Want == "" || len(tc.Pauses) > 0 || tc.Target%time.Minute != 0 {
			continue
		}
		t.Run(tc.Name, func(t *testing.T) {
			start, _ := time.Parse(time.RFC3339, tc.Start)
			want, _ := time.Parse(time.RFC3339, tc.Want)
			policy := sla.Policy{ID: "sla_1", Targets: sla.Targets{Resolution: int(tc.Target / time.Minute)},
				Calendar: tc.Calendar, BusinessHoursOnly: tc.Business, OnBreach: []sla.Action{{Type: sla.ActionNotifyAssignee}}}
			var got []fired
			env := slaEnv(t, start, policy, &got, nil)
			env.ExecuteWorkflow(ConversationWorkflow, ticketInput)
			require.NoError(t, env.GetWorkflowError())
			require.Len(t, got, 2, "%+v", got)
			require.Equal(t, "warning", got[0].kind)
			require.Equal(t, "breach", got[1].kind)
			require.Equal(t, targetResolution, got[1].target)
			require.True(t, got[1].at.Equal(want), "the breach fired at %s, want %s", got[1].at, want)
			require.True(t, got[1].due.Equal(want))
			require.True(t, got[0].at.Before(want))
		})
	}
}

// TestSLAFirstResponseInTimeIsAchievedAndPendingPauses: the agent answers before the first-response
// deadline (achieved, no breach); the ticket then goes pending at 2 h, which pauses the resolution clock
// before its warning.
func TestSLAFirstResponseInTimeIsAchievedAndPendingPauses(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC) // a Monday
	policy := sla.Policy{ID: "sla_1", Targets: sla.Targets{FirstResponse: 60, Resolution: 240}, PauseOnPending: true}
	var got []fired
	status := domain.TicketStatusOpen
	env := oneShotReplies(slaEnv(t, start, policy, &got, &status))
	env.OnActivity(a.StoreReply, mock.Anything, mock.Anything).Return(activities.ReplySent{MessageID: "msg_r", Status: domain.MessageSent}, nil)
	env.OnActivity(a.ChangeTicket, mock.Anything, mock.Anything).Return(activities.ChangeResult{Status: domain.TicketStatusPending,
		State: domain.RoutingAssigned, AssigneeID: "usr_1"}, nil)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateReply, "r1", &testsuite.TestUpdateCallback{OnReject: func(err error) { t.Error(err) }, OnAccept: func() {}, OnComplete: func(any, error) {}},
			ReplyRequest{Text: "hello"})
	}, 30*time.Minute)
	// The status change makes ChooseSLA answer pending from then on.
	env.RegisterDelayedCallback(func() {
		status = domain.TicketStatusPending
		env.UpdateWorkflow(UpdateChange, "c1", &testsuite.TestUpdateCallback{OnReject: func(err error) { t.Error(err) }, OnAccept: func() {}, OnComplete: func(any, error) {}},
			ChangeRequest{Status: &status})
	}, 2*time.Hour)
	var mid ConversationState
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&mid))
	}, 10*time.Hour)
	env.ExecuteWorkflow(ConversationWorkflow, ConversationInput{AccountID: "acc_1", ChannelID: "ch_1", ChannelType: "chat",
		ConversationID: "conv_1", TicketID: "tkt_1", IdleTimeout: 60 * 24 * time.Hour})
	require.NoError(t, env.GetWorkflowError())
	kinds := []string{}
	for _, f := range got {
		kinds = append(kinds, f.kind+":"+f.target)
	}
	require.Equal(t, []string{"achieved:first_response"}, kinds, "pending from 2 h on: the resolution warning (3 h 12 min) and breach (4 h) never come")
	require.NotNil(t, mid.SLA)
	require.True(t, mid.SLA.FirstResponded)
	require.Len(t, mid.SLA.Pauses, 1)
	require.True(t, mid.SLA.Pauses[0].To.IsZero(), "still pending")
	require.Nil(t, mid.SLA.DueAt, "no deadline while paused")
}

// TestSLADeadlineSurvivesContinueAsNew: a run that continues as new carries its state (endOrContinue);
// a run started from the state as it was after the warning re-arms the breach from it alone and fires
// it exactly at the deadline, once.
func TestSLADeadlineSurvivesContinueAsNew(t *testing.T) {
	start := time.Date(2026, 12, 4, 15, 30, 0, 0, time.UTC) // Friday 16:30 in Stockholm
	policy := sla.Policy{ID: "sla_1", Targets: sla.Targets{FirstResponse: 60}, Calendar: slatest.Weekdays, BusinessHoursOnly: true}
	var got []fired
	env := slaEnv(t, start, policy, &got, nil)
	var carried ConversationState
	var at time.Time
	env.RegisterDelayedCallback(func() { // Monday 09:20 in Stockholm: the warning (09:18) fired, the breach (09:30) not
		v, err := env.QueryWorkflow(QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&carried))
		at = env.Now()
	}, 64*time.Hour+50*time.Minute)
	env.ExecuteWorkflow(ConversationWorkflow, ticketInput)
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, got, 2)
	require.NotNil(t, carried.SLA)
	require.Equal(t, []string{"first_response:warning"}, carried.SLA.Fired)

	var after []fired
	env2 := slaEnv(t, at, policy, &after, nil)
	next := ticketInput
	next.State = &carried
	env2.ExecuteWorkflow(ConversationWorkflow, next)
	require.NoError(t, env2.GetWorkflowError())
	require.Len(t, after, 1, "%+v", after)
	require.Equal(t, "breach", after[0].kind)
	require.Equal(t, "2026-12-07T08:30:00Z", after[0].at.UTC().Format(time.RFC3339), "Monday 09:30 in Stockholm")
	require.True(t, got[1].at.Equal(after[0].at), "the same instant as the uninterrupted run's breach")
}

// TestSLARecheckSignalChoosesThePolicyAgain: a priority change (the server's sla-recheck signal) makes the
// workflow choose again; the stricter policy's clock counts from the ticket's start, so its breach is at once.
func TestSLARecheckSignalChoosesThePolicyAgain(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	var got []fired
	env := newBareEnv(t)
	env.SetStartTime(start)
	env.OnActivity(a.LoadTicket, mock.Anything, mock.Anything).Return(activities.TicketCreated{TicketID: "tkt_1",
		Status: domain.TicketStatusOpen, RoutingState: domain.RoutingAssigned, AssigneeID: "usr_1"}, nil)
	normal := sla.Policy{ID: "sla_normal", Targets: sla.Targets{FirstResponse: 8 * 60}}
	urgent := sla.Policy{ID: "sla_urgent", Targets: sla.Targets{FirstResponse: 60}}
	chosen := &normal
	env.OnActivity(a.ChooseSLA, mock.Anything, mock.Anything).Return(func(_ context.Context, _ activities.TicketRef) (activities.SLAChoice, error) {
		return activities.SLAChoice{Policy: chosen, Status: domain.TicketStatusOpen}, nil
	}).Times(2)
	env.OnActivity(a.ShowSLA, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(a.EscalateSLA, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.EscalateInput) (activities.Escalated, error) {
			got = append(got, fired{kind: in.Kind, target: in.Target, at: env.Now(), due: in.DueAt})
			return activities.Escalated{}, nil
		})
	env.RegisterDelayedCallback(func() {
		chosen = &urgent
		env.SignalWorkflow(SignalSLARecheck, nil)
	}, 2*time.Hour)
	env.ExecuteWorkflow(ConversationWorkflow, ticketInput)
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, got, 2, "%+v", got)
	require.Equal(t, "warning", got[0].kind)
	require.Equal(t, "breach", got[1].kind)
	require.WithinDuration(t, start.Add(2*time.Hour), got[1].at, time.Second, "both fire as the policy changes (due 10:00, now 11:00)")
	require.True(t, got[1].due.Equal(start.Add(time.Hour)))
}
