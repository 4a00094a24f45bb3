package rules

import (
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/expr-lang/expr/checker"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// argListCall matches the opcodes for which expr's VM builds an argument list on every run.
var argListCall = regexp.MustCompile(`\bOpCall(1|2|3|N|Fast|Safe)?\b`)

func TestEveryTypedCallIsOneTheVMCallsDirectly(t *testing.T) {
	fns := map[string]any{}
	for name, tc := range typedCalls {
		fns[name] = tc.fn
		assert.Equal(t, tc.arity, reflect.TypeOf(tc.fn).NumIn(), name)
	}
	for root, read := range propertyReads {
		fns[root+".properties"] = read
	}
	for path, read := range scalarReads {
		fns[path] = read
	}
	for name, fn := range fns {
		_, direct := checker.TypedFuncIndex(reflect.TypeOf(fn), false)
		assert.True(t, direct, "%s is %T, which expr's VM calls through reflection", name, fn)
	}
}

func TestHelperCallsBuildNoArgumentList(t *testing.T) {
	for _, src := range []string{
		`domain(message.from) in ["bigcorp.se", "acme.com"] && contains_any(message.text, ["refund", "chargeback"])`,
		`contact.language == "sv" || upper(contact.country) == "SE"`,
		`matches(ticket.subject, "(?i)order [0-9]+") && ticket.properties.order_total > 100`,
		`matches(message.text, "(?i)" + contact.language) || repeat(string(message.attachments), 2) == "11"`,
		`contact.properties["vip"] == true && ticket.properties.missing == nil`,
	} {
		p, ce := compileExpr(src, true)
		require.Nil(t, ce, src)
		assert.NotRegexp(t, argListCall, disassemble(p), src)
		got, err := evalWhen(t, src, sampleEnv())
		require.NoError(t, err, src)
		assert.Equal(t, true, got, src)
	}
}

func TestScalarFieldsAreReadWithoutReflection(t *testing.T) {
	// Every integer or boolean field below the env's root has a typed read.
	env := reflect.TypeFor[Env]()
	for i := range env.NumField() {
		root := env.Field(i)
		if root.Type.Kind() != reflect.Struct || root.Type == reflect.TypeFor[time.Time]() {
			continue
		}
		for j := range root.Type.NumField() {
			f := root.Type.Field(j)
			if k := f.Type.Kind(); k == reflect.Int || k == reflect.Bool {
				assert.Contains(t, scalarReads, root.Tag.Get("expr")+"."+f.Tag.Get("expr"))
			}
		}
	}
	for _, src := range []string{`message.attachments >= 1`, `contact.is_new == false`, `!contact.is_new`} {
		p, ce := compileExpr(src, true)
		require.Nil(t, ce, src)
		assert.NotContains(t, disassemble(p), "OpLoadField", src)
		got, err := evalWhen(t, src, sampleEnv())
		require.NoError(t, err, src)
		assert.Equal(t, true, got, src)
	}
	// The reads keep the checked types: an integer is compared as one, a boolean refuses arithmetic.
	env2 := sampleEnv()
	env2.Message.Attachments, env2.Contact.IsNew = 300, true
	got, err := evalWhen(t, `message.attachments * 2 == 600 && contact.is_new`, env2)
	require.NoError(t, err)
	assert.Equal(t, true, got)
	assert.NotNil(t, Validate(`contact.is_new + 1 > 0`))
	assert.NotNil(t, Validate(`message.attachments.x == 1`))
}

func TestTypedCallsKeepTheCheckedTypes(t *testing.T) {
	// Type errors are still found when the rule is saved, not when it runs.
	for _, src := range []string{
		`domain(message.attachments) == "x"`,
		`contains_any(message.text, 3)`,
		`message.from + 1 > 2`,
		`repeat(message.text) == ""`,
	} {
		assert.NotNil(t, Validate(src), src)
	}
	// A helper's run-time error is still the rule's error.
	_, err := evalWhen(t, `matches(message.text, ticket.subject + "(")`, sampleEnv())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid regular expression")
	// A property read of a nil map is nil, as expr's own read is.
	env := sampleEnv()
	env.Ticket.Properties = nil
	got, err := evalWhen(t, `ticket.properties.order_total == nil`, env)
	require.NoError(t, err)
	assert.Equal(t, true, got)
}

func TestEvaluationAllocatesLittle(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops pooled evaluators at random, which then allocate afresh")
	}
	e := NewEngine()
	set := hundredRules()
	env := sampleEnv()
	res := e.Evaluate(set, "ch_email", env)
	require.Empty(t, res.Errors)
	require.NotEmpty(t, res.Matched)
	// 116 programs run; expr's argument lists and map reads made it 202, its
	// reflection on non-string fields and the growing result 45. What is left
	// (16) is per evaluation: string fields and derived values (the
	// lower-cased text contains_any searches among them) boxed once, and the
	// result's slices and map.
	allocs := testing.AllocsPerRun(50, func() { e.Evaluate(set, "ch_email", env) })
	assert.LessOrEqual(t, allocs, 20.0)
}
