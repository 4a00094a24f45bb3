package rules

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name       string
		when       string
		msg        string // substring of the message; "" means valid
		line, col  int
		limitError bool
	}{
		{name: "valid", when: `ticket.priority == "high" && contact.is_new`},
		{name: "valid multi-line", when: "contact.country == \"se\"\n  && message.attachments > 0"},
		{name: "unknown field", when: `ticket.subjct == "x"`, msg: "`ticket` has no field `subjct`; did you mean `subject`?", line: 1, col: 8},
		{name: "unknown field on line 3", when: "contact.is_new &&\n  message.text != \"\" &&\n    message.fromm == \"x\"", msg: "`message` has no field `fromm`; did you mean `from`?", line: 3, col: 13},
		{name: "unknown variable", when: `tikcet.subject == "x"`, msg: "there is no variable or function `tikcet`; did you mean `ticket`?", line: 1, col: 1},
		{name: "non-bool when", when: `ticket.subject`, msg: "must be true or false, but this one is a string", line: 1, col: 1},
		{name: "non-bool arithmetic", when: `message.attachments + 1`, msg: "must be true or false", line: 1, col: 1},
		{name: "type mismatch", when: `message.attachments == "two"`, msg: "`==` cannot be used between an integer and a string", line: 1, col: 21},
		{name: "syntax error", when: `ticket.subject ==`, msg: "the expression ends too early", line: 1, col: 17},
		{name: "helper arity", when: `domain()`, msg: "not enough arguments to call `domain`", line: 1, col: 1},
		{name: "helper extra argument", when: `domain("a", "b") == ""`, msg: "too many arguments to call `domain`", line: 1, col: 1},
		{name: "helper argument type", when: `domain(message.attachments) == ""`, msg: "`domain` takes a string here, not an integer", line: 1, col: 16},
		{name: "matches arity names matches", when: `matches(ticket.subject)`, msg: "not enough arguments to call `matches`", line: 1, col: 1},
		{name: "bad literal regex", when: "ticket.subject != \"\" &&\n matches(message.text, \"([a-z\")", msg: "invalid regular expression", line: 2, col: 24},
		{name: "bad literal regex operator form", when: `message.text matches "(["`, msg: "missing closing ]", line: 1, col: 14},
		{name: "bad literal business hours", when: `in_business_hours(now, "Mon-Fri 9-5", "UTC")`, msg: `business hours: "9" is not a time`, line: 1, col: 24},
		{name: "bad literal time zone", when: `in_business_hours(now, "Mon 09:00-17:00", "Europe/Stockholmm")`, msg: "unknown time zone", line: 1, col: 43},
		{name: "business hours wants a time", when: `in_business_hours("now", "Mon 09:00-17:00", "UTC")`, msg: "`in_business_hours` takes a time here, not a string", line: 1, col: 19},
		{name: "now() is not the wall clock", when: `now() > now`, msg: "not callable", line: 1, col: 1},
		{name: "disabled builtin", when: `len(concat([1], [2])) == 2`, msg: "`concat` is not available in rules"},
		{name: "empty", when: "  ", msg: "expression is empty"},
		{name: "too long", when: `ticket.subject == "` + strings.Repeat("x", MaxExpressionBytes) + `"`, msg: "expression is 4116 bytes; the limit is 4096", limitError: true},
		{name: "too many nodes", when: strings.Repeat("1 + ", 600) + "1 > 0", msg: "more than 1000 syntax nodes; the limit is 1000", limitError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ce := Validate(tt.when)
			if tt.msg == "" {
				require.Nil(t, ce)
				assert.Equal(t, Check{Valid: true}, CheckWhen(tt.when))
				return
			}
			require.NotNil(t, ce)
			assert.Contains(t, ce.Message, tt.msg)
			if tt.line != 0 {
				assert.Equal(t, tt.line, ce.Line, "line")
				assert.Equal(t, tt.col, ce.Column, "column")
				assert.Contains(t, ce.Error(), "line ")
			}
			assert.NotContains(t, ce.Message, matchesAlias)
			assert.NotContains(t, ce.Message, "line ", "the position is said once, in Line and Column")
			assert.NotRegexp(t, `rules\.|interface \{\}|float64|\bint\b|time\.Time`, ce.Message, "no Go type names")
			assert.Equal(t, tt.limitError, errorsIs(ce, ErrLimit))
			check := CheckWhen(tt.when)
			assert.False(t, check.Valid)
			assert.Equal(t, ce.Message, check.Error)
			assert.Equal(t, ce.Line, check.Line)
			assert.Equal(t, ce.Column, check.Column)
		})
	}
}

