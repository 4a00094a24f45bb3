package rules

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/expr-lang/expr"
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

// hundredRules is a 100-rule set of mixed kinds, in ascending priority, so Evaluate has to sort it.
func hundredRules() RuleSet {
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
	return set
}

// BenchmarkEvaluate100Rules evaluates a 100-rule set of mixed kinds, all cached.
func BenchmarkEvaluate100Rules(b *testing.B) {
	e := NewEngine()
	set := hundredRules()
	env := sampleEnv()
	res := e.Evaluate(set, "ch_email", env)
	if len(res.Errors) > 0 || len(res.Matched) == 0 {
		b.Fatalf("unexpected result: %+v", res)
	}
	b.ReportAllocs()
	runtime.LockOSThread() // so that threadCPU measures this goroutine
	defer runtime.UnlockOSThread()
	c0 := threadCPU()
	b.ResetTimer()
	for b.Loop() {
		e.Evaluate(set, "ch_email", env)
	}
	b.ReportMetric(float64((threadCPU()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// plainRuns are the programs an evaluation of set runs, in its order: every
// when, and the set programs of the rules whose when is true; when tells which are whens.
func plainRuns(b *testing.B, e *Engine, set RuleSet, env Env) (programs []*vm.Program, when []bool) {
	b.Helper()
	res := e.Evaluate(set, "ch_email", env)
	matched := map[string]bool{}
	for _, id := range res.Matched {
		matched[id] = true
	}
	ev := evaluators.Get().(*evaluator)
	defer ev.release()
	ev.plan(set.Rules, "ch_email")
	for _, st := range ev.steps {
		c := e.lookup(st.rule)
		programs, when = append(programs, c.when), append(when, true)
		for _, v := range c.set {
			if v.program != nil && matched[st.rule.ID] {
				programs, when = append(programs, v.program), append(when, false)
			}
		}
	}
	return programs, when
}

// stockPrograms compiles the sources of programs with expr.Compile, as the
// engine did before it redirected helper calls (typedcalls.go): every helper
// an expr function, every custom property read through reflection.
func stockPrograms(b *testing.B, programs []*vm.Program, when []bool) []*vm.Program {
	b.Helper()
	stock := make([]*vm.Program, len(programs))
	for i, p := range programs {
		var err error
		if stock[i], err = expr.Compile(p.Source().String(), options(when[i], &guard{})...); err != nil {
			b.Fatal(err)
		}
	}
	return stock
}

// BenchmarkEvaluate100RulesVsExprRun measures, interleaved in one run,
// Evaluate of the 100-rule set, plain expr.Run (a fresh VM per call, no
// budgets, no merging) of the same compiled programs Evaluate runs, and
// expr.Run of the same sources compiled by expr.Compile alone (stock), and
// reports the times, allocation counts and ratios.
func BenchmarkEvaluate100RulesVsExprRun(b *testing.B) {
	e := NewEngine()
	set := hundredRules()
	env := sampleEnv()
	programs, when := plainRuns(b, e, set, env)
	stock := stockPrograms(b, programs, when)
	runAll := func(programs []*vm.Program) func() {
		return func() {
			m := &meter{}
			penv := &runEnv{Env: env, Charge: m.chargeValue, Tick: m.tick}
			for _, p := range programs {
				m.used = 0
				if _, err := expr.Run(p, penv); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	plain, stocked := runAll(programs), runAll(stock)
	evalAllocs := testing.AllocsPerRun(100, func() { e.Evaluate(set, "ch_email", env) })
	plainAllocs := testing.AllocsPerRun(100, plain)
	stockAllocs := testing.AllocsPerRun(100, stocked)
	var evalTime, plainTime, evalCPU, plainCPU, stockTime, stockCPU time.Duration
	runtime.LockOSThread() // so that threadCPU measures this goroutine
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	for b.Loop() {
		c0, t0 := threadCPU(), time.Now()
		e.Evaluate(set, "ch_email", env)
		c1, t1 := threadCPU(), time.Now()
		plain()
		c2, t2 := threadCPU(), time.Now()
		stocked()
		c3, t3 := threadCPU(), time.Now()
		evalTime, evalCPU = evalTime+t1.Sub(t0), evalCPU+c1-c0
		plainTime, plainCPU = plainTime+t2.Sub(t1), plainCPU+c2-c1
		stockTime, stockCPU = stockTime+t3.Sub(t2), stockCPU+c3-c2
	}
	n := float64(b.N)
	b.ReportMetric(float64(evalTime.Nanoseconds())/n, "evaluate-ns/op")
	b.ReportMetric(float64(plainTime.Nanoseconds())/n, "exprrun-ns/op")
	b.ReportMetric(float64(evalTime)/float64(plainTime), "ratio")
	// Thread CPU time leaves out the time spent waiting for a CPU on a busy
	// machine (and the GC's background workers on other threads).
	b.ReportMetric(float64(evalCPU.Nanoseconds())/n, "evaluate-cpu-ns/op")
	b.ReportMetric(float64(plainCPU.Nanoseconds())/n, "exprrun-cpu-ns/op")
	b.ReportMetric(safeRatio(evalCPU, plainCPU), "cpu-ratio")
	b.ReportMetric(evalAllocs, "evaluate-allocs/op")
	b.ReportMetric(plainAllocs, "exprrun-allocs/op")
	b.ReportMetric(float64(stockTime.Nanoseconds())/n, "stock-ns/op")
	b.ReportMetric(float64(stockCPU.Nanoseconds())/n, "stock-cpu-ns/op")
	b.ReportMetric(safeRatio(evalCPU, stockCPU), "stock-cpu-ratio")
	b.ReportMetric(stockAllocs, "stock-allocs/op")
	b.ReportMetric(float64(len(programs)), "programs")
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
		ev := newEvaluator()
		ev.env.Env = env
		if _, err := ev.apply(c); err != nil {
			b.Fatal(err)
		}
	}
}

// safeRatio is a / b, 0 when b is 0 (threadCPU unavailable).
func safeRatio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
