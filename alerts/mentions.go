package alerts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/routedesk/routedesk/store"
)

// maxNoteExcerpt is how much of a note a mention email quotes.
const maxNoteExcerpt = 2000

// SendMentions sends the queued emails telling users who were not available that a note mentions them,
// with the alerts' bounded retries and backoff; one given up is marked failed on its notification.
func (s *Sender) SendMentions(ctx context.Context) {
	due, err := s.Store.ClaimMentionEmails(ctx, batch, 2*sendTimeout)
	if err != nil {
		if ctx.Err() == nil {
			s.log().WarnContext(ctx, "read the mention emails", "error", err)
		}
		return
	}
	for _, m := range due {
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		err := s.Mail.Send(sctx, m.Recipient, mentionSubject(m), mentionBody(m))
		cancel()
		if err == nil {
			if err := s.Store.MentionEmailSent(ctx, m.ID); err != nil {
				s.log().WarnContext(ctx, "mark mention email sent", "notification_id", m.ID, "error", err)
			}
			continue
		}
		giveUp := m.Attempts >= MaxAttempts
		s.log().WarnContext(ctx, "send mention email", "notification_id", m.ID, "attempt", m.Attempts, "give_up", giveUp, "error", err)
		if err := s.Store.MentionEmailFailed(ctx, m.ID, err.Error(), time.Now().Add(backoff(m.Attempts)), giveUp); err != nil {
			s.log().WarnContext(ctx, "record mention email failure", "notification_id", m.ID, "error", err)
		}
	}
}

func mentionSubject(m store.MentionEmail) string {
	if s, ok := slaSubjects[m.Kind]; ok {
		return fmt.Sprintf(s, m.Subject)
	}
	return fmt.Sprintf("%s mentioned you on ticket %q", m.Author, m.Subject)
}

// slaSubjects are the subjects of the SLA escalation emails (docs/sla.md), by notification kind.
var slaSubjects = map[string]string{"sla_warning": "SLA warning on ticket %q", "sla_breach": "SLA breached on ticket %q"}

func mentionBody(m store.MentionEmail) string {
	if _, ok := slaSubjects[m.Kind]; ok {
		return fmt.Sprintf("Hello %s,\n\nTicket %s (%q): %s (%s).\n\nThe ticket: GET /v1/tickets/%s, or the console.\n",
			firstNonEmpty(m.Name, m.Recipient), m.TicketID, m.Subject, strings.ReplaceAll(m.Kind, "_", " "), m.Detail, m.TicketID)
	}
	note := m.Body
	if len(note) > maxNoteExcerpt {
		note = strings.ToValidUTF8(note[:maxNoteExcerpt], "") + "…"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n%s mentioned you in an internal note on ticket %s (%q):\n\n", firstNonEmpty(m.Name, m.Recipient), m.Author, m.TicketID, m.Subject)
	for _, line := range strings.Split(note, "\n") {
		b.WriteString("    " + line + "\n")
	}
	fmt.Fprintf(&b, "\nThe ticket: GET /v1/tickets/%s, or the console. You get this email because you were not available when you were mentioned.\n", m.TicketID)
	return b.String()
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
