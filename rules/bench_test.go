package rules

import (
	"fmt"
	"testing"

	"github.com/expr-lang/expr/vm"
)

// benchRule is a typical rule: a domain check, a keyword search and a set value expression.
var benchRule = propertyRule("bench", 10,
	`domain(message.from) in ["bigcorp.se", "acme.com"] && contains_any(message.text, ["refund", "chargeback"])`,
	map[string]any{"priority": "high", "region": "=upper(contact.country)"})

// BenchmarkEvaluateOneRule evaluates one cached rule.
func BenchmarkEvaluateOneRule(b *testing.B) {
	e := NewEngine()
	set := RuleSet{Version: 1, Rules: []Rule{benchRule}}
	env := sampleEnv()
	if res := e.Evaluate(set, "ch_email", env); len(res.Matched) != 1 {
		b.Fatalf("rule did not match: %+v", res)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.Evaluate(set, "ch_email", env)
	}
}

// BenchmarkEvaluate100Rules evaluates a 100-rule set of mixed kinds, all cached.
func BenchmarkEvaluate100Rules(b *testing.B) {
	e := NewEngine()
	var set RuleSet
	for i := range 100 {
		var r Rule
		switch i % 4 {
		case 0:
			r = propertyRule("", i, fmt.Sprintf(`domain(message.from) == "customer%d.com"`, i), map[string]any{"priority": "high"})
		case 1:
			r = skillRule("", i, fmt.Sprintf(`contact.language == "l%d" || upper(contact.country) == "C%d"`, i, i), "lang")
		case 2:
			r = propertyRule("", i, fmt.Sprintf(`contains_any(message.text, ["kw%d", "refund"]) && message.attachments >= %d`, i, i%3), map[string]any{"pipeline": "billing", "tag": "=lower(channel.type)"})
		case 3:
			r = propertyRule("", i, fmt.Sprintf(`matches(ticket.subject, "(?i)order [0-9]+") && ticket.properties.order_total > %d`, i), map[string]any{"queue": fmt.Sprintf("q%d", i)})
		}
		r.ID = fmt.Sprintf("rule-%03d", i)
		set.Rules = append(set.Rules, r)
	}
	env := sampleEnv()
	res := e.Evaluate(set, "ch_email", env)
	if len(res.Errors) > 0 || len(res.Matched) == 0 {
		b.Fatalf("unexpected result: %+v", res)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.Evaluate(set, "ch_email", env)
	}
}

// BenchmarkCompileEveryTime is the baseline without a cache: compile the rule, then run it.
func BenchmarkCompileEveryTime(b *testing.B) {
	env := sampleEnv()
	b.ReportAllocs()
	for b.Loop() {
		c := compileRule(benchRule)
		if len(c.errs) > 0 {
			b.Fatal(c.errorMessage())
		}
		ev := &evaluator{env: env, vm: vm.VM{MemoryBudget: MemoryBudget}}
		ev.env.meter = &ev.meter
		if _, _, err := ev.apply(c); err != nil {
			b.Fatal(err)
		}
	}
}
