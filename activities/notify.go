package activities

import (
	"context"
	"fmt"
	"strings"
)

// Mailer sends routedesk's notification emails.
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// NotifyOwnerInput names the ticket and the contact owner who could not take it.
type NotifyOwnerInput struct {
	AccountID   string `json:"account_id"`
	TicketID    string `json:"ticket_id"`
	OwnerUserID string `json:"owner_user_id"`
}

// NotifyOwner emails a contact's owner about a new ticket of their contact
// that they could not take (away, offline or full). Without SMTP configured
// the notification is recorded as skipped. The activity heartbeats while the
// email is sent.
func (a *Activities) NotifyOwner(ctx context.Context, in NotifyOwnerInput) error {
	_, err := withHeartbeat(ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, a.notifyOwner(ctx, in) })
	return err
}

func (a *Activities) notifyOwner(ctx context.Context, in NotifyOwnerInput) error {
	t, err := a.Store.Ticket(ctx, in.AccountID, in.TicketID)
	if err != nil {
		return classify(err)
	}
	owner, err := a.Store.User(ctx, in.AccountID, in.OwnerUserID)
	if err != nil {
		return classify(err)
	}
	if a.Mail == nil {
		return classify(a.Store.AddTicketEvent(ctx, in.TicketID, "OwnerNotificationSkipped", map[string]any{"reason": "no SMTP configured", "owner_user_id": owner.ID}))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\nA contact you own wrote in and the ticket is waiting for you", firstNonEmpty(owner.Name, owner.Email))
	fmt.Fprintf(&b, " (you are %s).\n\nSubject: %s\nTicket: %s\n\n%s\n", owner.Availability, t.Subject, t.ID, t.Description)
	if err := a.Mail.Send(ctx, owner.Email, "New ticket from your contact: "+t.Subject, b.String()); err != nil {
		return fmt.Errorf("notify owner: %w", err) // retried: the SMTP server may be down for a while
	}
	return classify(a.Store.AddTicketEvent(ctx, in.TicketID, "OwnerNotified", map[string]any{"owner_user_id": owner.ID}))
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
