package rules

import "sync"

// An evaluation plan — which rules of a set apply to a channel, in which
// order, with which compiled programs — is the same from one evaluation of a
// set to the next until the set changes. The engine keeps the plans of the
// sets it evaluated, so that an evaluation of an unchanged set neither filters
// and sorts its rules nor looks each one up in the program cache. A plan is
// found by the set's version, length, first rule ID and the channel, and used
// only after checking every rule of the set against it (ID, version,
// priority, enabled, channel) and every applicable rule's text against its
// program (compiledRule.sameSource), as the program cache checks: a set
// loaded again from the store hits the same plan, and a changed set never
// runs an old plan or program.

// DefaultPlannedRules bounds the rules the plans an Engine keeps hold together.
const DefaultPlannedRules = 50_000

// planKey finds the plans of one rule set on one channel.
type planKey struct {
	version int64
	n       int
	first   string // the ID of the set's first rule
	channel string
}

// setPlan is the evaluation plan of one rule set on one channel; it is not
// modified once cached, so evaluations share it without locking.
type setPlan struct {
	rules []planRule // every rule of the set, in set order, as the plan saw it
	steps []planStep // the applicable rules in evaluation order
}

// planRule is what the plan depends on of one rule of the set.
type planRule struct {
	id        string
	version   int
	priority  int
	channelID string
	enabled   bool
}

// planStep is one applicable rule: its position in the set and its program.
type planStep struct {
	pos int
	c   *compiledRule
}

// plans is an Engine's bounded cache of evaluation plans.
type plans struct {
	mu    sync.RWMutex
	m     map[planKey]*setPlan
	rules int // the rules the cached plans hold together
	max   int
}

// keyOf returns the key of set's plans on channelID.
func keyOf(set *RuleSet, channelID string) planKey {
	k := planKey{version: set.Version, n: len(set.Rules), channel: channelID}
	if len(set.Rules) > 0 {
		k.first = set.Rules[0].ID
	}
	return k
}

// get returns the cached plan of set on channelID if the set still has the
// rules the plan was made from, or nil.
func (ps *plans) get(set *RuleSet, channelID string) *setPlan {
	k := keyOf(set, channelID)
	ps.mu.RLock()
	p := ps.m[k]
	ps.mu.RUnlock()
	if p == nil || !p.fits(set.Rules) {
		return nil
	}
	return p
}

// fits reports whether rules are, in every field the plan depends on, the rules the plan was made from.
func (p *setPlan) fits(rules []Rule) bool {
	if len(rules) != len(p.rules) {
		return false
	}
	for i := range rules {
		r, pr := &rules[i], &p.rules[i]
		if r.Version != pr.version || r.Priority != pr.priority || r.Enabled != pr.enabled ||
			r.ID != pr.id || r.ChannelID != pr.channelID {
			return false
		}
	}
	return true
}

// put caches the plan of set on channelID made from steps — a step not yet
// reached has no program, and is looked up when it is — evicting arbitrary
// plans while the plans would hold more than max rules together.
func (ps *plans) put(set *RuleSet, channelID string, steps []step) {
	if len(set.Rules) == 0 || len(set.Rules) > ps.max {
		return
	}
	p := &setPlan{rules: make([]planRule, len(set.Rules)), steps: make([]planStep, len(steps))}
	for i := range set.Rules {
		r := &set.Rules[i]
		p.rules[i] = planRule{id: r.ID, version: r.Version, priority: r.Priority, channelID: r.ChannelID, enabled: r.Enabled}
	}
	for i, st := range steps {
		p.steps[i] = planStep{pos: st.pos, c: st.c}
	}
	k := keyOf(set, channelID)
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.m == nil {
		ps.m = make(map[planKey]*setPlan)
	}
	if old, ok := ps.m[k]; ok {
		ps.rules -= len(old.rules)
		delete(ps.m, k)
	}
	for key, old := range ps.m { // Go randomises map order: this evicts arbitrary plans
		if ps.rules+len(p.rules) <= ps.max {
			break
		}
		ps.rules -= len(old.rules)
		delete(ps.m, key)
	}
	ps.m[k] = p
	ps.rules += len(p.rules)
}

// fill fills ev.steps from the plan for rules (which fit it), keeping each
// program only if it was compiled from its rule's current text; it reports
// whether every program was kept.
func (p *setPlan) fill(ev *evaluator, rules []Rule) bool {
	steps := ev.steps[:0]
	all := true
	for _, ps := range p.steps {
		r, c := &rules[ps.pos], ps.c
		if c != nil && !c.sameSource(r) { // the version was checked by fits
			c, all = nil, false
		}
		steps = append(steps, step{rule: r, pos: ps.pos, c: c})
	}
	ev.steps = steps
	return all
}
