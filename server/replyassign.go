package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/workflows"
)

// replyVia is the audit trail's via for the change an agent's reply makes to its ticket.
const replyVia = "POST /v1/tickets/{id}/replies"

// replyAssignment is what an agent's reply did to its ticket's assignee and status.
type replyAssignment struct {
	// Assigned is true when the reply assigned the ticket, which had no assignee, to its author.
	Assigned bool
	// Skipped says why a ticket without an assignee was not assigned to the reply's author ("" otherwise).
	Skipped string
}

// takeOnReply makes the change an agent's reply makes to ticket t, through the same conversation
// workflow update as PATCH /v1/tickets/{id}: a new ticket becomes open, and a ticket without an
// assignee (not solved or closed) goes to the reply's author when its channel's routing.assign_on_reply
// is on (the default) and they have a service profile and room (capacity). The reply stands whatever
// this does; a refused assignment is reported, and the new → open move still made. A reply with an
// admin token (no user) changes nothing.
func (s *Server) takeOnReply(ctx context.Context, p domain.Principal, t domain.Ticket) replyAssignment {
	var out replyAssignment
	if p.UserID == "" {
		return out
	}
	change := workflows.ChangeRequest{ActorUserID: p.UserID, Via: replyVia, OnReply: true}
	if t.Status == domain.TicketStatusNew {
		open := domain.TicketStatusOpen
		change.Status = &open
	}
	if t.Assignee.UserID == nil && domain.HoldsCapacity(t.Status) {
		if reason, err := s.replyAssignable(ctx, p, t); err != nil {
			out.Skipped = "could not check the assignment: " + err.Error()
		} else if reason != "" {
			out.Skipped = reason
		} else {
			user := p.UserID
			change.AssignUser = &user
		}
	}
	if change.Status == nil && change.AssignUser == nil {
		return out
	}
	var res workflows.ChangeResult
	err := s.updateTicketWorkflow(ctx, p.AccountID, t, workflows.UpdateChange, change, &res)
	if err != nil && change.AssignUser != nil {
		out.Skipped = "the ticket could not be assigned to you: " + updateErrorText(err)
		change.AssignUser = nil
		if change.Status != nil { // the move to open stands on its own
			err = s.updateTicketWorkflow(ctx, p.AccountID, t, workflows.UpdateChange, change, &res)
		} else {
			err = nil
		}
	}
	if err != nil {
		s.log.WarnContext(ctx, "a reply's change to its ticket failed", "ticket_id", t.ID, "error", err)
		return out
	}
	out.Assigned = change.AssignUser != nil && res.AssigneeID == p.UserID
	return out
}

// replyAssignable says why the reply's author cannot be given the ticket ("" when they can): the channel's routing.assign_on_reply is off, or the user has no service profile.
func (s *Server) replyAssignable(ctx context.Context, p domain.Principal, t domain.Ticket) (string, error) {
	if t.ChannelID != "" {
		ch, err := s.store.Channel(ctx, p.AccountID, t.ChannelID)
		if err != nil {
			return "", fmt.Errorf("look up the ticket's channel: %w", err)
		}
		if r := ch.Routing.WithDefaults(); !*r.AssignOnReply {
			return "the channel's routing.assign_on_reply is off", nil
		}
	}
	u, err := s.store.User(ctx, p.AccountID, p.UserID)
	if err != nil {
		return "", fmt.Errorf("look up the reply's author: %w", err)
	}
	if !u.HasProfile {
		return "you have no service profile: only users with a profile are assigned tickets", nil
	}
	return "", nil
}

// updateErrorText is what an agent is told of a refused change (the capacity or lifecycle conflict).
func updateErrorText(err error) string {
	if errors.Is(err, errNoAnswer) {
		return "the conversation did not answer in time"
	}
	return err.Error()
}
