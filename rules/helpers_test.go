package rules

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/stretchr/testify/require"
)

// sampleEnv is a realistic environment: a Swedish contact emailing about a refund on a Monday morning.
func sampleEnv() Env {
	return Env{
		Ticket: Ticket{
			Subject:     "Refund for order 1234",
			Description: "I was charged twice, please refund.",
			Pipeline:    "support",
			Status:      "new",
			Priority:    "normal",
			Properties:  map[string]any{"order_total": 250.0, "tags": []any{"web"}},
		},
		Message: Message{
			Text:        "Hej! I was charged twice for my order. Can I get a refund?",
			Subject:     "Refund for order 1234",
			From:        "Anna.Svensson@BigCorp.se",
			Attachments: 1,
			Hidden:      map[string]string{"plan": "enterprise", "utm_source": "pricing"},
			Fields:      map[string]string{"plan": "enterprise", "utm_source": "pricing", "topic": "billing"},
		},
		Contact: Contact{
			Email:      "anna.svensson@bigcorp.se",
			Name:       "Anna Svensson",
			Domain:     "bigcorp.se",
			Owner:      "u_42",
			IsNew:      false,
			Country:    "se",
			Language:   "sv",
			Properties: map[string]any{"vip": true, "seats": 120},
		},
		Channel: Channel{ID: "ch_email", Type: "email", Name: "Support inbox"},
		// Monday 3 March 2025, 10:30 in Stockholm.
		Now: time.Date(2025, 3, 3, 9, 30, 0, 0, time.UTC),
	}
}

// evalWhen compiles and runs a when expression against env.
func evalWhen(t testing.TB, src string, env Env) (any, error) {
	t.Helper()
	p, ce := compileExpr(src, true)
	require.Nil(t, ce, "compile %q", src)
	ev := newEvaluator()
	ev.env.Env = env
	return ev.run(p)
}

// propertyRule builds an enabled property rule.
func propertyRule(id string, priority int, when string, set map[string]any) Rule {
	return Rule{ID: id, Version: 1, Name: id, Kind: KindProperty, When: when, Set: set, Priority: priority, Enabled: true}
}

// skillRule builds an enabled skill rule.
func skillRule(id string, priority int, when string, skills ...string) Rule {
	return Rule{ID: id, Version: 1, Name: id, Kind: KindSkill, When: when, RequireSkills: skills, Priority: priority, Enabled: true}
}

// errorsIs reports whether a *CompileError wraps target.
func errorsIs(ce *CompileError, target error) bool {
	return ce != nil && errors.Is(ce, target)
}

// disassemble is p's disassembly with the constants of redirected calls
// (typedcalls.go), which it prints as addresses, named as the rule wrote them.
func disassemble(p *vm.Program) string {
	names := map[string]string{}
	for name, tc := range typedCalls {
		names[fmt.Sprintf("%#x", reflect.ValueOf(tc.fn).Pointer())] = name
	}
	for root, read := range propertyReads {
		names[fmt.Sprintf("%#x", reflect.ValueOf(read).Pointer())] = root + ".properties"
	}
	for path, read := range scalarReads {
		names[fmt.Sprintf("%#x", reflect.ValueOf(read).Pointer())] = path
	}
	return regexp.MustCompile(`\b0x[0-9a-f]+\b`).ReplaceAllStringFunc(p.Disassemble(), func(addr string) string {
		if name, ok := names[addr]; ok {
			return name
		}
		return addr
	})
}
