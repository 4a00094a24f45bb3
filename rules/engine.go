package rules

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

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
	plans    plans        // the evaluation plans of the sets evaluated (plan.go)
	// ruleLimit and evalLimit are RuleTimeLimit and EvaluationTimeLimit (tests shorten them).
	ruleLimit, evalLimit time.Duration
}

// NewEngine returns an Engine with an empty cache.
func NewEngine() *Engine {
	return &Engine{programs: make(map[string]*compiledRule), max: DefaultCacheSize, ruleLimit: RuleTimeLimit, evalLimit: EvaluationTimeLimit,
		plans: plans{m: make(map[planKey]*setPlan), max: DefaultPlannedRules}}
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

// evaluator is the per-call state of Evaluate, pooled so that an evaluation
// allocates nothing per rule of its own: a VM reused across runs, the env it
// runs on (built once per evaluation), and the buffers of the evaluation plan.
type evaluator struct {
	vm       vm.VM
	env      runEnv
	meter    meter
	start    time.Time     // when the evaluation started; zero for no time limit
	deadline time.Duration // when the current rule's time is up, after start
	keys     []orderKey    // the applicable rules' sort keys
	steps    []step        // the applicable rules in evaluation order
	values   []any         // the set values of the rule being applied

	// The result's parts, gathered here and copied into the Result once, at
	// their final sizes, so that growing them allocates nothing per rule.
	matched []string   // the matching rules' IDs, in order
	props   []property // the matching rules' set values, in order, duplicates included
	skills  []string   // the matching rules' skills, duplicates included

	keysTaken []string // collect's buffer: the first distinct property keys
}

// property is one set value of a matching rule.
type property struct {
	key   string
	value any
}

// orderKey is a rule's place in the evaluation order: its priority and its position in the set.
type orderKey struct {
	priority int
	pos      int
}

// step is one applicable rule of an evaluation, its position in the set and
// its compiled form (nil until looked up).
type step struct {
	rule *Rule
	pos  int
	c    *compiledRule
}

var evaluators = sync.Pool{New: func() any { return newEvaluator() }}

// newEvaluator returns an evaluator whose env charges its own meter.
func newEvaluator() *evaluator {
	ev := &evaluator{vm: vm.VM{MemoryBudget: MemoryBudget}}
	ev.env.Charge = ev.meter.chargeValue
	ev.env.Tick = ev.meter.tick
	return ev
}

// run runs one program with a fresh work budget, until the current rule's deadline.
func (ev *evaluator) run(p *vm.Program) (any, error) {
	ev.meter = meter{start: ev.start, deadline: ev.deadline}
	return ev.vm.Run(p, &ev.env)
}

// release clears the references the evaluator holds and returns it to the pool.
func (ev *evaluator) release() {
	ev.env.Env, ev.env.boxed = Env{}, boxedFields{}
	ev.env.derived.reset()
	ev.start, ev.deadline = time.Time{}, 0
	clear(ev.steps)
	ev.steps = ev.steps[:0]
	clear(ev.values)
	clear(ev.matched)
	ev.matched = ev.matched[:0]
	clear(ev.props)
	ev.props = ev.props[:0]
	clear(ev.skills)
	ev.skills = ev.skills[:0]
	evaluators.Put(ev)
}

// Evaluate runs the enabled rules of set that apply to channelID against env and merges their effects; see the package doc for the order and conflict rules.
func (e *Engine) Evaluate(set RuleSet, channelID string, env Env) Result {
	res := Result{RuleSetVersion: set.Version}
	ev := evaluators.Get().(*evaluator)
	defer ev.release()
	ev.env.Env = env // the environment is built once per evaluation and shared by every run
	planned := false // whether ev.steps came from a cached plan with its programs current
	if p := e.plans.get(&set, channelID); p != nil {
		planned = p.fill(ev, set.Rules)
	} else {
		ev.plan(set.Rules, channelID)
		e.lookupCached(ev.steps)
	}

	start := time.Now()
	ev.start = start
	for i := range ev.steps {
		st := &ev.steps[i]
		r, c := st.rule, st.c
		if c == nil {
			c = e.lookup(r)          // compiled only when reached: a stop rule may end the evaluation first
			st.c, planned = c, false // the plan lacked it: keep a new one
		}
		if len(c.errs) > 0 {
			res.fail(r.ID, &failure{kind: FailInvalid, field: c.errs[0].Field, msg: "rule is invalid: " + c.errorMessage()})
			continue
		}
		elapsed := time.Since(start) // one read of the monotonic clock; time.Now reads the wall clock too
		if elapsed > e.evalLimit {
			res.fail(r.ID, &failure{kind: FailTimeout, field: "when",
				msg: fmt.Sprintf("not evaluated: the account's rules ran longer than %s together", e.evalLimit)})
			continue
		}
		ev.deadline = min(elapsed+e.ruleLimit, e.evalLimit) // the rule's limit, within the evaluation's
		matched, f := ev.applySafely(c)
		if f != nil {
			res.fail(r.ID, f)
			continue
		}
		if !matched {
			continue
		}
		ev.matched = append(ev.matched, r.ID)
		for i, v := range c.set {
			ev.props = append(ev.props, property{key: v.key, value: ev.values[i]})
		}
		ev.skills = append(ev.skills, c.skills...)
		if r.StopProcessing {
			break
		}
	}
	ev.collect(&res)
	if !planned {
		e.plans.put(&set, channelID, ev.steps)
	}
	return res
}

// maxPropertiesHint is the most properties a result's map is sized for up
// front: one group of Go's map, which more distinct keys grow as before.
const maxPropertiesHint = 8

// collect copies the matched IDs, the set values (the first rule to set a
// property wins) and the sorted union of the skills into res, each allocated
// once at its size; none is nil, so an empty one encodes as [] or {}.
func (ev *evaluator) collect(res *Result) {
	res.Matched = append(make([]string, 0, len(ev.matched)), ev.matched...)
	res.Properties = make(map[string]any, min(len(ev.props), maxPropertiesHint))
	// Rules set a few keys over and over: a key already taken is found among
	// the first few distinct keys by comparing strings, without hashing it.
	keys := ev.keysTaken[:0]
	for _, p := range ev.props {
		if len(keys) < maxPropertiesHint {
			if slices.Contains(keys, p.key) {
				continue
			}
			keys = append(keys, p.key)
		} else if _, taken := res.Properties[p.key]; taken {
			continue
		}
		res.Properties[p.key] = p.value
	}
	clear(keys)
	ev.keysTaken = keys[:0]
	slices.Sort(ev.skills)
	skills := slices.Compact(ev.skills)
	res.RequiredSkills = append(make([]string, 0, len(skills)), skills...)
}

// plan fills ev.steps with the enabled rules that apply to channelID, by
// descending Priority, then ascending ID, then position in rules.
func (ev *evaluator) plan(rules []Rule, channelID string) {
	keys := ev.keys[:0]
	sorted := true
	for i := range rules {
		r := &rules[i]
		if !r.Enabled || (r.ChannelID != "" && r.ChannelID != channelID) {
			continue
		}
		if n := len(keys); n > 0 && sorted && compareRules(&rules[keys[n-1].pos], r) > 0 {
			sorted = false
		}
		keys = append(keys, orderKey{priority: r.Priority, pos: i})
	}
	if !sorted {
		// Keys hold no pointers, so sorting them costs no write barriers;
		// the position makes the order total, as a stable sort would.
		slices.SortFunc(keys, func(a, b orderKey) int {
			if c := cmp.Compare(b.priority, a.priority); c != 0 {
				return c
			}
			if c := cmp.Compare(rules[a.pos].ID, rules[b.pos].ID); c != 0 {
				return c
			}
			return cmp.Compare(a.pos, b.pos)
		})
	}
	ev.keys = keys
	steps := ev.steps[:0]
	for _, k := range keys {
		steps = append(steps, step{rule: &rules[k.pos], pos: k.pos})
	}
	ev.steps = steps
}

// lookupCached fills in the cached programs of steps under one read lock;
// the steps whose rule is not cached at its version and text keep a nil program.
func (e *Engine) lookupCached(steps []step) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for i := range steps {
		r := steps[i].rule
		if c, ok := e.programs[r.ID]; ok && c.version == r.Version && c.sameSource(r) {
			steps[i].c = c
		}
	}
}

