package activities

import "context"

// FollowUpInput names the closed ticket and the customer's message that follows it up.
type FollowUpInput struct {
	AccountID string `json:"account_id"`
	TicketID  string `json:"ticket_id"`
	MessageID string `json:"message_id"`
}

// FollowUpOpened is the follow-up ticket a customer's message on a closed ticket opened.
type FollowUpOpened struct {
	TicketID         string `json:"ticket_id"`
	Status           string `json:"status"`
	PreviousAssignee string `json:"previous_assignee,omitempty"`
	Created          bool   `json:"created,omitempty"`
}

// OpenFollowUp opens the follow-up of a closed ticket on a customer's message (idempotent per ticket).
func (a *Activities) OpenFollowUp(ctx context.Context, in FollowUpInput) (FollowUpOpened, error) {
	f, err := a.Store.OpenFollowUp(ctx, in.AccountID, in.TicketID, in.MessageID)
	if err != nil {
		return FollowUpOpened{}, classify(err)
	}
	return FollowUpOpened{TicketID: f.TicketID, Status: f.Status, PreviousAssignee: f.PreviousAssignee, Created: f.Created}, nil
}
