package rules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/expr-lang/expr/vm"

	"github.com/routedesk/routedesk/domain"
)

// DefaultCacheSize is how many compiled rules an Engine keeps.
const DefaultCacheSize = 50_000

// Engine compiles rules once, caches the programs by rule ID and version, and evaluates rule sets; it is safe for concurrent use.
type Engine struct {
	mu       sync.RWMutex
	programs map[string]*compiledRule // by rule ID: the newest version seen
	max      int
	compiles atomic.Int64 // rules compiled, for tests
}

// NewEngine returns an Engine with an empty cache.
func NewEngine() *Engine {
	return &Engine{programs: make(map[string]*compiledRule), max: DefaultCacheSize}
}

// Compile validates and compiles r and caches the program; the error is a *domain.ValidationError naming each invalid field.
func (e *Engine) Compile(r Rule) error {
	c := e.lookup(&r)
	if errs := append(nameErrors(r), c.errs...); len(errs) > 0 {
		return &domain.ValidationError{Errors: errs}
	}
	return nil
}

// lookup returns the compiled form of r, compiling it on a cache miss.
// A newer version replaces an older one; a request for an older version than
// the cached one is compiled but not cached.
func (e *Engine) lookup(r *Rule) *compiledRule {
	e.mu.RLock()
	c, ok := e.programs[r.ID]
	e.mu.RUnlock()
	if ok && c.version == r.Version && c.sameSource(r) {
		return c
	}
	fresh := compileRule(*r)
	e.compiles.Add(1)
	e.mu.Lock()
	defer e.mu.Unlock()
	if cur, ok := e.programs[r.ID]; ok && cur.version > r.Version {
		return fresh
	}
	if _, ok := e.programs[r.ID]; !ok && len(e.programs) >= e.max {
		for id := range e.programs { // random eviction: Go randomises map order
			delete(e.programs, id)
			break
		}
	}
	e.programs[r.ID] = fresh
	return fresh
}

// evaluator is the per-call state of Evaluate, pooled: a VM and the env it runs on.
type evaluator struct {
	vm    vm.VM
	env   Env
	meter meter
}

var evaluators = sync.Pool{New: func() any { return &evaluator{vm: vm.VM{MemoryBudget: MemoryBudget}} }}

// run runs one program with a fresh work budget.
func (ev *evaluator) run(p *vm.Program) (any, error) {
	ev.meter = meter{}
	return ev.vm.Run(p, &ev.env)
}

// Evaluate runs the enabled rules of set that apply to channelID against env and merges their effects; see the package doc for the order and conflict rules.
func (e *Engine) Evaluate(set RuleSet, channelID string, env Env) Result {
	res := Result{
		RuleSetVersion: set.Version,
		Matched:        []string{},
		Properties:     map[string]any{},
		RequiredSkills: []string{},
	}
	ev := evaluators.Get().(*evaluator)
	ev.env = env
	ev.env.meter = &ev.meter
	defer func() {
		ev.env = Env{}
		evaluators.Put(ev)
	}()

	order := evaluationOrder(set.Rules)
	for k := range set.Rules {
		r := &set.Rules[k]
		if order != nil {
			r = &set.Rules[order[k]]
		}
		if !r.Enabled || (r.ChannelID != "" && r.ChannelID != channelID) {
			continue
		}
		c := e.lookup(r)
		if len(c.errs) > 0 {
			res.Errors = append(res.Errors, RuleError{RuleID: r.ID, Message: "rule is invalid: " + c.errorMessage()})
			continue
		}
		matched, values, err := ev.apply(c)
		if err != nil {
			res.Errors = append(res.Errors, RuleError{RuleID: r.ID, Message: err.Error()})
			continue
		}
		if !matched {
			continue
		}
		res.Matched = append(res.Matched, r.ID)
		for i, v := range c.set {
			if _, taken := res.Properties[v.key]; !taken {
				res.Properties[v.key] = values[i]
			}
		}
		res.RequiredSkills = append(res.RequiredSkills, c.skills...)
		if r.StopProcessing {
			break
		}
	}
	slices.Sort(res.RequiredSkills)
	res.RequiredSkills = slices.Compact(res.RequiredSkills)
	return res
}

// apply evaluates a rule's when and, if it matches, its set values; any error fails the whole rule.
func (ev *evaluator) apply(c *compiledRule) (bool, []any, error) {
	out, err := ev.run(c.when)
	if err != nil {
		return false, nil, errors.New(runtimeMessage("when", err))
	}
	switch b := out.(type) {
	case bool:
		if !b {
			return false, nil, nil
		}
	case nil:
		return false, nil, nil
	default:
		return false, nil, fmt.Errorf("when: evaluated to %T, not a boolean", out)
	}
	if len(c.set) == 0 {
		return true, nil, nil
	}
	values := make([]any, len(c.set))
	for i, v := range c.set {
		if v.program == nil {
			values[i] = v.literal
			continue
		}
		if values[i], err = ev.run(v.program); err != nil {
			return false, nil, errors.New(runtimeMessage("set."+v.key, err))
		}
	}
	return true, values, nil
}

// evaluationOrder returns the indexes of rules by descending Priority, then
// ascending ID, or nil when rules are already in that order.
func evaluationOrder(rules []Rule) []int {
	sorted := true
	for i := 1; i < len(rules) && sorted; i++ {
		sorted = compareRules(&rules[i-1], &rules[i]) <= 0
	}
	if sorted {
		return nil
	}
	order := make([]int, len(rules))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return compareRules(&rules[a], &rules[b]) })
	return order
}

// compareRules orders rules by descending Priority, then ascending ID.
func compareRules(a, b *Rule) int {
	if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}
