package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// besideTask is work running beside the conversation (a notification, a
// courtesy message, a reply's send): the conversation goes on without it and
// settles it before it ends or continues as new.
type besideTask struct {
	what   string
	future workflow.Future
}

// beside runs fn in a coroutine of its own and returns its outcome as a future.
func (c *conversation) beside(ctx workflow.Context, what string, fn func(workflow.Context) error) workflow.Future {
	f, set := workflow.NewFuture(ctx)
	c.pending = append(c.pending, besideTask{what: what, future: f})
	workflow.Go(ctx, func(ctx workflow.Context) { set.Set(nil, fn(ctx)) })
	return f
}

// busyBeside reports whether work beside the conversation is still running: it postpones continue-as-new.
func (c *conversation) busyBeside() bool {
	for _, t := range c.pending {
		if !t.future.IsReady() {
			return true
		}
	}
	return false
}

// settle waits for the work running beside the conversation and for running
// updates, before the workflow ends or continues as new.
func (c *conversation) settle(ctx workflow.Context) error {
	for {
		for len(c.pending) > 0 {
			t := c.pending[0]
			c.pending = c.pending[1:]
			if err := t.future.Get(ctx, nil); err != nil {
				workflow.GetLogger(ctx).Warn("work beside the conversation failed", "what", t.what, "error", err)
			}
		}
		if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
			return err
		}
		if len(c.pending) == 0 { // a handler that finished meanwhile may have left a send running
			return nil
		}
	}
}

// failureReason is what a failed activity says went wrong, for the record.
func failureReason(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "no answer in time (" + timeout.TimeoutType().String() + ")"
	}
	return err.Error()
}
