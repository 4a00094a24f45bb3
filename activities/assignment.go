package activities

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// RouteInput asks for an agent for a ticket under a channel's routing.
type RouteInput struct {
	AccountID      string         `json:"account_id"`
	TicketID       string         `json:"ticket_id"`
	ContactID      string         `json:"contact_id"`
	Routing        domain.Routing `json:"routing"`
	RequiredSkills []string       `json:"required_skills"`
	// PreferUser is tried first (a reopened ticket's previous agent): only if
	// available and under capacity, and without waiting for them.
	PreferUser string `json:"prefer_user,omitempty"`
}

// RouteResult says where routing left the ticket.
type RouteResult struct {
	// State is assigned, waiting_for_agent or unassigned.
	State        string    `json:"state"`
	UserID       string    `json:"user_id,omitempty"`
	WaitingSince time.Time `json:"waiting_since,omitempty"`
	// OwnerUnavailable names the contact owner who could not take the ticket, to notify.
	OwnerUnavailable string `json:"owner_unavailable,omitempty"`
}

// Route applies a channel's assignment mode to a ticket: nobody, the least
// loaded eligible user of the listed users and teams, or the contact's owner.
// When nobody eligible is free the ticket is left waiting for an agent.
func (a *Activities) Route(ctx context.Context, in RouteInput) (RouteResult, error) {
	r := in.Routing.WithDefaults()
	var candidates []string
	var owner string
	strategy := store.StrategyNone
	switch r.AssignTo {
	case domain.AssignUsersAndTeams:
		var err error
		if candidates, err = a.Store.RoutingCandidates(ctx, in.AccountID, r.Users, r.Teams); err != nil {
			return RouteResult{}, classify(err)
		}
		strategy = store.StrategyLeastLoaded
	case domain.AssignContactOwner:
		strategy = store.StrategyContactOwner
		if in.ContactID != "" {
			c, err := a.Store.Contact(ctx, in.AccountID, in.ContactID)
			if err != nil {
				return RouteResult{}, classify(fmt.Errorf("route: %w", err))
			}
			if c.OwnerUserID != nil {
				owner = *c.OwnerUserID
				candidates = []string{owner}
			}
		}
	}
	if in.PreferUser != "" {
		// A previous agent no longer among the channel's users and teams is considered, not picked.
		claim := store.Claim{AccountID: in.AccountID, TicketID: in.TicketID, Candidates: []string{in.PreferUser},
			RequiredSkills: in.RequiredSkills, OnlyAvailable: true, Strategy: store.StrategyPreviousAgent}
		if r.AssignTo == domain.AssignUsersAndTeams && !slices.Contains(candidates, in.PreferUser) {
			claim.Candidates, claim.Outside = nil, []string{in.PreferUser}
		}
		got, err := a.Store.ClaimAgent(ctx, claim)
		if err != nil {
			return RouteResult{}, classify(err)
		}
		if got.UserID != "" {
			return RouteResult{State: domain.RoutingAssigned, UserID: got.UserID}, nil
		}
	}
	if len(candidates) == 0 {
		return RouteResult{State: domain.RoutingUnassigned}, classify(a.Store.RecordUnrouted(ctx, in.AccountID, in.TicketID, strategy))
	}
	got, err := a.Store.ClaimAgent(ctx, store.Claim{AccountID: in.AccountID, TicketID: in.TicketID, Candidates: candidates,
		RequiredSkills: in.RequiredSkills, OnlyAvailable: *r.OnlyAvailable, Wait: true, Strategy: strategy})
	if err != nil {
		return RouteResult{}, classify(err)
	}
	if got.UserID != "" {
		return RouteResult{State: domain.RoutingAssigned, UserID: got.UserID}, nil
	}
	return RouteResult{State: domain.RoutingWaitingForAgent, WaitingSince: got.WaitingSince, OwnerUnavailable: owner}, nil
}

// TicketRef names a ticket of an account.
type TicketRef struct {
	AccountID string `json:"account_id"`
	TicketID  string `json:"ticket_id"`
}

// StopWaiting ends a ticket's wait when its timeout fires: it becomes
// unassigned (RoutingTimedOut is recorded) unless a dispatch assigned it
// meanwhile, whose agent is returned.
func (a *Activities) StopWaiting(ctx context.Context, in TicketRef) (string, error) {
	user, err := a.Store.StopWaiting(ctx, in.AccountID, in.TicketID)
	if err != nil {
		return "", classify(err)
	}
	if user == "" {
		if err := a.Store.AddTicketEvent(ctx, in.TicketID, "RoutingTimedOut", nil); err != nil {
			return "", classify(err)
		}
	}
	return user, nil
}

