package rules

// Kind says what a rule does when it matches.
type Kind string

// The two kinds of rule.
const (
	// KindProperty rules set ticket properties.
	KindProperty Kind = "property"
	// KindSkill rules add skills an assignee must have.
	KindSkill Kind = "skill"
)

// Rule is one routing rule of an account, as stored and as sent to the API.
type Rule struct {
	// ID identifies the rule within routedesk.
	ID string `json:"id"`
	// Version increases on every edit; compiled programs are cached per (ID, Version).
	Version int `json:"version"`
	// Name is the admin's label for the rule.
	Name string `json:"name"`
	// Kind is property or skill.
	Kind Kind `json:"kind"`
	// ChannelID scopes the rule to one channel; "" means every channel.
	ChannelID string `json:"channel_id"`
	// When is the boolean expression that decides whether the rule matches.
	When string `json:"when"`
	// Set holds the properties a property rule sets: literals, or "=expression" strings.
	Set map[string]any `json:"set,omitempty"`
	// RequireSkills lists the skills a skill rule requires.
	RequireSkills []string `json:"require_skills,omitempty"`
	// Priority orders evaluation: higher numbers run first.
	Priority int `json:"priority"`
	// Enabled rules are evaluated; disabled ones are skipped.
	Enabled bool `json:"enabled"`
	// StopProcessing makes a matching rule the last one evaluated.
	StopProcessing bool `json:"stop_processing"`
}

// RuleSet is a snapshot of an account's rules at one version.
type RuleSet struct {
	// Version identifies the snapshot; it is echoed in Result.RuleSetVersion.
	Version int64 `json:"version"`
	// Rules are the account's rules, in any order.
	Rules []Rule `json:"rules"`
}

// Result is the outcome of evaluating a RuleSet against one Env.
type Result struct {
	// RuleSetVersion is the Version of the evaluated RuleSet.
	RuleSetVersion int64 `json:"rule_set_version"`
	// Matched lists the IDs of the matching rules in evaluation order.
	Matched []string `json:"matched"`
	// Properties are the ticket properties the matching property rules set.
	Properties map[string]any `json:"properties"`
	// RequiredSkills is the sorted union of the matching skill rules' skills.
	RequiredSkills []string `json:"required_skills"`
	// Errors lists the rules that failed to compile or run; they did not match.
	Errors []RuleError `json:"errors,omitempty"`
}

// RuleError reports one rule that could not be evaluated and was skipped.
type RuleError struct {
	// RuleID is the ID of the failing rule.
	RuleID string `json:"rule_id"`
	// Kind says why, as one of the Fail* kinds: invalid, error, panic, not_finite, unstorable, limit, timeout.
	Kind string `json:"kind,omitempty"`
	// Field is the part of the rule that failed: "when", "set.<property>", or "rule".
	Field string `json:"field,omitempty"`
	// Message says what went wrong, after the field, with the expression's line and column when known.
	Message string `json:"message"`
}

// fail records that rule id failed with f and was skipped.
func (r *Result) fail(id string, f *failure) {
	msg := f.msg
	if f.kind != FailInvalid {
		msg = f.field + ": " + f.msg
	}
	r.Errors = append(r.Errors, RuleError{RuleID: id, Kind: f.kind, Field: f.field, Message: msg})
}
