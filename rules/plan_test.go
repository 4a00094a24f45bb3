package rules

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlannedEvaluationFollowsEveryChange evaluates a set, then the set
// changed in each way a plan depends on — in place and as a fresh copy, as a
// set loaded again from the store is — and checks that an engine holding the
// old plan gives what a new engine gives.
func TestPlannedEvaluationFollowsEveryChange(t *testing.T) {
	base := func() []Rule {
		stop := propertyRule("d", 5, `contact.country == "se"`, map[string]any{"team": "stop"})
		stop.StopProcessing = true
		return []Rule{
			propertyRule("a", 10, `domain(message.from) == "bigcorp.se"`, map[string]any{"priority": "high", "region": "=upper(contact.country)"}),
			skillRule("b", 20, `contains_any(message.text, ["refund"])`, "billing"),
			propertyRule("c", 1, `true`, map[string]any{"priority": "low", "pipeline": "general"}),
			stop,
			skillRule("e", 0, `true`, "late"),
		}
	}
	changes := map[string]func(rules []Rule){
		"nothing":              func([]Rule) {},
		"disabled":             func(r []Rule) { r[1].Enabled = false },
		"priority":             func(r []Rule) { r[2].Priority = 30 },
		"priority tie by id":   func(r []Rule) { r[2].Priority = 10 },
		"other channel":        func(r []Rule) { r[0].ChannelID = "ch_chat" },
		"this channel":         func(r []Rule) { r[0].ChannelID = "ch_email" },
		"id":                   func(r []Rule) { r[2].ID = "0" },
		"version":              func(r []Rule) { r[0].Version, r[0].When = 2, `false` },
		"text, same version":   func(r []Rule) { r[0].When = `domain(message.from) == "other.se"` },
		"set value in place":   func(r []Rule) { r[2].Set["priority"] = "urgent" },
		"set key in place":     func(r []Rule) { delete(r[2].Set, "pipeline"); r[2].Set["queue"] = "q" },
		"skills in place":      func(r []Rule) { r[1].RequireSkills[0] = "refunds" },
		"kind":                 func(r []Rule) { r[4].Kind = KindProperty },
		"stop processing":      func(r []Rule) { r[3].StopProcessing = false },
		"invalid":              func(r []Rule) { r[4].When = `nope(` },
		"rule appended":        nil,
		"first rule removed":   nil,
		"rules in other order": nil,
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			e := NewEngine()
			rules := base()
			set := RuleSet{Version: 3, Rules: rules}
			for range 3 { // the second and third run on the plan
				require.Equal(t, NewEngine().Evaluate(set, "ch_email", sampleEnv()), e.Evaluate(set, "ch_email", sampleEnv()))
			}
			require.Len(t, e.plans.m, 1, "the plan is cached")
			switch name {
			case "rule appended":
				set.Rules = append(rules, propertyRule("f", 100, `true`, map[string]any{"priority": "first"}))
			case "first rule removed":
				set.Rules = rules[1:]
			case "rules in other order":
				set.Rules = []Rule{rules[0], rules[4], rules[2], rules[3], rules[1]}
			default:
				change(rules)
			}
			for _, s := range []RuleSet{set, {Version: set.Version, Rules: append([]Rule(nil), set.Rules...)}} {
				want := NewEngine().Evaluate(s, "ch_email", sampleEnv())
				for range 2 {
					assert.Equal(t, want, e.Evaluate(s, "ch_email", sampleEnv()))
				}
			}
		})
	}
}

// TestPlanIsReusedForASetLoadedAgain checks that a copy of a set (what the
// store returns on every read) hits the plan instead of making a new one.
func TestPlanIsReusedForASetLoadedAgain(t *testing.T) {
	e := NewEngine()
	set := hundredRules()
	want := e.Evaluate(set, "ch_email", sampleEnv())
	plan := e.plans.m[keyOf(&set, "ch_email")]
	require.NotNil(t, plan)
	for range 3 {
		again := RuleSet{Version: set.Version, Rules: append([]Rule(nil), set.Rules...)}
		assert.Equal(t, want, e.Evaluate(again, "ch_email", sampleEnv()))
	}
	assert.Same(t, plan, e.plans.m[keyOf(&set, "ch_email")], "the plan was reused")
	e.Evaluate(set, "ch_chat", sampleEnv())
	assert.Len(t, e.plans.m, 2, "one plan per channel")
}

// TestPlansAreBounded checks that the plans hold at most max rules together.
func TestPlansAreBounded(t *testing.T) {
	e := NewEngine()
	e.plans.max = 10
	for i := range 20 {
		set := RuleSet{Version: int64(i), Rules: []Rule{
			propertyRule(fmt.Sprintf("r%d", i), 1, `true`, map[string]any{"x": "y"}),
			skillRule(fmt.Sprintf("s%d", i), 1, `true`, "z"),
			skillRule(fmt.Sprintf("t%d", i), 1, `false`, "z"),
		}}
		e.Evaluate(set, "", sampleEnv())
		total := 0
		for _, p := range e.plans.m {
			total += len(p.rules)
		}
		assert.Equal(t, e.plans.rules, total)
		assert.LessOrEqual(t, total, 10)
	}
	assert.NotEmpty(t, e.plans.m)
}

// TestTheFirstRuleToSetAPropertyWinsAmongManyKeys sets more distinct
// properties than collect compares without the map.
func TestTheFirstRuleToSetAPropertyWinsAmongManyKeys(t *testing.T) {
	first, second := map[string]any{}, map[string]any{}
	want := map[string]any{}
	for i := range 2 * maxPropertiesHint {
		k := fmt.Sprintf("k%02d", i)
		first[k], second[k] = "first", "second"
		want[k] = "first"
		if i%3 == 0 { // keys only the second rule sets
			delete(first, k)
			want[k] = "second"
		}
	}
	set := RuleSet{Rules: []Rule{propertyRule("a", 2, `true`, first), propertyRule("b", 1, `true`, second)}}
	assert.Equal(t, want, NewEngine().Evaluate(set, "", sampleEnv()).Properties)
}
