package workflows

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

// surveyLog records what a conversation did with its ticket's survey, at workflow time.
type surveyLog struct {
	mu        sync.Mutex
	solvedAt  time.Time
	invitedAt []time.Time
	delivered []string
	cancelled []string
}

// surveyEnv is an assigned conversation whose agent solves the ticket at 2 s; ScheduleCSAT answers due
// after delay (0: the account sends no surveys). The solved window closes the ticket after 3 hours.
func surveyEnv(t *testing.T, delay time.Duration) (*testsuite.TestWorkflowEnvironment, *surveyLog) {
	env := newSurveyEnv(t)
	env.OnActivity(a.ChooseSLA, mock.Anything, mock.Anything).Return(activities.SLAChoice{}, nil).Maybe()
	openedTicket(env, activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_1"})
	log := &surveyLog{}
	env.OnActivity(a.ChangeTicket, mock.Anything, mock.Anything).Return(func(context.Context, activities.ChangeInput) (activities.ChangeResult, error) {
		log.mu.Lock()
		defer log.mu.Unlock()
		log.solvedAt = env.Now()
		closeAt := env.Now().Add(3 * time.Hour)
		return activities.ChangeResult{Status: domain.TicketStatusSolved, AssigneeID: "usr_1", State: domain.RoutingAssigned, CloseAt: &closeAt}, nil
	}).Once()
	env.OnActivity(a.ScheduleCSAT, mock.Anything, activities.TicketRef{AccountID: "acc_1", TicketID: "tkt_1"}).Return(
		func(context.Context, activities.TicketRef) (activities.CSATScheduled, error) {
			if delay == 0 {
				return activities.CSATScheduled{}, nil
			}
			due := env.Now().Add(delay)
			return activities.CSATScheduled{DueAt: &due}, nil
		}).Once()
	env.OnActivity(a.InviteCSAT, mock.Anything, activities.TicketRef{AccountID: "acc_1", TicketID: "tkt_1"}).Return(
		func(context.Context, activities.TicketRef) (activities.CSATInvitation, error) {
			log.mu.Lock()
			defer log.mu.Unlock()
			log.invitedAt = append(log.invitedAt, env.Now())
			return activities.CSATInvitation{RetryFor: time.Hour, Delivery: &activities.DeliveryInput{AccountID: "acc_1", MessageID: "msg_csat",
				ChannelID: "ch_1", ChannelType: "chat", ConversationID: "conv_1", TicketID: "tkt_1"}}, nil
		}).Maybe()
	env.OnActivity(a.DeliverReply, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.DeliveryInput) (activities.ReplySent, error) {
		log.mu.Lock()
		defer log.mu.Unlock()
		log.delivered = append(log.delivered, in.MessageID)
		return activities.ReplySent{MessageID: in.MessageID, Status: domain.MessageSent}, nil
	}).Maybe()
	env.OnActivity(a.CancelCSAT, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.CSATCancel) error {
		log.mu.Lock()
		defer log.mu.Unlock()
		log.cancelled = append(log.cancelled, in.Reason)
		return nil
	}).Maybe()
	env.OnActivity(a.CloseSolved, mock.Anything, mock.Anything).Return(domain.TicketStatusClosed, nil).Maybe()
	signalAt(env, time.Second, "msg_1")
	solved := domain.TicketStatusSolved
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateChange, "c1", &testsuite.TestUpdateCallback{OnReject: func(err error) { t.Error(err) }, OnAccept: func() {},
			OnComplete: func(_ any, err error) { require.NoError(t, err) }}, ChangeRequest{Status: &solved})
	}, 2*time.Second)
	return env, log
}

// TestCSATInvitationGoesOutAfterDelay: the survey's invitation is stored once the account's delay after
// the solve is over, on the workflow's durable timer with nothing else happening, and its own delivery sends it.
func TestCSATInvitationGoesOutAfterDelay(t *testing.T) {
	env, log := surveyEnv(t, time.Hour)
	var waiting ConversationState
	queryState(t, env, 30*time.Minute, &waiting)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
	require.NotNil(t, waiting.CSATAt, "the survey's due time is in the state (carried over by continue-as-new)")
	require.Len(t, log.invitedAt, 1)
	require.Equal(t, time.Hour, log.invitedAt[0].Sub(log.solvedAt), "the invitation is due the delay after the solve")
	require.Equal(t, []string{"msg_csat"}, log.delivered, "the invitation is sent by its DeliveryWorkflow")
	require.Empty(t, log.cancelled)
}

// TestCSATCancelledByCustomerMessage: the customer writes before the delay is over: the ticket reopens,
// the survey is cancelled with the reason, and no invitation goes out.
func TestCSATCancelledByCustomerMessage(t *testing.T) {
	env, log := surveyEnv(t, time.Hour)
	env.OnActivity(a.ReopenOnMessage, mock.Anything, mock.Anything).Return(
		activities.Reopened{Status: domain.TicketStatusOpen, Reroute: true, PreviousAssignee: "usr_1"}, nil).Once()
	env.OnActivity(a.Route, mock.Anything, mock.Anything).Return(activities.RouteResult{State: domain.RoutingAssigned, UserID: "usr_1"}, nil).Once()
	signalAt(env, 20*time.Minute, "msg_2")
	var after ConversationState
	queryState(t, env, 21*time.Minute, &after)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
	require.Empty(t, log.invitedAt, "no invitation after a reopen")
	require.Equal(t, []string{"the ticket was open before the invitation went out"}, log.cancelled)
	require.Nil(t, after.CSATAt)
	require.Equal(t, domain.TicketStatusOpen, after.Status)
}

// TestCSATNotSentWhenOff: an account that sends no surveys schedules none: no timer, no invitation.
func TestCSATNotSentWhenOff(t *testing.T) {
	env, log := surveyEnv(t, 0)
	var solved ConversationState
	queryState(t, env, time.Minute, &solved)
	env.ExecuteWorkflow(ConversationWorkflow, input)
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, domain.TicketStatusSolved, solved.Status)
	require.Nil(t, solved.CSATAt)
	require.Empty(t, log.invitedAt)
	require.Empty(t, log.cancelled)
}
