package rules

import (
	"encoding/json"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEvaluateKinds(t *testing.T) {
	e := NewEngine()
	set := RuleSet{Version: 7, Rules: []Rule{
		propertyRule("p-refund", 10, `contains_any(message.text, ["refund"])`, map[string]any{"pipeline": "billing"}),
		propertyRule("p-never", 10, `false`, map[string]any{"pipeline": "never"}),
		skillRule("s-swedish", 10, `contact.language == "sv"`, "swedish"),
		skillRule("s-billing", 5, `ticket.subject matches "(?i)refund"`, "billing", "swedish"),
		skillRule("s-never", 5, `contact.is_new`, "onboarding"),
	}}
	res := e.Evaluate(set, "ch_email", sampleEnv())
	assert.Equal(t, int64(7), res.RuleSetVersion)
	assert.Equal(t, []string{"p-refund", "s-swedish", "s-billing"}, res.Matched)
	assert.Equal(t, map[string]any{"pipeline": "billing"}, res.Properties)
	assert.Equal(t, []string{"billing", "swedish"}, res.RequiredSkills, "union, sorted, deduplicated")
	assert.Empty(t, res.Errors)
}

func TestEvaluatePriorityAndConflicts(t *testing.T) {
	rules := []Rule{
		propertyRule("a-low", 1, `true`, map[string]any{"priority": "low", "pipeline": "general", "team": "tier1"}),
		propertyRule("b-high", 20, `true`, map[string]any{"priority": "high"}),
		propertyRule("c-high-tie", 20, `true`, map[string]any{"priority": "urgent", "pipeline": "vip"}),
		propertyRule("d-mid", 10, `true`, map[string]any{"pipeline": "billing"}),
		propertyRule("e-negative", -5, `true`, map[string]any{"team": "tier0", "extra": 1.0}),
	}
	want := Result{
		Matched:        []string{"b-high", "c-high-tie", "d-mid", "a-low", "e-negative"},
		Properties:     map[string]any{"priority": "high", "pipeline": "vip", "team": "tier1", "extra": 1.0},
		RequiredSkills: []string{},
	}
	e := NewEngine()
	for range 20 { // the input order does not matter
		shuffled := append([]Rule(nil), rules...)
		rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		assert.Equal(t, want, e.Evaluate(RuleSet{Rules: shuffled}, "", sampleEnv()))
	}
}

func TestEvaluateStopProcessing(t *testing.T) {
	stop := propertyRule("b-stop", 20, `contact.country == "se"`, map[string]any{"priority": "high"})
	stop.StopProcessing = true
	stopNoMatch := propertyRule("a-stop-nomatch", 30, `contact.country == "no"`, map[string]any{"priority": "low"})
	stopNoMatch.StopProcessing = true
	set := RuleSet{Rules: []Rule{
		stopNoMatch,
		stop,
		propertyRule("c-later", 10, `true`, map[string]any{"pipeline": "later"}),
		skillRule("d-later-skill", 10, `true`, "anything"),
	}}
	res := NewEngine().Evaluate(set, "", sampleEnv())
	assert.Equal(t, []string{"b-stop"}, res.Matched, "a non-matching stop rule does not stop; a matching one does")
	assert.Equal(t, map[string]any{"priority": "high"}, res.Properties)
	assert.Empty(t, res.RequiredSkills)
}

func TestEvaluateChannelScopingAndDisabled(t *testing.T) {
	email := propertyRule("email-only", 10, `true`, map[string]any{"queue": "email"})
	email.ChannelID = "ch_email"
	chat := propertyRule("chat-only", 10, `true`, map[string]any{"queue": "chat"})
	chat.ChannelID = "ch_chat"
	disabled := skillRule("disabled", 100, `true`, "nobody")
	disabled.Enabled = false
	set := RuleSet{Rules: []Rule{email, chat, disabled, skillRule("global", 1, `true`, "general")}}
	tests := []struct {
		channel string
		matched []string
	}{
		{"ch_email", []string{"email-only", "global"}},
		{"ch_chat", []string{"chat-only", "global"}},
		{"ch_other", []string{"global"}},
		{"", []string{"global"}},
	}
	e := NewEngine()
	for _, tt := range tests {
		t.Run(tt.channel, func(t *testing.T) {
			res := e.Evaluate(set, tt.channel, sampleEnv())
			assert.Equal(t, tt.matched, res.Matched)
			assert.Equal(t, []string{"general"}, res.RequiredSkills)
		})
	}
}

func TestEvaluateRuntimeErrorsAreIsolated(t *testing.T) {
	badWhen := propertyRule("a-nil", 50, `ticket.properties.customer.tier == "gold"`, map[string]any{"priority": "urgent"})
	badWhen.StopProcessing = true
	set := RuleSet{Rules: []Rule{
		badWhen,
		skillRule("b-regex", 40, `matches(message.text, ticket.status + "(")`, "regex"),
		propertyRule("c-bad-set", 30, `true`, map[string]any{"pipeline": "never", "owner": "=ticket.properties.order_total.amount"}),
		propertyRule("d-not-bool", 25, `ticket.properties.order_total > 0 ? true : false`, map[string]any{"big": true}),
		propertyRule("e-ok", 10, `true`, map[string]any{"pipeline": "support"}),
		{ID: "f-invalid", Version: 1, Name: "invalid", Kind: KindProperty, When: `ticket.subjct == ""`, Set: map[string]any{"x": 1.0}, Enabled: true},
		skillRule("g-ok", 5, `true`, "general"),
	}}
	res := NewEngine().Evaluate(set, "", sampleEnv())
	assert.Equal(t, []string{"d-not-bool", "e-ok", "g-ok"}, res.Matched)
	assert.Equal(t, map[string]any{"pipeline": "support", "big": true}, res.Properties, "a failing rule applies nothing")
	assert.Equal(t, []string{"general"}, res.RequiredSkills)

	require.Len(t, res.Errors, 4)
	byRule := map[string]string{}
	for _, re := range res.Errors {
		byRule[re.RuleID] = re.Message
	}
	assert.Contains(t, byRule["a-nil"], "when: line 1, column 28: cannot fetch tier from <nil>")
	assert.Contains(t, byRule["b-regex"], "invalid regular expression")
	assert.Contains(t, byRule["c-bad-set"], "set.owner:")
	assert.Contains(t, byRule["f-invalid"], "rule is invalid")
	assert.Contains(t, byRule["f-invalid"], "when: line 1, column 8: `ticket` has no field `subjct`")
}

func TestEvaluateSetValueExpressions(t *testing.T) {
	set := RuleSet{Rules: []Rule{propertyRule("r", 1, `true`, map[string]any{
		"region":      "=upper(contact.country)",
		"sender":      "=domain(message.from)",
		"files":       "=message.attachments + 1",
		"plan":        "=message.hidden.plan",
		"vip":         "=contact.properties.vip",
		"after_hours": "=!in_business_hours(now, \"Mon-Fri 09:00-17:00\", \"Europe/Stockholm\")",
		"formula":     "==1+1",
		"literal":     "high",
		"score":       3.5,
		"flag":        false,
	})}}
	res := NewEngine().Evaluate(set, "", sampleEnv())
	require.Empty(t, res.Errors)
	assert.Equal(t, map[string]any{
		"region":      "SE",
		"sender":      "bigcorp.se",
		"files":       2,
		"plan":        "enterprise",
		"vip":         true,
		"after_hours": false,
		"formula":     "=1+1",
		"literal":     "high",
		"score":       3.5,
		"flag":        false,
	}, res.Properties)
}

func TestEvaluateNilWhenIsFalse(t *testing.T) {
	res := NewEngine().Evaluate(RuleSet{Rules: []Rule{
		propertyRule("r", 1, `contact.properties.missing`, map[string]any{"x": "y"}),
	}}, "", sampleEnv())
	assert.Empty(t, res.Matched)
	assert.Empty(t, res.Errors)
}

func TestEngineCache(t *testing.T) {
	e := NewEngine()
	v1 := propertyRule("r", 1, `contact.country == "se"`, map[string]any{"priority": "=\"high\""})
	set := func(r Rule) RuleSet { return RuleSet{Rules: []Rule{r}} }

	require.NoError(t, e.Compile(v1))
	assert.EqualValues(t, 1, e.compiles.Load())
	for range 5 {
		assert.Equal(t, []string{"r"}, e.Evaluate(set(v1), "", sampleEnv()).Matched)
	}
	assert.EqualValues(t, 1, e.compiles.Load(), "evaluation never recompiles a cached program")

	v2 := v1
	v2.Version, v2.When = 2, `contact.country == "no"`
	assert.Empty(t, e.Evaluate(set(v2), "", sampleEnv()).Matched, "a new version gets a new program")
	assert.EqualValues(t, 2, e.compiles.Load())
	e.Evaluate(set(v2), "", sampleEnv())
	assert.EqualValues(t, 2, e.compiles.Load())
	assert.Len(t, e.programs, 1, "the stale version was evicted")
	assert.Equal(t, 2, e.programs["r"].version)

	// An old snapshot still evaluates correctly but does not evict the newer program.
	assert.Equal(t, []string{"r"}, e.Evaluate(set(v1), "", sampleEnv()).Matched)
	assert.Equal(t, 2, e.programs["r"].version)

	// Text changed without a version bump (say, a dry run of an unsaved edit): recompiled, never stale.
	edited := v2
	edited.When = `contact.country == "se"`
	assert.Equal(t, []string{"r"}, e.Evaluate(set(edited), "", sampleEnv()).Matched)
	edited.Set = map[string]any{"priority": "low"}
	assert.Equal(t, "low", e.Evaluate(set(edited), "", sampleEnv()).Properties["priority"])
}

func TestEngineCacheIsBounded(t *testing.T) {
	e := NewEngine()
	e.max = 10
	for i := range 50 {
		r := propertyRule(string(rune('a'+i%26))+string(rune('a'+i/26)), 1, `true`, map[string]any{"x": "y"})
		require.NoError(t, e.Compile(r))
	}
	assert.LessOrEqual(t, len(e.programs), 10)
}

func TestEvaluateConcurrently(t *testing.T) {
	e := NewEngine()
	set := RuleSet{Rules: []Rule{
		propertyRule("p", 2, `domain(message.from) == "bigcorp.se"`, map[string]any{"priority": "high", "region": "=upper(contact.country)"}),
		skillRule("s", 1, `matches(message.text, "(?i)refund")`, "billing"),
	}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				r := set.Rules[0]
				r.Version = 1 + i%3 // versions race with each other
				res := e.Evaluate(RuleSet{Rules: []Rule{r, set.Rules[1]}}, "", sampleEnv())
				assert.Equal(t, []string{"p", "s"}, res.Matched)
				assert.Equal(t, "SE", res.Properties["region"])
			}
		}()
	}
	wg.Wait()
}

func TestResultJSON(t *testing.T) {
	res := NewEngine().Evaluate(RuleSet{Version: 3}, "", Env{})
	b, err := json.Marshal(res)
	require.NoError(t, err)
	assert.JSONEq(t, `{"rule_set_version":3,"matched":[],"properties":{},"required_skills":[]}`, string(b))

	var env Env
	require.NoError(t, json.Unmarshal([]byte(`{"ticket":{"subject":"Hi"},"message":{"hidden":{"plan":"pro"}},"contact":{"is_new":true},"channel":{"id":"c1"}}`), &env))
	assert.Equal(t, "pro", env.Message.Hidden["plan"])
	assert.True(t, env.Contact.IsNew)

	var r Rule
	require.NoError(t, json.Unmarshal([]byte(`{"name":"n","kind":"skill","channel_id":null,"when":"true","require_skills":["a"],"priority":10,"enabled":true,"stop_processing":true}`), &r))
	assert.Equal(t, Rule{Name: "n", Kind: KindSkill, When: "true", RequireSkills: []string{"a"}, Priority: 10, Enabled: true, StopProcessing: true}, r)
}