func TestRewriteMatchesKeepsPositions(t *testing.T) {
	tests := []struct{ in, want string }{
		{`matches(a, "b")`, `rxmatch(a, "b")`},
		{`x && matches(a, "b")`, `x && rxmatch(a, "b")`},
		{`not matches(a, "b")`, `not rxmatch(a, "b")`},
		{`a not matches("b")`, `a not matches("b")`},
		{`a matches("b")`, `a matches("b")`},
		{`a matches "b"`, `a matches "b"`},
		{`"matches(" == a`, `"matches(" == a`},
		{`[matches(a, "é")]`, `[rxmatch(a, "é")]`},
		{"ä != b ||\n matches(a, b)", "ä != b ||\n rxmatch(a, b)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, rewriteMatchesCalls(tt.in), tt.in)
	}
}

func TestRuntimeLimits(t *testing.T) {
	env := sampleEnv()
	env.Message.Text = strings.Repeat("lorem ipsum ", 10_000) // 120 kB
	tests := []struct {
		name string
		when string
		err  string
	}{
		{"memory budget: huge range", `len(1..2000000) > 0`, "memory budget exceeded"},
		{"memory budget: nested ranges", `len(map(1..1500, map(1..1500, #))) > 0`, "memory budget exceeded"},
		{"work: nested loops over input", `any(split(message.text, ""), any(split(message.text, ""), # == "x"))`, "units of work"},
		{"work: doubling with let", `let a = message.text + message.text; let b = a + a; let c = b + b; let d = c + c; let e = d + d; len(e) > 0`, "units of work"},
		{"work: growing accumulator", `len(reduce(1..100000, #acc + "0123456789", "")) > 0`, "units of work"},
		{"work: many copies", `len(map(1..1000, upper(message.text))) > 0`, "units of work"},
		{"size: replace", `len(replace(message.text, "", message.text)) > 0`, "replace would build"},
		{"size: repeat", `len(repeat(message.text, 1000)) > 0`, "repeat would build"},
		{"size: join", `len(join(map(1..100, message.text))) > 0`, "join would build"},
		{"string of a list", `len(string(split(message.text, " "))) > 0`, "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := evalWhen(t, tt.when, env)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
		})
	}

	t.Run("ordinary rules on large input stay within budget", func(t *testing.T) {
		out, err := evalWhen(t, `lower(message.text) contains "ipsum" && len(split(message.text, " ")) > 100 && any(split(message.text, " "), # == "lorem")`, env)
		require.NoError(t, err)
		assert.Equal(t, true, out)
	})
}

func TestLiteralArgumentsArePrecomputed(t *testing.T) {
	tests := []struct {
		when       string
		has, lacks string
		want       bool
	}{
		// On a field of the env the match is shared by the evaluation (derived.go), elsewhere precompiled.
		{`matches(ticket.subject, "(?i)^refund")`, fieldMatchName, "rxmatch", true},
		{`not matches(ticket.subject, "^invoice")`, fieldMatchName, "rxmatch", true},
		{`matches(lower(ticket.subject), "^refund")`, "OpMatchesConst", "rxmatch", true},
		{`contains_any(message.text, ["nothing", "REFUND"])`, "OpPush", "OpArray", true},
		{`contains_any(message.text, ["nothing", ticket.status])`, "OpArray", "", false},
		// On a value of unknown type the function form stays, so nil is still an error.
		{`matches(ticket.properties.missing, "x")`, "rxmatch", "OpMatchesConst", false},
	}
	for _, tt := range tests {
		t.Run(tt.when, func(t *testing.T) {
			p, ce := compileExpr(tt.when, true)
			require.Nil(t, ce)
			code := disassemble(p)
			assert.Contains(t, code, tt.has)
			if tt.lacks != "" {
				assert.NotContains(t, code, tt.lacks)
			}
			got, err := evalWhen(t, tt.when, sampleEnv())
			if strings.Contains(tt.when, "missing") {
				assert.ErrorContains(t, err, "must be a string")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestStringFieldsAreReadFromBoxedCopies(t *testing.T) {
	env := sampleEnv()
	for _, f := range stringFields {
		t.Run(f.path, func(t *testing.T) {
			p, ce := compileExpr(f.path, false)
			require.Nil(t, ce)
			assert.Contains(t, disassemble(p), fieldName, "read through the boxed copies")
			got, err := evalWhenAny(t, f.path, env)
			require.NoError(t, err)
			want := reflect.ValueOf(env).Field(f.index[0]).Field(f.index[1]).Interface()
			assert.Equal(t, want, got)
		})
	}
	require.LessOrEqual(t, len(stringFields), len(boxedFields{}.values))

	// A root always means the env's field: it cannot be redeclared.
	assert.ErrorContains(t, Validate(`let message = {"from": "x"}; message.from == "x"`), "cannot redeclare message")
	// Optional chaining and $env paths still read the env.
	got, err := evalWhen(t, `message?.from == $env.message.from && contact.domain == "bigcorp.se"`, env)
	require.NoError(t, err)
	assert.Equal(t, true, got)
}

// evalWhenAny compiles and runs a set-value expression against env.
func evalWhenAny(t testing.TB, src string, env Env) (any, error) {
	t.Helper()
	p, ce := compileExpr(src, false)
	require.Nil(t, ce, "compile %q", src)
	ev := newEvaluator()
	ev.env.Env = env
	return ev.run(p)
}
