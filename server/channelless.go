package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// ticketRouting validates the request's routing object like a channel's (422 naming routing.<field>)
// and returns it with its defaults; nil without one. A ticket without a channel needs one to be routed.
func (s *Server) ticketRouting(ctx context.Context, accountID string, req ticketRequest, channelless bool) (*domain.Routing, error) {
	if req.Routing == nil {
		if channelless && req.Route {
			return nil, domain.Invalid("routing", "is required to route a ticket without a channel (route: true): "+
				"give a routing object like a channel's ({\"assign_to\": \"users_and_teams\", \"users\": [...]}), or a channel_id")
		}
		return nil, nil
	}
	r := req.Routing.WithDefaults()
	if err := s.checkRouting(ctx, accountID, r); err != nil {
		return nil, err
	}
	return &r, nil
}

// createChannellessTicket opens a ticket without a channel: no conversation until someone replies
// through a channel. The contact is found by id or email (created when new), the account's rules
// run on it (rules scoped to a channel do not), and with route: true the ticket's own workflow
// (workflows.TicketWorkflowID) routes it by the request's routing object. The ticket is stored
// before the 201; when Temporal cannot be reached the redrive loop starts its routing later.
func (s *Server) createChannellessTicket(c *gin.Context, req ticketRequest, routing *domain.Routing) {
	p := principal(c)
	ctx := c.Request.Context()
	author, contactID, err := s.ticketAuthor(ctx, p.AccountID, "", req.Contact)
	if err != nil {
		s.fail(c, err)
		return
	}
	defaults := domain.TicketDefaults{}.WithDefaults()
	acts := &activities.Activities{Store: s.store, Rules: s.rules, Log: s.log, RuleMetrics: s.ruleMetrics}
	outcome, err := acts.EvaluateTicketRules(ctx, activities.TicketDraft{AccountID: p.AccountID, ContactID: contactID,
		From: author.Email, Subject: req.Subject, Description: req.Description, Defaults: defaults})
	if err != nil {
		s.fail(c, fmt.Errorf("evaluate rules: %w", err))
		return
	}
	t := ticketFields(defaults, outcome, req, routing)
	t.ID = store.NewID("tkt")
	t.WorkflowID, t.AccountID, t.ContactID = workflows.TicketWorkflowID(t.ID), p.AccountID, contactID
	ticket, _, err := s.store.CreateTicket(ctx, t)
	if err != nil {
		s.fail(c, err)
		return
	}
	if req.Route {
		if err := s.startTicketWorkflow(ctx, p.AccountID, ticket); err != nil {
			s.log.WarnContext(ctx, "ticket stored, its routing starts later", "ticket_id", ticket.ID, "error", err)
		}
	}
	c.JSON(http.StatusCreated, ticket)
}

// ticketWorkflowStart is how the workflow of ticket t starts again (or for the first time, for a
// ticket without a channel): resuming the ticket, on its channel's conversation or on its own.
func (s *Server) ticketWorkflowStart(ctx context.Context, accountID string, t domain.Ticket) (workflows.ConversationInput, client.StartWorkflowOptions, error) {
	in := workflows.ConversationInput{AccountID: accountID, ConversationID: t.ConversationID, TicketID: t.ID,
		ContinueAsNewAfter: s.cfg.ContinueAsNewAfter, Subject: t.Subject}
	opts := client.StartWorkflowOptions{
		ID:                       t.WorkflowID,
		TaskQueue:                s.cfg.TaskQueue,
		WorkflowTaskTimeout:      workflowTaskTimeout,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}
	attrs := []temporal.SearchAttributeUpdate{workflows.AccountIDKey.ValueSet(accountID), workflows.TicketIDKey.ValueSet(t.ID),
		workflows.RoutingStateKey.ValueSet(t.RoutingState)}
	if t.ChannelID != "" {
		ch, err := s.store.Channel(ctx, accountID, t.ChannelID)
		if err != nil {
			return in, opts, err
		}
		in.ChannelID, in.ChannelType, in.ChannelName, in.Traits = ch.ID, ch.Type, ch.Name, s.traitsOf(ch.Type)
		in.OpenWindow, in.HumanAgentWindow = s.cfg.OpenWindow, s.cfg.HumanAgentWindow
		attrs = append(attrs, workflows.ChannelTypeKey.ValueSet(ch.Type), workflows.ChannelIDKey.ValueSet(ch.ID))
		opts.Memo = map[string]any{workflows.MemoChannelName: ch.Name}
	}
	opts.TypedSearchAttributes = temporal.NewSearchAttributes(attrs...)
	contact, err := s.contactLabel(ctx, accountID, t.ContactID)
	if err != nil {
		return in, opts, err
	}
	in.Contact = contact
	opts.StaticSummary, opts.StaticDetails = workflows.StaticSummary(in), workflows.StaticDetails(in)
	return in, opts, nil
}

// contactLabel names a ticket's contact for its workflow's summary as a message's sender is named
// ("Name <email>"), so a workflow started again for a ticket shows who it is about; "" without one.
func (s *Server) contactLabel(ctx context.Context, accountID string, contactID *string) (string, error) {
	if contactID == nil || *contactID == "" {
		return "", nil
	}
	ct, err := s.store.Contact(ctx, accountID, *contactID)
	if errors.Is(err, domain.ErrNotFound) {
		return "", nil // merged away or deleted: the summary goes without
	}
	if err != nil {
		return "", err
	}
	a := domain.Author{Name: ct.Name}
	if ct.Email != nil {
		a.Email = *ct.Email
	}
	if a.Name == "" && a.Email == "" {
		a.ExternalUserID = ct.Phone
	}
	return sender(a), nil
}

