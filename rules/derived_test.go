package rules

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDerivedValuesAreSharedWithinAnEvaluation(t *testing.T) {
	tests := []struct {
		when, shared string
	}{
		{`domain(message.from) == "bigcorp.se"`, derivedName},
		{`upper(contact.country) == "SE"`, derivedName},
		{`lower(message.from) == "anna.svensson@bigcorp.se"`, derivedName},
		{`ticket.subject matches "(?i)order [0-9]+"`, fieldMatchName},
		{`matches(message.subject, "^Refund")`, fieldMatchName},
		{`contains_any(message.text, ["nothing", "REFUND"])`, fieldContainsName},
	}
	for _, tt := range tests {
		t.Run(tt.when, func(t *testing.T) {
			p, ce := compileExpr(tt.when, true)
			require.Nil(t, ce)
			assert.Contains(t, disassemble(p), tt.shared)
			got, err := evalWhen(t, tt.when, sampleEnv())
			require.NoError(t, err)
			assert.Equal(t, true, got)
		})
	}
	// A value of anything but a bare field is computed as written.
	p, ce := compileExpr(`upper(trim(contact.country)) == "SE"`, true)
	require.Nil(t, ce)
	assert.NotContains(t, disassemble(p), derivedName)
}

func TestDerivedValuesDoNotLeakBetweenEvaluations(t *testing.T) {
	e := NewEngine()
	set := RuleSet{Version: 1, Rules: []Rule{
		propertyRule("r1", 2, `domain(message.from) == "bigcorp.se"`, map[string]any{"d": "=domain(message.from)"}),
		propertyRule("r2", 1, `ticket.subject matches "(?i)^refund" && upper(contact.country) == "SE"`, map[string]any{"c": "=upper(contact.country)"}),
	}}
	env := sampleEnv()
	res := e.Evaluate(set, "ch", env)
	require.Empty(t, res.Errors)
	assert.Equal(t, []string{"r1", "r2"}, res.Matched)
	assert.Equal(t, map[string]any{"d": "bigcorp.se", "c": "SE"}, res.Properties)

	// The pooled evaluator runs the next evaluation on another env: nothing carries over.
	other := sampleEnv()
	other.Message.From = "bo@Example.COM"
	other.Ticket.Subject = "Invoice"
	other.Contact.Country = "no"
	for range 3 {
		res = e.Evaluate(set, "ch", other)
		require.Empty(t, res.Errors)
		assert.Empty(t, res.Matched)
	}
	set.Rules[0].When, set.Rules[0].Version = `domain(message.from) == "example.com"`, 2
	res = e.Evaluate(set, "ch", other)
	assert.Equal(t, []string{"r1"}, res.Matched)
	assert.Equal(t, map[string]any{"d": "example.com"}, res.Properties)
}

func TestDerivedValuesStillChargeTheWorkBudget(t *testing.T) {
	env := sampleEnv()
	env.Message.Text = strings.Repeat("x", MaxWork/4)
	// Each use of the shared upper-cased text charges its length: five uses exceed the budget.
	when := `len(upper(message.text)) + len(upper(message.text)) + len(upper(message.text)) + len(upper(message.text)) + len(upper(message.text)) > 0`
	p, ce := compileExpr(when, true)
	require.Nil(t, ce)
	// The charge is folded into the shared value's call: no wrapper variable is stored.
	assert.Contains(t, disassemble(p), derivedChargedName)
	assert.NotContains(t, disassemble(p), "OpStore")
	_, err := evalWhen(t, when, env)
	require.ErrorIs(t, err, ErrLimit)
	_, err = evalWhen(t, `len(upper(message.text)) > 0`, env)
	require.NoError(t, err)
}

func TestInternalDerivedCallsRejectBadIndexes(t *testing.T) {
	_, err := evalWhen(t, `_derived($env, 100000) == ""`, sampleEnv())
	assert.Error(t, err)
	_, err = evalWhen(t, `_derived($env, 31) == ""`, sampleEnv())
	assert.Error(t, err)
	_, err = evalWhen(t, `_derived_charged($env, 100000) == ""`, sampleEnv())
	assert.Error(t, err)
	_, err = fieldContainsFunc(&runEnv{}, len(stringFields), []string{"x"})
	assert.Error(t, err)
}

// TestSharedContainsAnyKeepsItsAnswers runs contains_any on a field (shared:
// the field lower-cased once per evaluation) and on the same text as a
// computed value (not shared) over texts and lists that ASCII-only, Unicode
// and empty items make hard, and checks both against strings.ToLower.
func TestSharedContainsAnyKeepsItsAnswers(t *testing.T) {
	texts := []string{"", "Refund please", "REFUND", "I want a reFUNd!", "Återbetalning tack", "ÅTERBETALNING", "İstanbul", "straße", "x", "[at]@{z}`", "bad \xff utf-8"}
	lists := [][]string{{""}, {"refund"}, {"FUND"}, {"återbetalning"}, {"ÅTER", "zzz"}, {"i̇stanbul"}, {"STRASSE"}, {"@", "["}, {"`"}, {"{Z}"}, {"", "x"}, {"refund please!"}}
	for _, text := range texts {
		for _, list := range lists {
			quoted := make([]string, len(list))
			lower := strings.ToLower(text)
			want := false
			for i, item := range list {
				quoted[i] = strconv.Quote(item)
				want = want || item != "" && strings.Contains(lower, strings.ToLower(item))
			}
			env := sampleEnv()
			env.Message.Text = text
			for _, when := range []string{
				fmt.Sprintf(`contains_any(message.text, [%s])`, strings.Join(quoted, ", ")),
				fmt.Sprintf(`contains_any(message.text + "", [%s])`, strings.Join(quoted, ", ")),
			} {
				got, err := evalWhen(t, when, env)
				require.NoError(t, err, when)
				assert.Equal(t, want, got, "%s on %q", when, text)
			}
		}
	}
}