// applySafely is apply, with a panic in the evaluator turned into the rule's failure.
func (ev *evaluator) applySafely(c *compiledRule) (matched bool, f *failure) {
	defer func() {
		if p := recover(); p != nil {
			matched, f = false, &failure{kind: FailPanic, field: "rule", msg: fmt.Sprintf("evaluation panicked: %v", p)}
		}
	}()
	return ev.apply(c)
}

// apply evaluates a rule's when and, if it matches, its set values into
// ev.values[:len(c.set)]; any failure — an error, a limit, a value that
// cannot be stored — fails the whole rule.
func (ev *evaluator) apply(c *compiledRule) (bool, *failure) {
	out, err := ev.run(c.when)
	if err != nil {
		return false, runFailure("when", err)
	}
	switch b := out.(type) {
	case bool:
		if !b {
			return false, nil
		}
	case nil:
		return false, nil
	default:
		return false, &failure{kind: FailError, field: "when", msg: fmt.Sprintf("evaluated to %s, not true or false", describe(out))}
	}
	if len(c.set) == 0 {
		return true, nil
	}
	if cap(ev.values) < len(c.set) {
		ev.values = make([]any, len(c.set))
	}
	ev.values = ev.values[:len(c.set)]
	for i, v := range c.set {
		if v.program == nil {
			ev.values[i] = v.literal // checked when the rule was compiled
			continue
		}
		if ev.values[i], err = ev.run(v.program); err != nil {
			return false, runFailure("set."+v.key, err)
		}
		if f := checkStorable(v.key, ev.values[i]); f != nil {
			return false, f
		}
	}
	return true, nil
}

// compareRules orders rules by descending Priority, then ascending ID.
func compareRules(a, b *Rule) int {
	if c := cmp.Compare(b.Priority, a.Priority); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}
