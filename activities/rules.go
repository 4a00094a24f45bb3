package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/rules"
)

// EvaluateRulesInput names what the rules look at: the first message, its contact and channel.
type EvaluateRulesInput struct {
	AccountID    string `json:"account_id"`
	ChannelID    string `json:"channel_id"`
	MessageID    string `json:"message_id"`
	ContactID    string `json:"contact_id"`
	ContactIsNew bool   `json:"contact_is_new"`
}

// RulesOutcome is the result of the account's rules for one ticket, with the
// rule set version it was computed from; it is recorded in the workflow's
// history, so a replay never depends on rules edited later.
type RulesOutcome struct {
	RuleSetVersion int64             `json:"rule_set_version"`
	Matched        []string          `json:"matched"`
	Properties     map[string]any    `json:"properties"`
	RequiredSkills []string          `json:"required_skills"`
	Errors         []rules.RuleError `json:"errors,omitempty"`
}

// Record is the outcome as the ticket's routing record keeps it (JSON), nil when it cannot be encoded.
func (o *RulesOutcome) Record() json.RawMessage {
	if o == nil {
		return nil
	}
	b, err := json.Marshal(o)
	if err != nil {
		return nil // the evaluator refuses values JSON cannot hold, so this does not happen
	}
	return b
}

// EvaluateRules runs the account's enabled rules against a snapshot of the
// ticket-to-be (channel defaults and the first message), the contact and the channel.
func (a *Activities) EvaluateRules(ctx context.Context, in EvaluateRulesInput) (RulesOutcome, error) {
	ch, err := a.Store.Channel(ctx, in.AccountID, in.ChannelID)
	if err != nil {
		return RulesOutcome{}, classify(fmt.Errorf("evaluate rules: %w", err))
	}
	msg, err := a.Store.Message(ctx, in.AccountID, in.MessageID)
	if err != nil {
		return RulesOutcome{}, classify(fmt.Errorf("evaluate rules: %w", err))
	}
	return a.evaluateRules(ctx, in, ch, msg)
}

// evaluateRules is EvaluateRules once the channel and the message are loaded.
func (a *Activities) evaluateRules(ctx context.Context, in EvaluateRulesInput, ch domain.Channel, msg domain.Message) (RulesOutcome, error) {
	d := withMessageProperties(ch.TicketDefaults, msg.Properties)
	env := rules.Env{
		Ticket: rules.Ticket{Subject: Subject(msg, ch.Name), Description: Description(msg), Pipeline: d.Pipeline,
			Status: d.Status, Priority: d.Priority, Properties: d.Properties},
		Message: rules.Message{Text: msg.Text, Subject: msg.Subject, From: msg.Author.Email,
			Hidden: map[string]string{}, Fields: map[string]string{}},
		Channel: rules.Channel{ID: ch.ID, Type: ch.Type, Name: ch.Name},
	}
	if sub := msg.Submission; sub != nil {
		maps.Copy(env.Message.Hidden, sub.Hidden)
		maps.Copy(env.Message.Fields, sub.Fields)
	}
	return a.evaluate(ctx, in, ch.ID, env)
}

// TicketDraft is a ticket without a channel as the rules see it before it is stored.
type TicketDraft struct {
	AccountID   string
	ContactID   string
	From        string
	Subject     string
	Description string
	Defaults    domain.TicketDefaults
}

// EvaluateTicketRules runs the account's rules on a ticket without a channel (POST /v1/tickets):
// rules scoped to a channel do not apply, `channel` is empty and `message` holds the ticket's
// subject and description.
func (a *Activities) EvaluateTicketRules(ctx context.Context, t TicketDraft) (RulesOutcome, error) {
	d := t.Defaults
	env := rules.Env{
		Ticket: rules.Ticket{Subject: t.Subject, Description: t.Description, Pipeline: d.Pipeline,
			Status: d.Status, Priority: d.Priority, Properties: orEmptyProps(d.Properties)},
		Message: rules.Message{Text: t.Description, Subject: t.Subject, From: t.From,
			Hidden: map[string]string{}, Fields: map[string]string{}},
	}
	return a.evaluate(ctx, EvaluateRulesInput{AccountID: t.AccountID, ContactID: t.ContactID}, "", env)
}

func orEmptyProps(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// evaluate runs the account's enabled rules (those of channelID and those of every channel) on env, with the contact's part filled in.
func (a *Activities) evaluate(ctx context.Context, in EvaluateRulesInput, channelID string, env rules.Env) (RulesOutcome, error) {
	acc, err := a.Store.Account(ctx, in.AccountID)
	if err != nil {
		return RulesOutcome{}, classify(fmt.Errorf("evaluate rules: %w", err))
	}
	set, err := a.Store.RuleSet(ctx, in.AccountID)
	if err != nil {
		return RulesOutcome{}, classify(err)
	}
	loc, err := time.LoadLocation(acc.Timezone)
	if err != nil {
		loc = time.UTC
	}
	env.Now = time.Now().In(loc)
	if in.ContactID != "" {
		c, err := a.Store.Contact(ctx, in.AccountID, in.ContactID)
		if err != nil {
			return RulesOutcome{}, classify(fmt.Errorf("evaluate rules: %w", err))
		}
		env.Contact = contactEnv(c, in.ContactIsNew)
	}
	res := a.Rules.Evaluate(set, channelID, env)
	a.reportRuleFailures(ctx, in.AccountID, res.Errors)
	return RulesOutcome{RuleSetVersion: res.RuleSetVersion, Matched: res.Matched, Properties: res.Properties,
		RequiredSkills: res.RequiredSkills, Errors: res.Errors}, nil
}

func contactEnv(c domain.Contact, isNew bool) rules.Contact {
	out := rules.Contact{Name: c.Name, IsNew: isNew, Properties: c.Properties}
	if c.Email != nil {
		out.Email = *c.Email
		if at := strings.LastIndex(out.Email, "@"); at >= 0 {
			out.Domain = strings.ToLower(out.Email[at+1:])
		}
	}
	if c.OwnerUserID != nil {
		out.Owner = *c.OwnerUserID
	}
	out.Country, out.Language, out.Phone, out.Company = c.Country, c.Language, c.Phone, c.Company
	if out.Country == "" { // before contacts had the field, rules read it from properties
		out.Country, _ = c.Properties["country"].(string)
	}
	if out.Language == "" {
		out.Language, _ = c.Properties["language"].(string)
	}
	return out
}

// withMessageProperties is d with the first message's properties (chat: outside_hours) laid over its
// properties: they are facts about this ticket, more specific than a channel default; rules may override both.
func withMessageProperties(d domain.TicketDefaults, msgProps map[string]any) domain.TicketDefaults {
	if len(msgProps) == 0 {
		return d
	}
	out := d
	out.Properties = make(map[string]any, len(d.Properties)+len(msgProps))
	for k, v := range d.Properties {
		out.Properties[k] = v
	}
	for k, v := range msgProps {
		out.Properties[k] = v
	}
	return out
}

// applyRules lays the rules' properties over the channel's ticket defaults:
// pipeline, status and priority are ticket fields, anything else a custom property.
func applyRules(d domain.TicketDefaults, props map[string]any) domain.TicketDefaults {
	out := d
	out.Properties = map[string]any{}
	for k, v := range d.Properties {
		out.Properties[k] = v
	}
	for k, v := range props {
		s := fmt.Sprint(v)
		switch k {
		case "pipeline":
			out.Pipeline = s
		case "status":
			out.Status = s
		case "priority":
			out.Priority = s
		default:
			out.Properties[k] = v
		}
	}
	return out
}
