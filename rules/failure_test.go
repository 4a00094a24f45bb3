package rules

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestValuesThatCannotBeStoredAreRefusedWhenSaved checks the static refusals, each naming its field.
func TestValuesThatCannotBeStoredAreRefusedWhenSaved(t *testing.T) {
	for name, tc := range map[string]struct {
		set  map[string]any
		want string
	}{
		"nan":               {map[string]any{"score": "=0/0"}, "NaN"},
		"plus inf":          {map[string]any{"score": "=1/0"}, "+Inf"},
		"minus inf":         {map[string]any{"score": "=-1/0"}, "-Inf"},
		"float inf":         {map[string]any{"score": "=1.5/0"}, "+Inf"},
		"number priority":   {map[string]any{"priority": "=1/0"}, "priority takes text"},
		"typed priority":    {map[string]any{"priority": "=message.attachments + 1"}, "an integer, but priority takes text"},
		"bool status":       {map[string]any{"status": "=contact.is_new"}, "a boolean, but status takes text"},
		"literal priority":  {map[string]any{"priority": 5.0}, "is a number, but priority takes text"},
		"long pipeline":     {map[string]any{"pipeline": strings.Repeat("p", MaxTicketFieldBytes+1)}, "the limit is 100"},
		"nul literal":       {map[string]any{"note": "a\x00b"}, "NUL"},
		"list literal":      {map[string]any{"tags": []any{"a"}}, "must be a string, number, boolean"},
		"function":          {map[string]any{"f": "=now.Add"}, ""},
		"nil for a field":   {map[string]any{"priority": "=nil"}, "priority takes text"},
		"constant nul expr": {map[string]any{"note": "=\"a\\u0000b\""}, "NUL"},
	} {
		t.Run(name, func(t *testing.T) {
			errs := ValidateRule(propertyRule("r", 1, "true", tc.set))
			require.Len(t, errs, 1, "%+v", errs)
			for k := range tc.set {
				assert.Equal(t, "set."+k, errs[0].Field)
			}
			assert.Contains(t, errs[0].Message, tc.want)
			assert.NotContains(t, errs[0].Message, "float64")
			assert.NotContains(t, errs[0].Message, "rules.")
		})
	}
	// What can be stored still compiles.
	require.Empty(t, ValidateRule(propertyRule("r", 1, "true", map[string]any{
		"priority": "=upper(ticket.priority)", "score": "=1/2", "any": "=ticket.properties.x", "n": 3.0, "vip": true,
	})))
}

