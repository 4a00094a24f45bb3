package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
)

func TestValidateRule(t *testing.T) {
	base := propertyRule("r1", 10, `contact.is_new`, map[string]any{"priority": "high"})
	skill := skillRule("r2", 10, `contact.language == "sv"`, "swedish")
	with := func(r Rule, edit func(*Rule)) Rule { edit(&r); return r }
	tests := []struct {
		name string
		rule Rule
		want map[string]string // field → substring of its message; empty means valid
	}{
		{"valid property rule", base, nil},
		{"valid skill rule", skill, nil},
		{"valid set values of every type", with(base, func(r *Rule) {
			r.Set = map[string]any{"priority": "high", "score": 3.5, "escalate": true, "region": "=upper(contact.country)", "note": "==literal"}
		}), nil},
		{"missing name", with(base, func(r *Rule) { r.Name = " " }), map[string]string{"name": "is required"}},
		{"bad kind", with(base, func(r *Rule) { r.Kind = "route" }), map[string]string{"kind": `must be "property" or "skill"`}},
		{"missing when", with(base, func(r *Rule) { r.When = "" }), map[string]string{"when": "is required"}},
		{"when typo", with(base, func(r *Rule) { r.When = "contact.is_new &&\n ticket.subjct == \"x\"" }), map[string]string{"when": "2:9 `ticket` has no field `subjct`; did you mean `subject`?"}},
		{"when not bool", with(base, func(r *Rule) { r.When = "contact.name" }), map[string]string{"when": "1:1 a when expression must be true or false"}},
		{"when too long", with(base, func(r *Rule) { r.When = strings.Repeat(" ", 5000) + "true" }), map[string]string{"when": "expression is 5004 bytes; the limit is 4096"}},
		{"set expression error counts the =", with(base, func(r *Rule) { r.Set = map[string]any{"region": "=upper(contact.countr)"} }), map[string]string{"set.region": "1:16 `contact` has no field `countr`; did you mean `country`?"}},
		{"set expression on line 2", with(base, func(r *Rule) { r.Set = map[string]any{"region": "=contact.country +\n contact.langauge"} }), map[string]string{"set.region": "2:10 `contact` has no field `langauge`; did you mean `language`?"}},
		{"set value of a bad type", with(base, func(r *Rule) { r.Set = map[string]any{"tags": []any{"a"}} }), map[string]string{"set.tags": "must be a string, number, boolean"}},
		{"set literal too long", with(base, func(r *Rule) { r.Set = map[string]any{"note": strings.Repeat("x", MaxLiteralBytes+1)} }), map[string]string{"set.note": "the limit is 4096"}},
		{"bad property key", with(base, func(r *Rule) { r.Set = map[string]any{"bad key": "x"} }), map[string]string{"set.bad key": "property names"}},
		{"property rule without set", with(base, func(r *Rule) { r.Set = nil }), map[string]string{"set": "at least one property"}},
		{"property rule with skills", with(base, func(r *Rule) { r.RequireSkills = []string{"x"} }), map[string]string{"require_skills": "only skill rules"}},
		{"skill rule without skills", with(skill, func(r *Rule) { r.RequireSkills = nil }), map[string]string{"require_skills": "at least one skill"}},
		{"skill rule with set", with(skill, func(r *Rule) { r.Set = map[string]any{"priority": "high"} }), map[string]string{"set": "only property rules"}},
		{"blank skill", with(skill, func(r *Rule) { r.RequireSkills = []string{"swedish", ""} }), map[string]string{"require_skills[1]": "is empty"}},
		{"too many skills", with(skill, func(r *Rule) { r.RequireSkills = strings.Split(strings.Repeat("s,", MaxSkills)+"s", ",") }), map[string]string{"require_skills": "the limit is 20"}},
		{"several errors at once", with(base, func(r *Rule) { r.Name = ""; r.When = "1" }), map[string]string{"name": "is required", "when": "must be true or false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := ValidateRule(tt.rule)
			got := map[string]string{}
			for _, fe := range errs {
				assert.NotContains(t, fe.Message, "line ", "the position is said once, in Line and Column")
				got[fe.Field] = fe.Message
				if fe.Line > 0 {
					got[fe.Field] = fmt.Sprintf("%d:%d %s", fe.Line, fe.Column, fe.Message)
				}
			}
			require.Len(t, got, len(tt.want), "errors: %v", errs)
			for field, msg := range tt.want {
				assert.Contains(t, got[field], msg, "field %s", field)
			}
		})
	}
}

func TestEngineCompileReturnsValidationError(t *testing.T) {
	e := NewEngine()
	require.NoError(t, e.Compile(propertyRule("ok", 1, "true", map[string]any{"priority": "high"})))

	err := e.Compile(propertyRule("bad", 1, "ticket.subjct == 1", map[string]any{"priority": "high"}))
	var ve *domain.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Errors, 1)
	assert.Equal(t, "when", ve.Errors[0].Field)
	assert.Equal(t, "`ticket` has no field `subjct`; did you mean `subject`?", ve.Errors[0].Message)
	assert.Equal(t, [2]int{1, 8}, [2]int{ve.Errors[0].Line, ve.Errors[0].Column})
}
