package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/channels/traits"
	"github.com/routedesk/routedesk/domain"
)

// Reply windows, counted from the customer's last message.
const (
	// StandardWindow is Messenger's standard messaging window and WhatsApp's customer-service window.
	StandardWindow = 24 * time.Hour
	// HumanAgentWindow is how long Messenger lets a human agent reply (with the HUMAN_AGENT tag).
	HumanAgentWindow = 7 * 24 * time.Hour
)

// TagHumanAgent is the Messenger message tag of a human agent's reply after the standard window.
const TagHumanAgent = "HUMAN_AGENT"

// traits are what the workflow knows of its channel: from its input, or, for a
// conversation started before inputs carried them, the table of that time.
func (c *conversation) traits() traits.Traits {
	if c.in.Traits != nil {
		return *c.in.Traits
	}
	return traits.Legacy(c.in.ChannelType)
}

// windowed reports whether the conversation's channel limits when replies may be sent.
func (c *conversation) windowed() bool {
	return c.traits().Windowed()
}

func (c *conversation) windowDurations() (open, human time.Duration) {
	open, human = StandardWindow, HumanAgentWindow
	if c.in.OpenWindow > 0 {
		open = c.in.OpenWindow
	}
	if c.in.HumanAgentWindow > 0 {
		human = c.in.HumanAgentWindow
	}
	if c.traits().Window != traits.WindowHumanAgent {
		human = 0 // WhatsApp: after 24 h only templates
	}
	return open, human
}

// customerWrote re-opens the reply window from the customer's latest message.
func (c *conversation) customerWrote(ctx workflow.Context) error {
	if !c.windowed() || workflow.GetVersion(ctx, changeReplyWindow, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	open, human := c.windowDurations()
	now := workflow.Now(ctx)
	openUntil := now.Add(open)
	c.state.OpenUntil, c.state.HumanAgentUntil = &openUntil, nil
	if human > 0 {
		humanUntil := now.Add(human)
		c.state.HumanAgentUntil = &humanUntil
	}
	c.armWindowTimer(ctx, open)
	return c.showWindow(ctx, domain.WindowOpen)
}

// armWindowTimer (re)starts the durable timer of the next window transition.
func (c *conversation) armWindowTimer(ctx workflow.Context, d time.Duration) {
	if c.cancelWindow != nil {
		c.cancelWindow()
	}
	timerCtx, cancel := workflow.WithCancel(ctx)
	c.windowTimer, c.cancelWindow = workflow.NewTimer(timerCtx, d), cancel
}

// onWindowTimer moves the window on: open → human_agent_only (Messenger) → closed.
func (c *conversation) onWindowTimer(ctx workflow.Context) error {
	c.windowTimer, c.cancelWindow = nil, nil
	now := workflow.Now(ctx)
	switch {
	case c.state.OpenUntil != nil && now.Before(*c.state.OpenUntil):
		c.armWindowTimer(ctx, c.state.OpenUntil.Sub(now)) // a stale timer of an earlier message
		return nil
	case c.state.HumanAgentUntil != nil && now.Before(*c.state.HumanAgentUntil):
		c.armWindowTimer(ctx, c.state.HumanAgentUntil.Sub(now))
		return c.showWindow(ctx, domain.WindowHumanAgentOnly)
	}
	return c.showWindow(ctx, domain.WindowClosed)
}

// showWindow records the window state on the ticket, the query state and the search attribute.
func (c *conversation) showWindow(ctx workflow.Context, state string) error {
	c.state.ReplyWindow = state
	err := workflow.ExecuteActivity(ctx, a.SetReplyWindow, activities.ReplyWindowInput{
		AccountID: c.in.AccountID, TicketID: c.state.TicketID,
		Window: domain.ReplyWindow{State: state, OpenUntil: c.state.OpenUntil, HumanAgentUntil: c.state.HumanAgentUntil},
	}).Get(ctx, nil)
	if err != nil {
		return c.fail(ctx, "set reply window", err)
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, ReplyWindowKey.ValueSet(state)); err != nil {
		return fmt.Errorf("upsert reply window: %w", err)
	}
	return nil
}

// TagSuppressed marks an automated reply the window did not let out; it is recorded, not sent.
const TagSuppressed = activities.TagSuppressed

// replyTag checks a reply against the window and returns the tag it goes out
// with; an automated reply (no agent behind it) in the human-agent window gets
// TagSuppressed: it is recorded as suppressed and not sent.
func (c *conversation) replyTag(r ReplyRequest) (string, error) {
	if !c.windowed() {
		return "", nil
	}
	switch c.state.ReplyWindow {
	case domain.WindowHumanAgentOnly:
		if r.AuthorUserID == "" {
			return TagSuppressed, nil
		}
		return TagHumanAgent, nil
	case domain.WindowClosed:
		t := c.traits()
		if t.Templates() && r.Template != nil {
			return "", nil // approved templates may be sent at any time
		}
		if t.Templates() {
			return "", fmt.Errorf("the %s customer-service window closed at %s (24 hours after the customer's last message); only an approved template may be sent", t.Label, stamp(c.state.OpenUntil))
		}
		return "", fmt.Errorf("the reply window closed at %s: %s allows replies for 7 days after the customer's last message", stamp(c.state.HumanAgentUntil), t.Label)
	}
	return "", nil
}

func stamp(t *time.Time) string {
	if t == nil {
		return "an unknown time"
	}
	return t.UTC().Format(time.RFC3339)
}
