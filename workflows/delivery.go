package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
)

// DeliveryWorkflowName is the registered name of DeliveryWorkflow.
const DeliveryWorkflowName = "DeliveryWorkflow"

// DeliveryWorkflowID is the id of the delivery of reply messageID; retry (0 for the first
// delivery) is the message's attempt count when it was sent again (POST /v1/messages/{id}/retry).
func DeliveryWorkflowID(messageID string, retry int) string {
	if retry == 0 {
		return "delivery:" + messageID
	}
	return fmt.Sprintf("delivery:%s:r%d", messageID, retry)
}

// DeliveryFirstInterval is the first wait between attempts to send a reply; it doubles per attempt.
const DeliveryFirstInterval = time.Second

// DeliveryMaxInterval caps the wait between attempts to send a reply.
const DeliveryMaxInterval = 15 * time.Minute

// deliveryMaxInterval is the backoff's cap for a retry period: DeliveryMaxInterval, or an
// eighth of a shorter period, so a short period still gets several attempts.
func deliveryMaxInterval(retryFor time.Duration) time.Duration {
	return max(DeliveryFirstInterval, min(DeliveryMaxInterval, retryFor/8))
}

// NewDelivery is the delivery of the stored reply of in, retried for retryFor from now.
func NewDelivery(in activities.ReplyInput, stored activities.ReplySent, now time.Time, retryFor time.Duration) activities.DeliveryInput {
	return in.Delivery(stored, now.Add(retryFor), DeliveryFirstInterval, deliveryMaxInterval(retryFor))
}

// deliveryOptions retry a reply's send with capped backoff until in.GiveUpAt, as a mail
// server retries a message: every temporary failure is retried; a refusal is not an error.
func deliveryOptions(ctx workflow.Context, in activities.DeliveryInput) workflow.ActivityOptions {
	within := max(in.GiveUpAt.Sub(workflow.Now(ctx)), 2*DeliveryFirstInterval)
	return workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		HeartbeatTimeout:       heartbeatTimeout,
		ScheduleToCloseTimeout: within,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: in.FirstInterval, BackoffCoefficient: 2, MaximumInterval: in.MaxInterval,
			NonRetryableErrorTypes: []string{activities.ErrTypeNotFound, activities.ErrTypeInvalid},
		},
	}
}

// DeliveryWorkflow sends one stored reply through its channel, durably: temporary failures are
// retried with capped backoff until the channel's retry period ends (the reply shows retrying,
// its next attempt and the last reason meanwhile), then the reply is failed with that reason; a
// refusal fails it at once with the channel's text. It runs beside its conversation (a child
// the conversation abandons), so a day of retries never holds the conversation up.
func DeliveryWorkflow(ctx workflow.Context, in activities.DeliveryInput) (activities.ReplySent, error) {
	var sent activities.ReplySent
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, deliveryOptions(ctx, in)), a.DeliverReply, in).Get(ctx, &sent)
	if err == nil {
		return sent, nil
	}
	var out activities.ReplySent
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	gerr := workflow.ExecuteActivity(ctx, a.GiveUpReply, activities.GiveUpInput{
		AccountID: in.AccountID, MessageID: in.MessageID, ChannelID: in.ChannelID, ChannelType: in.ChannelType,
		Reason: failureReason(err),
	}).Get(ctx, &out)
	if gerr != nil {
		return out, fmt.Errorf("mark the reply failed: %w", gerr)
	}
	return out, nil
}

// deliverReply stores the reply, then starts its DeliveryWorkflow beside the conversation and
// waits up to ReplyWait for its outcome; past that the reply answers as it stands (queued or
// retrying) and the delivery goes on without the conversation waiting on it.
func (c *conversation) deliverReply(ctx workflow.Context, in activities.ReplyInput) (ReplyResult, error) {
	var stored activities.ReplySent
	if err := workflow.ExecuteActivity(ctx, a.StoreReply, in).Get(ctx, &stored); err != nil {
		return ReplyResult{}, fmt.Errorf("store reply: %w", err)
	}
	res := ReplyResult{MessageID: stored.MessageID, Tag: stored.Tag, Status: stored.Status, FailureReason: stored.FailureReason}
	if stored.Status != domain.MessageQueued {
		return res, nil // suppressed, or settled by an earlier run
	}
	child, err := c.startDelivery(ctx, in, stored)
	if err != nil || child == nil {
		return res, err
	}
	return awaitDelivery(ctx, child, res)
}

// startDelivery starts the stored reply's DeliveryWorkflow, abandoned by the conversation;
// nil when an earlier run of the same update started it.
func (c *conversation) startDelivery(ctx workflow.Context, in activities.ReplyInput, stored activities.ReplySent) (workflow.ChildWorkflowFuture, error) {
	retryFor := stored.RetryFor
	if retryFor <= 0 {
		retryFor = 24 * time.Hour
	}
	d := NewDelivery(in, stored, workflow.Now(ctx), retryFor)
	child := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            DeliveryWorkflowID(stored.MessageID, 0),
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowRunTimeout:    retryFor + time.Hour,
		TypedSearchAttributes: temporal.NewSearchAttributes(AccountIDKey.ValueSet(c.in.AccountID), TicketIDKey.ValueSet(in.TicketID)),
	}), DeliveryWorkflowName, d)
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		var started *temporal.ChildWorkflowExecutionAlreadyStartedError
		if errors.As(err, &started) {
			return nil, nil
		}
		return nil, fmt.Errorf("start the reply's delivery: %w", err)
	}
	return child, nil
}

// awaitDelivery waits up to ReplyWait for the delivery's outcome; past that res answers as it stands.
func awaitDelivery(ctx workflow.Context, child workflow.Future, res ReplyResult) (ReplyResult, error) {
	var sent activities.ReplySent
	settled := false
	waitCtx, stopWait := workflow.WithCancel(ctx)
	workflow.NewSelector(ctx).
		AddFuture(child, func(f workflow.Future) { settled = f.Get(ctx, &sent) == nil }).
		AddFuture(workflow.NewTimer(waitCtx, ReplyWait), func(workflow.Future) {}).
		Select(ctx)
	stopWait()
	if !settled {
		return res, nil
	}
	if sent.OutsideWindow {
		// The provider's own window check: the reply is failed, and the agent is told as by the validator.
		return ReplyResult{}, temporal.NewApplicationError(sent.FailureReason, activities.ErrTypeOutsideWindow)
	}
	res.Status, res.FailureReason = sent.Status, sent.FailureReason
	return res, nil
}
