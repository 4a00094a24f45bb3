// Package alerts emails an account's admins when one of its channels starts
// failing, and users mentioned in a note while they were not available. The
// emails are queued in PostgreSQL (by store.RecordHealth, once per transition
// and admin; by store.AddNote, once per mention) and sent here, apart from the
// requests that queued them, with bounded retries and backoff.
package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/routedesk/routedesk/store"
)

// Mailer sends routedesk's own emails (the system mail path, ROUTEDESK_SMTP_URL).
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// Defaults of a Sender.
const (
	DefaultInterval = 5 * time.Second
	// MaxAttempts is how often one alert is tried before it is given up (about 8 hours of backoff).
	MaxAttempts = 10
	sendTimeout = 30 * time.Second
	batch       = 50
)

// Sender sends queued health alerts.
type Sender struct {
	Store *store.Store
	Mail  Mailer
	Log   *slog.Logger
	// Interval is how often the queue is looked at (DefaultInterval when 0).
	Interval time.Duration
}

// Run sends due alerts every Interval until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	every := s.Interval
	if every <= 0 {
		every = DefaultInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.SendDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SendDue sends the alerts and mention emails that are due now.
func (s *Sender) SendDue(ctx context.Context) {
	defer s.SendMentions(ctx)
	alerts, err := s.Store.ClaimHealthAlerts(ctx, batch, 2*sendTimeout)
	if err != nil {
		if ctx.Err() == nil {
			s.log().WarnContext(ctx, "read the channel health alerts", "error", err)
		}
		return
	}
	for _, a := range alerts {
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		err := s.Mail.Send(sctx, a.Recipient, subject(a), body(a))
		cancel()
		if err == nil {
			err = s.Store.HealthAlertSent(ctx, a.ID)
			if err != nil {
				s.log().WarnContext(ctx, "mark channel health alert sent", "alert_id", a.ID, "error", err)
			}
			continue
		}
		giveUp := a.Attempts >= MaxAttempts
		retry := time.Now().Add(backoff(a.Attempts))
		s.log().WarnContext(ctx, "send channel health alert", "alert_id", a.ID, "channel_id", a.ChannelID, "attempt", a.Attempts, "give_up", giveUp, "error", err)
		if err := s.Store.HealthAlertFailed(ctx, a.ID, err.Error(), retry, giveUp); err != nil {
			s.log().WarnContext(ctx, "record channel health alert failure", "alert_id", a.ID, "error", err)
		}
	}
}

// backoff is the wait after the attempt-th failed attempt: 30 s doubling, at most 2 h.
func backoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < 2*time.Hour; i++ {
		d *= 2
	}
	return min(d, 2*time.Hour)
}

func subject(a store.HealthAlert) string {
	return fmt.Sprintf("Channel %q is failing", a.ChannelName)
}

func body(a store.HealthAlert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\nThe %s channel %q (%s) stopped working at %s:\n\n    %s\n\n",
		a.ChannelType, a.ChannelName, a.ChannelID, a.CreatedAt.UTC().Format("2006-01-02 15:04 MST"), a.Reason)
	b.WriteString("routedesk keeps retrying and will show the channel as ok again once it works. ")
	b.WriteString("Until then, mail or messages on this channel may not reach the desk, or replies may not reach customers.\n")
	fmt.Fprintf(&b, "\nIts health: GET /v1/channels/%s (the \"health\" object), or the Channels page of the console.\n", a.ChannelID)
	b.WriteString("\nYou get this email once each time a channel starts failing, because you hold an admin token of the account.\n")
	return b.String()
}

func (s *Sender) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}
