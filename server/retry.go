package server

import (
	"context"
	"encoding/json"
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