// AgentRef names an agent of an account.
type AgentRef struct {
	AccountID string `json:"account_id"`
	UserID    string `json:"user_id"`
}

// Dispatched is a waiting ticket that a dispatch assigned, and its workflow to tell;
// it is recorded in workflow histories, so its JSON names never change.
type Dispatched struct {
	TicketID   string `json:"ticket_id"`
	WorkflowID string `json:"workflow_id"`
	UserID     string `json:"user_id"`
}

// Dispatch gives an agent with free capacity the oldest waiting tickets they can serve.
func (a *Activities) Dispatch(ctx context.Context, in AgentRef) ([]Dispatched, error) {
	got, err := a.Store.Dispatch(ctx, in.AccountID, in.UserID)
	if err != nil || got == nil {
		return nil, classify(err)
	}
	out := make([]Dispatched, len(got))
	for i, d := range got {
		out[i] = Dispatched{TicketID: d.TicketID, WorkflowID: d.WorkflowID, UserID: d.UserID}
	}
	return out, nil
}

// ChangeInput is an agent's change to a ticket.
type ChangeInput struct {
	AccountID  string  `json:"account_id"`
	TicketID   string  `json:"ticket_id"`
	Status     *string `json:"status,omitempty"`
	AssignUser *string `json:"assign_user,omitempty"`
	AssignTeam *string `json:"assign_team,omitempty"`
	// ActorUserID is the user who made the change; Via the route or rule it came from.
	ActorUserID string `json:"actor_user_id,omitempty"`
	Via         string `json:"via,omitempty"`
	// OnReply is the change an agent's reply makes (store.TicketChange.OnReply).
	OnReply bool `json:"on_reply,omitempty"`
}

// ChangeResult is the ticket's state after a change and the agent it freed.
type ChangeResult struct {
	Status     string `json:"status"`
	AssigneeID string `json:"assignee_id"`
	State      string `json:"routing_state"`
	Freed      string `json:"freed,omitempty"`
	// CloseAt is when a solved ticket closes.
	CloseAt *time.Time `json:"close_at,omitempty"`
}

// ChangeTicket applies an agent's status change or reassignment.
func (a *Activities) ChangeTicket(ctx context.Context, in ChangeInput) (ChangeResult, error) {
	ch, err := a.Store.ChangeTicket(ctx, in.AccountID, in.TicketID, store.TicketChange{Status: in.Status, AssignUser: in.AssignUser, AssignTeam: in.AssignTeam,
		ActorUserID: in.ActorUserID, Via: in.Via, OnReply: in.OnReply})
	if err != nil {
		return ChangeResult{}, classify(err)
	}
	out := ChangeResult{Status: ch.Ticket.Status, State: ch.Ticket.RoutingState, Freed: ch.Freed, CloseAt: ch.CloseAt}
	if ch.Ticket.Assignee.UserID != nil {
		out.AssigneeID = *ch.Ticket.Assignee.UserID
	}
	return out, classify(a.measureChange(ctx, in.AccountID, in.TicketID, out))
}

// Reopen sets a closed ticket back to open and returns the agent who had it (histories from before the lifecycle).
func (a *Activities) Reopen(ctx context.Context, in TicketRef) (string, error) {
	prev, err := a.Store.Reopen(ctx, in.AccountID, in.TicketID)
	return prev, classify(err)
}

// Reopened is what a customer's message did to the ticket's status (store.Reopened).
type Reopened struct {
	Status           string `json:"status"`
	Reroute          bool   `json:"reroute,omitempty"`
	PreviousAssignee string `json:"previous_assignee,omitempty"`
}

// ReopenOnMessage moves a pending or solved ticket back to open on a customer's message.
func (a *Activities) ReopenOnMessage(ctx context.Context, in TicketRef) (Reopened, error) {
	r, err := a.Store.ReopenOnMessage(ctx, in.AccountID, in.TicketID)
	if err != nil {
		return Reopened{}, classify(err)
	}
	return Reopened{Status: r.Status, Reroute: r.Reroute, PreviousAssignee: r.PreviousAssignee}, nil
}

// CloseSolved closes a ticket whose solved window is over and returns its status after.
func (a *Activities) CloseSolved(ctx context.Context, in TicketRef) (string, error) {
	status, err := a.Store.CloseSolved(ctx, in.AccountID, in.TicketID)
	return status, classify(err)
}
