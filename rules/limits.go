package rules

import (
	"fmt"
	"reflect"
	"time"
)

// Limits on expressions and their evaluation.
const (
	// MaxExpressionBytes is the longest expression accepted, in bytes.
	MaxExpressionBytes = 4096
	// MaxNodes is the largest expression accepted, in syntax-tree nodes.
	MaxNodes = 1000
	// MemoryBudget is expr's VM memory budget per run (elements of ranges, arrays and maps built).
	MemoryBudget = 1 << 20
	// MaxWork is the work budget per run: loop iterations, list elements built and string bytes built.
	MaxWork = 2 << 20
	// MaxLiteralBytes is the longest literal string value a set map may hold.
	MaxLiteralBytes = 4096
	// MaxSetKeys is the most properties one rule may set.
	MaxSetKeys = 50
	// MaxSkills is the most skills one rule may require.
	MaxSkills = 20
	// MaxNameBytes is the longest rule name, property key or skill accepted.
	MaxNameBytes = 200
	// MaxValueBytes is the largest value a rule may set, JSON-encoded (text: its bytes).
	MaxValueBytes = 16 << 10
	// RuleTimeLimit is the longest one rule may run (its when and its set values) before it is skipped.
	RuleTimeLimit = 250 * time.Millisecond
	// EvaluationTimeLimit is the longest an evaluation of an account's rules may run; rules not reached by then are skipped.
	EvaluationTimeLimit = 2 * time.Second
)

// timeCheckEvery is how many charges and loop iterations pass between two looks at the clock.
const timeCheckEvery = 256

// meter counts the work of one expression run against MaxWork.
type meter struct {
	used     int
	steps    int           // charges and loop iterations since the run started
	start    time.Time     // when the evaluation started; zero for no time limit
	deadline time.Duration // when the rule's time is up, after start
}

// charge adds n units and fails once the budget is spent.
func (m *meter) charge(n int) error {
	m.used += n
	if m.used > MaxWork {
		return fmt.Errorf("%w: evaluation did more than %d units of work (loop iterations, list elements and string bytes built); the limit is %d", ErrLimit, MaxWork, MaxWork)
	}
	return nil
}

// chargeValue is the runEnv.Charge hook: it charges the size of v — bytes of
// a string, elements of a list or map — and panics with the limit error once
// the budget is spent, which the VM turns into the run's error.
func (m *meter) chargeValue(v any) bool {
	n := 0
	switch v := v.(type) {
	case string:
		n = len(v)
	case []any:
		n = len(v)
	case []string:
		n = len(v)
	case []int:
		n = len(v)
	case nil, bool, int, float64:
	default:
		switch rv := reflect.ValueOf(v); rv.Kind() {
		case reflect.String, reflect.Slice, reflect.Array, reflect.Map:
			n = rv.Len()
		}
	}
	if err := m.charge(n); err != nil {
		panic(err)
	}
	m.step()
	return true
}

// tick is the runEnv.Tick hook, called on every iteration of a loop's predicate:
// it charges one unit of work and looks at the clock now and then, panicking
// with the limit error as chargeValue does.
func (m *meter) tick() bool {
	if err := m.charge(1); err != nil {
		panic(err)
	}
	m.step()
	return true
}

// step counts a charge or an iteration and panics with ErrTimeLimit once the deadline has passed.
func (m *meter) step() {
	m.steps++
	if m.steps%timeCheckEvery == 0 && !m.start.IsZero() && time.Since(m.start) > m.deadline {
		panic(fmt.Errorf("%w: the rule ran longer than %s", ErrTimeLimit, RuleTimeLimit))
	}
}

// checkSize fails before an operation builds a string larger than the work budget.
func checkSize(op string, n int) error {
	if n > MaxWork {
		return fmt.Errorf("%w: %s would build %d bytes; the limit is %d", ErrLimit, op, n, MaxWork)
	}
	return nil
}
