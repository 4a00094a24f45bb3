package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/workflows"
)

// retryReply sends a failed reply again (POST /v1/messages/{id}/retry): it is put back in the
// queue atomically (a second retry of the same failure, or of a reply that is not failed,
// answers 409) and a new delivery runs for its channel's retry period. 202 with the message.
func (s *Server) retryReply(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	m, err := s.store.Message(ctx, p.AccountID, c.Param("id"))
	if err == nil && (m.Direction != domain.DirectionOutbound || m.Status != domain.MessageFailed) {
		err = fmt.Errorf("message %s is %s %s: only a failed reply is sent again: %w", m.ID, m.Direction, m.Status, domain.ErrConflict)
	}
	if err == nil {
		err = s.checkReplyable(ctx, p.AccountID, m.ChannelID)
	}
	var d activities.DeliveryInput
	if err == nil {
		d, err = s.redelivery(ctx, p.AccountID, m)
	}
	if err == nil {
		m, err = s.store.RequeueOutbound(ctx, p.AccountID, m.ID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.startDelivery(ctx, m, d); err != nil {
		if _, ferr := s.store.FailOutbound(ctx, p.AccountID, m.ID, m.FailureReason); ferr != nil {
			s.log.ErrorContext(ctx, "a requeued reply could not be marked failed again", "message_id", m.ID, "error", ferr)
		}
		s.fail(c, err)
		return
	}
	m, err = s.store.Message(ctx, p.AccountID, m.ID)
	s.respond(c, http.StatusAccepted, m, err)
}

// redelivery is the delivery of stored reply m, retried for its channel's retry period.
func (s *Server) redelivery(ctx context.Context, accountID string, m domain.Message) (activities.DeliveryInput, error) {
	ch, err := s.store.Channel(ctx, accountID, m.ChannelID)
	if err != nil {
		return activities.DeliveryInput{}, err
	}
	cfg, err := channelHost{s}.Config(ctx, ch)
	if err != nil {
		return activities.DeliveryInput{}, err
	}
	conv, err := s.store.ConversationChannel(ctx, accountID, m.ConversationID)
	if err != nil {
		return activities.DeliveryInput{}, err
	}
	ticketID, err := s.store.TicketOfConversation(ctx, accountID, m.ConversationID)
	if err != nil {
		return activities.DeliveryInput{}, err
	}
	in := activities.ReplyInput{AccountID: accountID, ChannelID: conv.ID, ChannelType: conv.Type, ConversationID: m.ConversationID,
		TicketID: ticketID, AuthorUserID: m.Author.UserID, SendChannelID: ch.ID, SendChannelType: ch.Type, Template: storedTemplate(m)}
	return workflows.NewDelivery(in, activities.ReplySent{MessageID: m.ID}, time.Now().UTC(), channels.ReplyRetry(cfg)), nil
}

// storedTemplate is the WhatsApp template a reply was sent as (kept in its properties), nil for text.
func storedTemplate(m domain.Message) *activities.Template {
	raw, ok := m.Properties["template"].(map[string]any)
	if !ok {
		return nil
	}
	t := &activities.Template{}
	t.Name, _ = raw["name"].(string)
	t.Language, _ = raw["language"].(string)
	if comps, ok := raw["components"].([]any); ok {
		for _, c := range comps {
			if b, err := json.Marshal(c); err == nil {
				t.Components = append(t.Components, b)
			}
		}
	}
	return t
}

// startDelivery starts the DeliveryWorkflow of a requeued reply.
func (s *Server) startDelivery(ctx context.Context, m domain.Message, d activities.DeliveryInput) error {
	ctx, cancel := context.WithTimeout(ctx, deliverTimeout)
	defer cancel()
	opts := client.StartWorkflowOptions{
		ID:                       workflows.DeliveryWorkflowID(m.ID, m.Attempts),
		TaskQueue:                s.cfg.TaskQueue,
		WorkflowTaskTimeout:      workflowTaskTimeout,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.AccountIDKey.ValueSet(d.AccountID),
			workflows.TicketIDKey.ValueSet(d.TicketID)),
	}
	_, err := s.temporal.ExecuteWorkflow(ctx, opts, workflows.DeliveryWorkflowName, d)
	var running *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &running) {
		return fmt.Errorf("a delivery of message %s is still running: %w", m.ID, domain.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("start the delivery of message %s: %w", m.ID, err)
	}
	return nil
}

// replyRequest is the body of POST /v1/tickets/{id}/replies: text (and html),
// or on WhatsApp an approved template, the only reply allowed after its 24 h window.
type replyRequest struct {
	// ChannelID names the channel a reply to a ticket without a channel opens its conversation
	// on, or the one a reply to a form submission or a call goes out on.
	ChannelID string           `json:"channel_id" validate:"max=100"`
	Text      string           `json:"text" validate:"max=100000"`
	HTML      string           `json:"html" validate:"max=500000"`
	Template  *templateRequest `json:"template"`
	// To, Cc and Bcc replace an email reply's recipients (by default the thread's Reply-To or From, and its Cc).
	To  *[]string `json:"to"`
	Cc  *[]string `json:"cc"`
	Bcc *[]string `json:"bcc"`
}

type templateRequest struct {
	Name       string            `json:"name" validate:"required,max=512"`
	Language   string            `json:"language" validate:"required,max=20"`
	Components []json.RawMessage `json:"components" validate:"max=20"`
}

// replyResponse is what became of a reply: its status (queued, retrying, sent, failed,
// suppressed) with the reason of a failure or suppression, the last temporary error and
// the next attempt of a retrying one, and the channel it goes out on.
type replyResponse struct {
	MessageID     string     `json:"message_id"`
	Tag           string     `json:"tag"`
	Status        string     `json:"status"`
	FailureReason string     `json:"failure_reason,omitempty"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	ChannelID     string     `json:"channel_id"`
	// Assigned is true when this reply assigned the ticket, which had no assignee, to its author;
	// AssignSkipped says why it did not (assign_on_reply off, no service profile, at capacity).
	Assigned      bool   `json:"assigned,omitempty"`
	AssignSkipped string `json:"assign_skipped,omitempty"`
}

// replyOutcome is the reply's response: the message as stored now (a delivery that outlived the
// update's wait may have moved on), else what the workflow answered.
func (s *Server) replyOutcome(ctx context.Context, accountID string, res workflows.ReplyResult) replyResponse {
	out := replyResponse{MessageID: res.MessageID, Tag: res.Tag, Status: res.Status, FailureReason: res.FailureReason}
	m, err := s.store.Message(ctx, accountID, res.MessageID)
	if err != nil {
		s.log.WarnContext(ctx, "read the reply's status", "message_id", res.MessageID, "error", err)
		return out
	}
	return replyResponse{MessageID: m.ID, Tag: m.Tag, Status: m.Status, FailureReason: m.FailureReason,
		Attempts: m.Attempts, NextAttemptAt: m.NextAttemptAt, ChannelID: m.ChannelID}
}

func (s *Server) postReply(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	var req replyRequest
	t, files, ok := s.ticketAndReply(c, &req)
	if !ok {
		return
	}
	if req.Template == nil && strings.TrimSpace(req.Text) == "" && strings.TrimSpace(req.HTML) == "" && len(files) == 0 {
		s.fail(c, domain.Invalid("text", "a reply needs text or html (or files, or a template on WhatsApp)"))
		return
	}
	t, err := s.replyChannel(ctx, p.AccountID, t, req.ChannelID)
	if err != nil {
		s.fail(c, err)
		return
	}
	via, err := s.replyVia(ctx, p.AccountID, t, req.ChannelID)
	if err != nil {
		s.fail(c, err)
		return
	}
	if via.ID == "" {
		if err := s.checkReplyable(ctx, p.AccountID, t.ChannelID); err != nil {
			s.fail(c, err)
			return
		}
	}
	sendChannel, sendType := t.ChannelID, t.ChannelType
	if via.ID != "" {
		sendChannel, sendType = via.ID, via.Type
	}
	rcpt, chosen, err := replyRecipients(req, sendType)
	if err != nil {
		s.fail(c, err)
		return
	}
	updateID := ""
	if chosen { // stored first, under the reply's external id, for the email channel to send to
		updateID = newReplyUpdateID()
		if err := s.store.SaveReplyRecipients(ctx, p.AccountID, sendChannel, "reply:"+updateID, rcpt); err != nil {
			s.fail(c, err)
			return
		}
	}
	uploads, err := s.saveReplyFiles(ctx, p.AccountID, sendType, req, files)
	if err != nil {
		s.failFiles(c, err)
		return
	}
	reply := workflows.ReplyRequest{AuthorUserID: p.UserID, Text: req.Text, HTML: req.HTML, ChannelID: via.ID, ChannelType: via.Type,
		Attachments: uploads}
	if req.Template != nil {
		reply.Template = &activities.Template{Name: req.Template.Name, Language: req.Template.Language, Components: req.Template.Components}
	}
	var res workflows.ReplyResult
	if err := s.updateTicketWorkflowID(ctx, p.AccountID, t, workflows.UpdateReply, updateID, reply, &res); err != nil {
		s.failAction(c, err)
		return
	}
	// The agent's reply takes the ticket on: new → open, and theirs when it had no assignee.
	took := s.takeOnReply(ctx, p, t)
	// 201 whatever the channel did: queued or retrying (the delivery goes on for the channel's
	// retry period), sent, failed (with the channel's text) or suppressed (with why).
	out := s.replyOutcome(ctx, p.AccountID, res)
	out.Assigned, out.AssignSkipped = took.Assigned, took.Skipped
	c.JSON(http.StatusCreated, out)
}
