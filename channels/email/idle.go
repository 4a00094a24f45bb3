package email

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// idle waits with IDLE until new mail is announced, PollInterval passes or ctx is done.
func (p *Poller) idle(ctx context.Context, c *imapclient.Client) error {
	// A NOOP first collects the EXISTS of mail that arrived during the sync:
	// IDLE reports only what arrives after it starts.
	if err := p.bounded(ctx, c, func() error { return c.Noop().Wait() }); err != nil {
		return fmt.Errorf("imap noop: %w", err)
	}
	var cmd *imapclient.IdleCommand
	if err := p.bounded(ctx, c, func() (err error) { cmd, err = c.Idle(); return err }); err != nil {
		return fmt.Errorf("imap idle: %w", err)
	}
	waitErr := p.wait(ctx, c.Closed(), p.idleFor())
	if errors.Is(waitErr, errIdleDropped) {
		return waitErr // nothing to end: the server has gone
	}
	if err := p.bounded(ctx, c, func() error {
		if err := cmd.Close(); err != nil {
			return err
		}
		return cmd.Wait()
	}); err != nil {
		return fmt.Errorf("imap idle done: %w", err)
	}
	return waitErr
}

// idleFor is how long the next IDLE may last: PollInterval, at most maxIdle, and no longer than the
// session's access token lives (servers may drop a session whose token expired).
func (p *Poller) idleFor() time.Duration {
	d := min(p.s.PollInterval, maxIdle)
	if !p.tokenExpiry.IsZero() {
		d = max(min(d, time.Until(p.tokenExpiry)), 0)
	}
	return d
}

// errTokenExpired ends a session whose access token expired, so the next one logs in with a fresh token.
var errTokenExpired = errors.New("imap session's access token expired; logging in again")

// maxIdle is how long one IDLE lasts before it is renewed: RFC 2177 asks
// clients to re-issue IDLE at least every 29 minutes, before servers drop it.
const maxIdle = 29 * time.Minute

// errIdleDropped reports a connection the server closed while the poller was idling.
var errIdleDropped = errors.New("imap connection closed during IDLE")

// sleep waits for PollInterval, a new-mail announcement or the end of ctx.
func (p *Poller) sleep(ctx context.Context) error {
	d := p.s.PollInterval
	if !p.tokenExpiry.IsZero() {
		d = max(min(d, time.Until(p.tokenExpiry)), 0)
	}
	return p.wait(ctx, nil, d)
}

// wait waits for d, a new-mail announcement, closed (a dropped connection) or the end of ctx.
func (p *Poller) wait(ctx context.Context, closed <-chan struct{}, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-closed:
		return errIdleDropped
	case <-t.C:
	case <-p.wake:
	}
	return nil
}