// TestEveryRunTimeFailureSkipsOnlyItsRule drives each kind of failure through Evaluate:
// each failing rule is skipped with its kind and field, and the others still apply.
func TestEveryRunTimeFailureSkipsOnlyItsRule(t *testing.T) {
	env := sampleEnv()
	env.Ticket.Properties = map[string]any{"zero": 0.0, "izero": 0, "big": strings.Repeat("x", MaxValueBytes+1),
		"nul": "a\x00b", "list": []any{1.0, "x"}}
	env.Message.Text = strings.Repeat("ab", 2000)
	set := RuleSet{Rules: []Rule{
		propertyRule("error", 90, `ticket.properties.missing.deeper == 1`, map[string]any{"x": "error"}),
		propertyRule("panic", 80, `true`, map[string]any{"p": "=message.attachments % ticket.properties.izero"}),
		propertyRule("nan", 70, `true`, map[string]any{"score": "=ticket.properties.zero / ticket.properties.zero"}),
		propertyRule("inf", 60, `true`, map[string]any{"score": "=1 / ticket.properties.zero"}),
		propertyRule("ninf", 59, `true`, map[string]any{"score": "=-1 / ticket.properties.zero"}),
		propertyRule("wrong-type", 50, `true`, map[string]any{"priority": "=ticket.properties.zero"}),
		propertyRule("too-large", 40, `true`, map[string]any{"blob": "=ticket.properties.big"}),
		propertyRule("nul", 39, `true`, map[string]any{"note": "=ticket.properties.nul"}),
		propertyRule("limit", 30, `len(repeat(message.text, 100000)) > 0`, map[string]any{"x": "limit"}),
		propertyRule("timeout", 20, `any(1..1000000, message.text matches "(a|b)*c")`, map[string]any{"x": "timeout"}),
		propertyRule("fine", 10, `true`, map[string]any{"priority": "high", "list": "=ticket.properties.list"}),
	}}
	e := shortLimits()
	start := time.Now()
	res := e.Evaluate(set, "", env)
	elapsed := time.Since(start)
	assert.Less(t, elapsed, e.evalLimit+time.Second, "the time limits bound the evaluation")
	assert.Equal(t, []string{"fine"}, res.Matched)
	assert.Equal(t, map[string]any{"priority": "high", "list": []any{1.0, "x"}}, res.Properties)
	got := map[string]RuleError{}
	for _, re := range res.Errors {
		got[re.RuleID] = re
	}
	for id, want := range map[string][2]string{
		"error": {FailError, "when"}, "panic": {FailPanic, "set.p"}, "nan": {FailNotFinite, "set.score"},
		"inf": {FailNotFinite, "set.score"}, "ninf": {FailNotFinite, "set.score"}, "wrong-type": {FailUnstorable, "set.priority"},
		"too-large": {FailUnstorable, "set.blob"}, "nul": {FailUnstorable, "set.note"}, "limit": {FailLimit, "when"},
		"timeout": {FailTimeout, "when"},
	} {
		re, ok := got[id]
		if assert.True(t, ok, "rule %s recorded as failed: %+v", id, res.Errors) {
			assert.Equal(t, want[0], re.Kind, "%s: %s", id, re.Message)
			assert.Equal(t, want[1], re.Field, id)
			assert.True(t, strings.HasPrefix(re.Message, want[1]+": "), re.Message)
		}
	}
	assert.Contains(t, got["nan"].Message, "NaN")
	assert.Contains(t, got["inf"].Message, "+Inf")
	assert.Contains(t, got["ninf"].Message, "-Inf")
	assert.Contains(t, got["wrong-type"].Message, "priority takes text")
	// Whatever failed, the result is JSON: it goes into the workflow's history and the API's answers.
	_, err := json.Marshal(res)
	require.NoError(t, err)
}

// TestEvaluationTimeLimitSkipsTheRest checks that rules not reached within EvaluationTimeLimit are skipped, each recorded.
func TestEvaluationTimeLimitSkipsTheRest(t *testing.T) {
	if testing.Short() {
		t.Skip("takes EvaluationTimeLimit")
	}
	env := sampleEnv()
	env.Message.Text = strings.Repeat("ab", 2000)
	var rs []Rule
	e := shortLimits()
	for i := range 12 { // 12 × the rule limit > the evaluation limit
		rs = append(rs, propertyRule(string(rune('a'+i)), 100-i, `any(1..1000000, message.text matches "(a|b)*c")`, map[string]any{"x": "y"}))
	}
	rs = append(rs, propertyRule("z-last", 0, `true`, map[string]any{"x": "y"}))
	start := time.Now()
	res := e.Evaluate(RuleSet{Rules: rs}, "", env)
	assert.Less(t, time.Since(start), e.evalLimit+e.ruleLimit+time.Second)
	require.Len(t, res.Errors, 13)
	last := res.Errors[12]
	assert.Equal(t, "z-last", last.RuleID)
	assert.Equal(t, FailTimeout, last.Kind)
	assert.Contains(t, last.Message, "not evaluated")
}

// shortLimits is an engine whose time limits are far below what the tests' slow rules take
// (a million iterations of a regular expression take hundreds of milliseconds), whatever the machine's speed.
func shortLimits() *Engine {
	e := NewEngine()
	e.ruleLimit, e.evalLimit = 5*time.Millisecond, 40*time.Millisecond
	return e
}
