package workflows

import (
	"fmt"
	"reflect"
	"strings"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/routedesk/routedesk/domain"
)

// What the Temporal UI shows of a conversation: a static summary and
// details given at start (StaticSummary, StaticDetails, set by the API from
// the first message), current details kept up to date by the workflow
// (describe) and a summary on every activity (ActivitySummaries). They hold
// personal data (the contact's name, the subject): the payload codec
// encrypts them like every payload.

// WaitingSinceKey is when the conversation began to wait for an agent; unset when it is not waiting.
var WaitingSinceKey = temporal.NewSearchAttributeKeyTime("WaitingSince")

// maxSummaryRunes bounds the one-line static summary.
const maxSummaryRunes = 200

// StaticSummary is the one line the Temporal UI shows for a conversation:
// channel, contact and subject of its first message.
func StaticSummary(in ConversationInput) string {
	parts := []string{channelLabel(in)}
	if in.Contact != "" {
		parts = append(parts, in.Contact)
	}
	if in.Subject != "" {
		parts = append(parts, "“"+in.Subject+"”")
	}
	return clip(oneLine(strings.Join(parts, " · ")), maxSummaryRunes)
}

// StaticDetails is the Markdown the Temporal UI shows under the summary: what the conversation is.
func StaticDetails(in ConversationInput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**Channel** %s (`%s`)  \n", channelLabel(in), in.ChannelID)
	fmt.Fprintf(&b, "**Conversation** `%s`  \n", in.ConversationID)
	if in.Contact != "" {
		fmt.Fprintf(&b, "**Contact** %s  \n", oneLine(in.Contact))
	}
	if in.Subject != "" {
		fmt.Fprintf(&b, "**First message** %s\n", oneLine(in.Subject))
	}
	return b.String()
}

func channelLabel(in ConversationInput) string {
	if in.ChannelID == "" {
		return "no channel (a ticket's own workflow)"
	}
	if in.ChannelName == "" {
		return in.ChannelType
	}
	return in.ChannelType + " “" + in.ChannelName + "”"
}

// describe sets the workflow's current details, shown by the Temporal UI:
// ticket, contact, routing state, assignee and reply window as they are now.
// It issues no command, so it changes no history.
func (c *conversation) describe(ctx workflow.Context) {
	s := c.state
	var b strings.Builder
	b.WriteString(fmt.Sprintf("**Channel** %s  \n", channelLabel(c.in)))
	if s.TicketID != "" {
		b.WriteString(fmt.Sprintf("**Ticket** `%s` (%s)", s.TicketID, orDash(s.Status)))
		if c.in.Subject != "" {
			b.WriteString(fmt.Sprintf(" %s", oneLine(c.in.Subject)))
		}
		b.WriteString("  \n")
	}
	contact := oneLine(c.in.Contact)
	if s.ContactID != "" {
		contact = strings.TrimSpace(contact + " `" + s.ContactID + "`")
	}
	b.WriteString(fmt.Sprintf("**Contact** %s  \n", orDash(contact)))
	b.WriteString(fmt.Sprintf("**Routing** %s", orDash(s.RoutingState)))
	if s.RoutingState == domain.RoutingWaitingForAgent && s.WaitingSince != nil {
		b.WriteString(fmt.Sprintf(" since %s", stamp(s.WaitingSince)))
		if s.WaitUntil != nil {
			b.WriteString(fmt.Sprintf(", until %s", stamp(s.WaitUntil)))
		}
	}
	b.WriteString("  \n")
	assignee := "none"
	if s.AssigneeID != "" {
		assignee = "`" + s.AssigneeID + "`"
	}
	b.WriteString(fmt.Sprintf("**Assignee** %s  \n", assignee))
	b.WriteString(fmt.Sprintf("**Reply window** %s", orDash(s.ReplyWindow)))
	switch {
	case s.ReplyWindow == domain.WindowOpen && s.OpenUntil != nil:
		b.WriteString(fmt.Sprintf(" until %s", stamp(s.OpenUntil)))
	case s.ReplyWindow == domain.WindowHumanAgentOnly && s.HumanAgentUntil != nil:
		b.WriteString(fmt.Sprintf(" until %s", stamp(s.HumanAgentUntil)))
	}
	b.WriteString(fmt.Sprintf("  \n**Messages** %d\n", s.MessageCount))
	workflow.SetCurrentDetails(ctx, b.String())
}

