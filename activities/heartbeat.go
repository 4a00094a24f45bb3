package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// HeartbeatEvery is how often a long activity (a send to a channel or an
// email) heartbeats. The workflows give such activities a heartbeat timeout
// a few times longer, so an attempt on a worker that died is retried
// elsewhere within seconds rather than after its whole start-to-close timeout.
const HeartbeatEvery = time.Second

// SendTimeout bounds each outbound HTTP call to a channel (custom webhook, Graph API).
const SendTimeout = 10 * time.Second

// withHeartbeat runs fn, heartbeating every HeartbeatEvery while it runs.
// Outside an activity (a plain call in a test) it just runs fn.
func withHeartbeat[T any](ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	var out T
	err := HeartbeatWhile(ctx, func() (err error) { out, err = fn(ctx); return err })
	return out, err
}

// HeartbeatWhile runs fn, recording a heartbeat with details every HeartbeatEvery until fn returns (none after);
// outside an activity it just runs fn.
func HeartbeatWhile(ctx context.Context, fn func() error, details ...any) error {
	stop := Heartbeating(ctx, details...)
	err := fn()
	stop()
	return err
}

// Heartbeating records a heartbeat with details every HeartbeatEvery until stop is called (none
// after stop returns): `defer activities.Heartbeating(ctx)()` keeps a long step alive, and lets it be
// retried soon after its worker dies. Outside an activity it does nothing.
func Heartbeating(ctx context.Context, details ...any) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(HeartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx, details...)
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}