// startTicketWorkflow starts the workflow of a ticket without a channel, which routes it; one
// running already is left as it is.
func (s *Server) startTicketWorkflow(ctx context.Context, accountID string, t domain.Ticket) error {
	ctx, cancel := context.WithTimeout(ctx, deliverTimeout)
	defer cancel()
	in, opts, err := s.ticketWorkflowStart(ctx, accountID, t)
	if err != nil {
		return err
	}
	if _, err := s.temporal.ExecuteWorkflow(ctx, opts, workflows.ConversationWorkflow, in); err != nil {
		return fmt.Errorf("start workflow %s: %w", t.WorkflowID, err)
	}
	return nil
}

// replyChannel is the ticket a reply goes out on. A ticket without a channel is given a
// conversation on channelID, a connected channel that can reach its contact (an email channel
// with the contact's address, a custom app the contact wrote through); its own workflow ends,
// and the conversation's takes over.
func (s *Server) replyChannel(ctx context.Context, accountID string, t domain.Ticket, channelID string) (domain.Ticket, error) {
	if t.ChannelID != "" {
		return t, nil // replyVia checks channel_id
	}
	if channelID == "" {
		return t, domain.Invalid("channel_id", "is required: the ticket has no channel yet; name a connected email or custom channel "+
			"to open its conversation with the contact on")
	}
	ch, err := s.store.Channel(ctx, accountID, channelID)
	if errors.Is(err, domain.ErrNotFound) {
		return t, domain.Invalid("channel_id", "names no channel of this account")
	}
	if err != nil {
		return t, err
	}
	if ch.Status != domain.ChannelConnected {
		return t, domain.Invalid("channel_id", "channel "+ch.ID+" is disconnected")
	}
	thread, err := s.reaches(ctx, accountID, ch, t)
	if err != nil {
		return t, err
	}
	to := workflows.TicketAttached{WorkflowID: s.cfg.ConversationIDs.ID(ch.ID, thread), ChannelID: ch.ID}
	if err := s.handOver(ctx, t.WorkflowID, to); err != nil {
		return t, err
	}
	return s.store.AttachTicket(ctx, store.TicketAttachment{AccountID: accountID, TicketID: t.ID, ChannelID: ch.ID,
		ThreadKey: thread, WorkflowID: to.WorkflowID})
}

// handOverTimeout bounds the wait for a ticket's own workflow to complete its handover.
const handOverTimeout = 5 * time.Second

// handOver ends a ticket's own workflow before its conversation's starts, so it never acts on the
// ticket beside it: told the conversation's workflow id, the workflow completes naming it (the
// Temporal UI shows a completed workflow pointing to the next, not a failure). One that does not
// complete within handOverTimeout (a worker from before the handover signal) is terminated.
func (s *Server) handOver(ctx context.Context, workflowID string, to workflows.TicketAttached) error {
	ctx, cancel := context.WithTimeout(ctx, deliverTimeout+handOverTimeout)
	defer cancel()
	var gone *serviceerror.NotFound
	err := s.temporal.SignalWorkflow(ctx, workflowID, "", workflows.SignalTicketAttached, to)
	if errors.As(err, &gone) {
		return nil // ended already (never started, or idled out)
	}
	if err != nil {
		return fmt.Errorf("hand the ticket's own workflow %s over: %w", workflowID, err)
	}
	wctx, cancelWait := context.WithTimeout(ctx, handOverTimeout)
	defer cancelWait()
	err = s.temporal.GetWorkflow(wctx, workflowID, "").Get(wctx, nil)
	if wctx.Err() == nil { // it completed (or ended otherwise meanwhile): either way it acts no more
		if err != nil {
			s.log.WarnContext(ctx, "ticket workflow ended with an error while handing over", "workflow_id", workflowID, "error", err)
		}
		return nil
	}
	err = s.temporal.TerminateWorkflow(ctx, workflowID, "", "the ticket moved to workflow "+to.WorkflowID+
		" (conversation on channel "+to.ChannelID+"); this workflow did not complete the handover in time")
	if err != nil && !errors.As(err, &gone) {
		return fmt.Errorf("end the ticket's own workflow %s: %w", workflowID, err)
	}
	return nil
}

// reaches returns the thread key of the conversation channel ch opens with the ticket's contact,
// or 422 naming channel_id when it cannot write to them. Email writes to the contact's address
// (thread "ticket:<id>"); a custom app to the external user id the contact wrote through it with,
// on thread_id "ticket:<id>" (thread "t:ticket:<id>"), so the app's answer on that thread_id
// lands in the ticket's conversation.
func (s *Server) reaches(ctx context.Context, accountID string, ch domain.Channel, t domain.Ticket) (string, error) {
	if ch.Type != "email" && ch.Type != "custom" {
		return "", domain.Invalid("channel_id", "a "+ch.Type+" channel cannot start a conversation with a contact; name an email or custom channel")
	}
	if t.ContactID == nil {
		return "", domain.Invalid("channel_id", "the ticket has no contact to write to")
	}
	ct, err := s.store.Contact(ctx, accountID, *t.ContactID)
	if err != nil {
		return "", err
	}
	if ch.Type == "custom" {
		user, err := s.store.ContactChannelUser(ctx, accountID, ct.ID, ch.ID)
		if err != nil {
			return "", err
		}
		if user == "" {
			return "", domain.Invalid("channel_id", "the ticket's contact "+ct.ID+" has never written through channel "+ch.ID+
				": it knows no external_user_id of theirs to write to")
		}
		return "t:ticket:" + t.ID, nil
	}
	if ct.Email == nil || *ct.Email == "" {
		return "", domain.Invalid("channel_id", "the ticket's contact "+ct.ID+" has no email address for channel "+ch.ID+" to write to")
	}
	return "ticket:" + t.ID, nil
}