// waitingSince is the WaitingSince update that goes with a routing state
// (nil for histories from before it existed).
func (c *conversation) waitingSince(ctx workflow.Context, state string) temporal.SearchAttributeUpdate {
	if workflow.GetVersion(ctx, changeOpsView, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	if state == domain.RoutingWaitingForAgent && c.state.WaitingSince != nil {
		return WaitingSinceKey.ValueSet(*c.state.WaitingSince)
	}
	return WaitingSinceKey.ValueUnset()
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// activitySummaries name what each activity does, for the Temporal UI's event list.
var activitySummaries = map[string]string{
	"OpenConversation": "Open the conversation: contact, rules, ticket and route",
	"EvaluateRules":    "Evaluate the routing rules",
	"LoadTicket":       "Load the ticket",
	"Route":            "Route the ticket to an agent",
	"StopWaiting":      "Stop waiting for an agent",
	"Dispatch":         "Give a freed agent the oldest waiting tickets",
	"ChangeTicket":     "Change the ticket (status or assignee)",
	"Reopen":           "Reopen the ticket",
	"ReopenOnMessage":  "Reopen the ticket on the customer's message",
	"CloseSolved":      "Close the solved ticket",
	"OpenFollowUp":     "Open a follow-up of the closed ticket",
	"SetRoutingState":  "Record the routing state",
	"SetReplyWindow":   "Record the reply window",
	"Welcome":          "Send the automated first messages",
	"FailWelcome":      "Mark the automated first messages failed",
	"NotifyOwner":      "Tell the contact's owner by email",
	"StoreReply":       "Store the agent's reply",
	"SendReply":        "Send the reply on the channel",
	"FailReply":        "Mark the reply failed",
}

// ActivitySummaries is a worker interceptor that gives every activity the
// conversation schedules a summary: what it does, and the ticket or state it acts on.
type ActivitySummaries struct{ interceptor.InterceptorBase }

// InterceptWorkflow implements interceptor.WorkerInterceptor.
func (*ActivitySummaries) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &summaryInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

type summaryInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (i *summaryInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	return i.Next.Init(&summaryOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: outbound}})
}

type summaryOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

func (o *summaryOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	if opts := workflow.GetActivityOptions(ctx); opts.Summary == "" {
		if s := ActivitySummary(activityType, args...); s != "" {
			opts.Summary = s
			ctx = workflow.WithActivityOptions(ctx, opts)
		}
	}
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

func (o *summaryOutbound) ExecuteLocalActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	if opts := workflow.GetLocalActivityOptions(ctx); opts.Summary == "" {
		if s := ActivitySummary(activityType, args...); s != "" {
			opts.Summary = s
			ctx = workflow.WithLocalActivityOptions(ctx, opts)
		}
	}
	return o.Next.ExecuteLocalActivity(ctx, activityType, args...)
}

// ActivitySummary is the summary of an activity call: what it does, then
// the ticket, state or window of its input when it has them (ids only).
// workflowcheck flags reflect.Value.FieldByName (it may walk embedded structs'
// fields); reading a struct's fields by name is deterministic.
//
//workflowcheck:ignore
func ActivitySummary(activityType string, args ...any) string {
	what, ok := activitySummaries[activityType]
	if !ok {
		return ""
	}
	if len(args) == 1 {
		v := reflect.Indirect(reflect.ValueOf(args[0]))
		if v.Kind() == reflect.Struct {
			for _, f := range []string{"State", "Window", "TicketID"} {
				if fv := v.FieldByName(f); fv.IsValid() {
					if s := fieldText(fv); s != "" {
						what += " · " + s
					}
				}
			}
		}
	}
	return what
}

func fieldText(v reflect.Value) string {
	if v.Kind() == reflect.String {
		return v.String()
	}
	if st := v.FieldByName("State"); v.Kind() == reflect.Struct && st.IsValid() && st.Kind() == reflect.String {
		return st.String()
	}
	return ""
}

var _ interceptor.WorkerInterceptor = (*ActivitySummaries)(nil)
