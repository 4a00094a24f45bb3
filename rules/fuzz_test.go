package rules

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzValidate feeds arbitrary expressions through Validate and evaluates the
// valid ones against a sample env: nothing may panic and every run must end quickly.
func FuzzValidate(f *testing.F) {
	for _, seed := range []string{
		`domain(message.from) in ["bigcorp.se", "acme.com"] || contact.properties.vip == true`,
		`contact.language == "sv" || upper(contact.country) == "SE"`,
		`contains_any(ticket.subject + " " + message.text, ["refund", "chargeback"])`,
		`!in_business_hours(now, "Mon-Fri 08:00-17:00, Sat 10:00-14:00", "Europe/Stockholm")`,
		`channel.type == "form" && message.hidden.plan == "enterprise"`,
		`matches(message.text, "(?i)charged (twice|double)")`,
		`not matches(ticket.subject, "^re:")`,
		`ticket.subject matches "^\\[urgent\\]"`,
		`message.attachments > 2 && ticket.priority != "high"`,
		`contact.is_new && contact.owner == ""`,
		`len(message.fields) > 0 && message.fields.topic == "billing"`,
		`any(split(lower(message.text), " "), # in ["refund", "invoice"])`,
		`now.Hour() >= 18 || now.Weekday().String() == "Sunday"`,
		`ticket.properties.order_total > 100`,
		"contact.country == \"se\" &&\n  message.text contains \"hej\"",
		`let d = domain(contact.email); d endsWith ".se"`,
		`reduce(1..10, #acc + #, 0) > 5`,
		`ticket.subjct == ""`,
		`len(map(1..100, map(1..100, #))) > 0`,
	} {
		f.Add(seed)
	}
	env := sampleEnv()
	env.Message.Text = strings.Repeat("Hej, refund please! ", 200)
	f.Fuzz(func(t *testing.T, when string) {
		ce := Validate(when)
		if ce != nil {
			if ce.Message == "" {
				t.Fatalf("empty compile error message for %q", when)
			}
			if ce.Line < 0 || ce.Column < 0 {
				t.Fatalf("negative position %d:%d for %q", ce.Line, ce.Column, when)
			}
			return
		}
		p, err := compileExpr(when, true)
		if err != nil {
			t.Fatalf("Validate accepted %q but compile failed: %v", when, err)
		}
		ev := newEvaluator()
		ev.env.Env = env
		_, _ = ev.run(p) // runtime errors are fine; panics are not, and the work budget stops runaway loops
		// The engine must also survive it, as a rule.
		res := NewEngine().Evaluate(RuleSet{Rules: []Rule{propertyRule("f", 1, when, map[string]any{"x": "y"})}}, "", env)
		if len(res.Matched)+len(res.Errors) > 1 {
			t.Fatalf("impossible result %+v", res)
		}
	})
}

// FuzzEvaluate runs arbitrary expressions as a rule's when and set value:
// nothing panics out of the evaluator (apply runs without Evaluate's
// recover here), a failure always has a kind and a field, and the result is
// always JSON, since it goes into the workflow's history and the API's answers.
func FuzzEvaluate(f *testing.F) {
	for _, seed := range [][2]string{
		{`true`, `0/0`},
		{`true`, `1/0`},
		{`true`, `-1/0`},
		{`true`, `ticket.properties.order_total / 0`},
		{`true`, `message.attachments % (message.attachments - 1)`},
		{`true`, `ticket.properties.tags`},
		{`true`, `now`},
		{`true`, `now.Add`},
		{`true`, `repeat("x", 20000)`},
		{`true`, `"a\u0000b"`},
		{`true`, `map(1..3, {"n": # / 0})`},
		{`any(1..1000000, message.text matches "(a|b)*c")`, `1`},
		{`len(repeat(message.text, 100000)) > 0`, `1`},
		{`ticket.properties.missing.deeper == 1`, `1`},
		{`message.attachments > 0`, `upper(contact.country)`},
	} {
		f.Add(seed[0], seed[1])
	}
	env := sampleEnv()
	env.Message.Text = strings.Repeat("ab", 500)
	f.Fuzz(func(t *testing.T, when, value string) {
		for _, key := range []string{"x", "priority"} {
			r := propertyRule("f", 1, when, map[string]any{key: "=" + value})
			c := compileRule(r)
			if len(c.errs) > 0 {
				continue
			}
			ev := newEvaluator()
			ev.env.Env = env
			ev.start, ev.deadline = time.Now(), RuleTimeLimit
			if _, fail := ev.apply(c); fail != nil && (fail.kind == "" || fail.field == "" || fail.msg == "") {
				t.Fatalf("failure without kind, field or message: %+v", fail)
			}
			res := NewEngine().Evaluate(RuleSet{Rules: []Rule{r}}, "", env)
			for _, e := range res.Errors {
				if e.Kind == "" || e.Field == "" {
					t.Fatalf("rule error without kind or field: %+v", e)
				}
			}
			if _, err := json.Marshal(res); err != nil {
				t.Fatalf("result of when %q, %s %q is not JSON: %v", when, key, value, err)
			}
		}
	})
}
