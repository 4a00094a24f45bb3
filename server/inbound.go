package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/internal/signalid"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

// inboundRequest is the body of POST /v1/channels/{id}/messages.
type inboundRequest struct {
	ExternalID string      `json:"external_id" validate:"required,max=255"`
	ThreadID   string      `json:"thread_id" validate:"max=1000"`
	From       inboundFrom `json:"from"`
	Subject    string      `json:"subject" validate:"max=998"`
	Text       string      `json:"text" validate:"max=100000"`
	HTML       string      `json:"html" validate:"max=500000"`
	SentAt     *time.Time  `json:"sent_at"`
}

type inboundFrom struct {
	Email          string `json:"email" validate:"omitempty,email,max=320"`
	Name           string `json:"name" validate:"max=200"`
	ExternalUserID string `json:"external_user_id" validate:"max=255"`
}

type inboundResponse struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
	WorkflowID     string `json:"workflow_id"`
	Duplicate      bool   `json:"duplicate"`
}

// threadKey is the conversation a message belongs to: its thread id, else
// its sender (one conversation per visitor), else the message alone.
func (r inboundRequest) threadKey() string {
	switch {
	case r.ThreadID != "":
		return "t:" + r.ThreadID
	case r.From.ExternalUserID != "":
		return "u:" + r.From.ExternalUserID
	case r.From.Email != "":
		return "e:" + strings.ToLower(r.From.Email)
	}
	return "m:" + r.ExternalID
}

func (s *Server) postMessage(c *gin.Context) {
	p := principal(c)
	ctx := c.Request.Context()
	ch, err := s.connectedChannel(ctx, p.AccountID, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	var req inboundRequest
	if err := httpx.DecodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if strings.TrimSpace(req.Text) == "" && strings.TrimSpace(req.HTML) == "" {
		s.fail(c, domain.Invalid("text", "a message needs text or html"))
		return
	}
	sentAt := time.Now().UTC()
	if req.SentAt != nil {
		sentAt = *req.SentAt
	}
	acc, err := s.store.AcceptInbound(ctx, store.Inbound{
		AccountID: p.AccountID, ChannelID: ch.ID, ThreadKey: req.threadKey(), ExternalID: req.ExternalID,
		Author:  domain.Author{Email: req.From.Email, Name: req.From.Name, ExternalUserID: req.From.ExternalUserID},
		Subject: req.Subject, Text: req.Text, HTML: req.HTML, SentAt: sentAt,
	}, s.cfg.ConversationIDs.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusAccepted
	if acc.Duplicate {
		status = http.StatusOK
	}
	if !acc.Delivered {
		// The message is safe in PostgreSQL; if Temporal is unreachable now the redrive loop delivers it later.
		err := s.deliverPaced(ctx, store.Undelivered{
			MessageID: acc.MessageID, AccountID: p.AccountID, ChannelID: ch.ID, ChannelType: ch.Type,
			ChannelName: ch.Name, ConversationID: acc.ConversationID, WorkflowID: acc.WorkflowID,
			Sender:  sender(domain.Author{Email: req.From.Email, Name: req.From.Name, ExternalUserID: req.From.ExternalUserID}),
			Subject: req.Subject, TextHead: req.Text,
		})
		if err != nil {
			s.log.WarnContext(ctx, "message stored, delivery to its workflow deferred", "message_id", acc.MessageID, "error", err)
		}
	}
	c.JSON(status, inboundResponse{
		ConversationID: acc.ConversationID, MessageID: acc.MessageID, WorkflowID: acc.WorkflowID, Duplicate: acc.Duplicate,
	})
}

// workflowTaskTimeout is how long a conversation's workflow task may run
// before Temporal gives it to another worker.
const workflowTaskTimeout = 5 * time.Second

// deliverTimeout bounds one delivery attempt, so an unreachable Temporal
// delays the response by at most this long (the redrive loop retries).
const deliverTimeout = 5 * time.Second

// deliverPaced delivers a message a request just stored, when the delivery
// window has room and no older message waits; otherwise it leaves the
// message to the redrive loop (redelivery.Loop.Deliver) and returns nil: the
// message is safe in PostgreSQL either way.
func (s *Server) deliverPaced(ctx context.Context, m store.Undelivered) error {
	return s.redrive.Deliver(ctx, m)
}

// deliver signals-with-start the message's conversation workflow and marks the message delivered.
func (s *Server) deliver(ctx context.Context, m store.Undelivered) error {
	ctx, cancel := context.WithTimeout(ctx, deliverTimeout)
	defer cancel()
	opts := client.StartWorkflowOptions{
		ID:        m.WorkflowID,
		TaskQueue: s.cfg.TaskQueue,
		// A workflow task cut off by a dead worker is handed to another after
		// this, not after Temporal's default 10 s (see docs/reliability.md).
		WorkflowTaskTimeout:   workflowTaskTimeout,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.ChannelTypeKey.ValueSet(m.ChannelType),
			workflows.ChannelIDKey.ValueSet(m.ChannelID),
			workflows.AccountIDKey.ValueSet(m.AccountID),
			workflows.RoutingStateKey.ValueSet(domain.RoutingRouting),
		),
		Memo: map[string]any{workflows.MemoChannelName: m.ChannelName},
	}
	in := workflows.ConversationInput{
		AccountID: m.AccountID, ChannelID: m.ChannelID, ChannelType: m.ChannelType,
		ChannelName: m.ChannelName, ConversationID: m.ConversationID, ContinueAsNewAfter: s.cfg.ContinueAsNewAfter,
		OpenWindow: s.cfg.OpenWindow, HumanAgentWindow: s.cfg.HumanAgentWindow,
		Traits:  s.traitsOf(m.ChannelType),
		Contact: m.Sender, Subject: activities.Subject(domain.Message{Subject: m.Subject, Text: m.TextHead}, m.ChannelName),
	}
	// What the Temporal UI shows of the conversation (encrypted by the payload codec).
	opts.StaticSummary, opts.StaticDetails = workflows.StaticSummary(in), workflows.StaticDetails(in)
	// One request id per message: a retry after a lost answer is not signalled twice.
	_, err := s.temporal.SignalWithStartWorkflow(signalid.With(ctx, "inbound:"+m.MessageID), m.WorkflowID, workflows.SignalInboundMessage,
		workflows.InboundMessage{MessageID: m.MessageID}, opts, workflows.ConversationWorkflow, in)
	if err != nil {
		return fmt.Errorf("signal-with-start %s: %w", m.WorkflowID, err)
	}
	return s.store.MarkDelivered(ctx, m.MessageID)
}

// sender names a message's author for the workflow's summary: name and email, else either, else the external id.
func sender(a domain.Author) string {
	switch {
	case a.Name != "" && a.Email != "":
		return a.Name + " <" + a.Email + ">"
	case a.Name != "":
		return a.Name
	case a.Email != "":
		return a.Email
	}
	return a.ExternalUserID
}

// admitsInbound reports whether r takes new inbound messages (POST routes
// tagged inbound, but for an admin's retry of a delivery and delivery
// receipts): the intake limit guards them ahead of everything else.
func admitsInbound(r route) bool {
	return r.tag == "inbound" && r.method == http.MethodPost && !strings.HasPrefix(r.path, "/v1/deliveries/") &&
		!strings.HasSuffix(r.path, "/receipts")
}

// admitIntake answers 503 with a Retry-After, before any other work, while
// the intake limit refuses new inbound messages (redelivery.Intake).
func (s *Server) admitIntake(c *gin.Context) {
	if err := s.redrive.Admit(); err != nil {
		s.fail(c, err)
		c.Abort()
	}
}
