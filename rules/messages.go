package rules

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/builtin"
)

// Compiler messages rewritten into the rule language's terms.
var (
	noFieldMsg     = regexp.MustCompile(`^type (\S+) has no field (\S+)$`)
	noMethodMsg    = regexp.MustCompile(`^type (\S+) has no method (\S+)$`)
	unknownNameMsg = regexp.MustCompile(`^unknown name (\S+)$`)
	mismatchMsg    = regexp.MustCompile(`^invalid operation: (\S+) \(mismatched types (.+) and (.+)\)$`)
	argumentMsg    = regexp.MustCompile(`^cannot use (.+) as argument \(type (.+)\) to call (\S+)\s*$`)
	notEnoughMsg   = regexp.MustCompile(`^not enough arguments to call (\S+)$`)
	tooManyMsg     = regexp.MustCompile(`^too many arguments to call (\S+)$`)
	tokenMsg       = regexp.MustCompile(`^unexpected token (\w+)(?:\("(.*)"\))?$`)
	// goTypes finds the spellings of Go types the compiler uses in its messages.
	goTypes = regexp.MustCompile(`\*?rules\.\w+|map\[string\](?:interface \{\}|string|any)|\[\](?:interface \{\}|string|int|any)|interface \{\}|time\.Time|time\.Duration|\bfloat64\b|\bint\b|\bbool\b`)
)

// disabledBuiltins are expr's builtins that rules may not use (see functionOptions).
var disabledBuiltins = []string{"concat", "flatten", "toJSON"}

// goTypeNames are the rule-language names of the Go types in compiler messages.
var goTypeNames = map[string]string{
	"rules.Ticket": "`ticket`", "rules.Message": "`message`", "rules.Contact": "`contact`", "rules.Channel": "`channel`",
	"rules.Env": "the rule's environment", "rules.runEnv": "the rule's environment", "*rules.runEnv": "the rule's environment",
	"map[string]interface {}": "map", "map[string]any": "map", "map[string]string": "map",
	"[]interface {}": "list", "[]any": "list", "[]string": "list", "[]int": "list", "interface {}": "value",
	"time.Time": "time", "time.Duration": "duration", "float64": "number", "int": "integer", "bool": "boolean",
}

// envTypes are the env's objects by the Go name the compiler gives them.
var envTypes = map[string]reflect.Type{
	"rules.Ticket": reflect.TypeFor[Ticket](), "rules.Message": reflect.TypeFor[Message](),
	"rules.Contact": reflect.TypeFor[Contact](), "rules.Channel": reflect.TypeFor[Channel](),
	"time.Time": reflect.TypeFor[time.Time](), "time.Duration": reflect.TypeFor[time.Duration](),
}

// publicMessage rewrites a compiler or run-time message in the rule
// language's terms: the names admins write, never Go's type names, with a
// suggestion for a misspelt field or name.
func publicMessage(msg string) string {
	msg = strings.TrimSpace(strings.ReplaceAll(msg, matchesAlias, "matches"))
	if m := noFieldMsg.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s has no field `%s`", withArticle(publicType(m[1])), m[2]) + suggestion(m[2], fieldNames(envTypes[m[1]]))
	}
	if m := noMethodMsg.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s has no method `%s`", withArticle(publicType(m[1])), m[2]) + suggestion(m[2], methodNames(envTypes[m[1]]))
	}
	if m := unknownNameMsg.FindStringSubmatch(msg); m != nil {
		if slices.Contains(disabledBuiltins, m[1]) {
			return fmt.Sprintf("`%s` is not available in rules", m[1])
		}
		return fmt.Sprintf("there is no variable or function `%s`", m[1]) + suggestion(m[1], knownNames())
	}
	if m := mismatchMsg.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("`%s` cannot be used between %s and %s", m[1], withArticle(publicType(m[2])), withArticle(publicType(m[3])))
	}
	if m := argumentMsg.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("`%s` takes %s here, not %s", m[3], withArticle(publicType(m[2])), withArticle(publicType(m[1])))
	}
	if m := notEnoughMsg.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("not enough arguments to call `%s`", m[1])
	}
	if m := tooManyMsg.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("too many arguments to call `%s`", m[1])
	}
	if m := tokenMsg.FindStringSubmatch(msg); m != nil {
		if m[1] == "EOF" {
			return "the expression ends too early (something is missing at the end)"
		}
		if m[2] != "" {
			return fmt.Sprintf("unexpected `%s`", m[2])
		}
	}
	if msg == "literal not terminated" {
		return "text is not terminated (a closing quote is missing)"
	}
	return goTypes.ReplaceAllStringFunc(msg, publicType)
}

// publicType names a Go type from a compiler message in the rule language.
func publicType(goName string) string {
	if n, ok := goTypeNames[goName]; ok {
		return n
	}
	if strings.HasPrefix(goName, "rules.") || strings.HasPrefix(goName, "*rules.") {
		return "value"
	}
	return goName
}

// withArticle is a type name as a noun phrase: "`ticket`" stays, "integer" becomes "an integer".
func withArticle(name string) string {
	if strings.HasPrefix(name, "`") || strings.HasPrefix(name, "the ") || name == "nil" {
		return name
	}
	return article(name)
}

// fieldNames lists the rule-language names of t's fields.
func fieldNames(t reflect.Type) []string {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("expr"); tag != "" && !strings.HasPrefix(tag, "_") {
			out = append(out, tag)
		}
	}
	return out
}

// methodNames lists t's exported methods.
func methodNames(t reflect.Type) []string {
	if t == nil {
		return nil
	}
	out := make([]string, 0, t.NumMethod())
	for i := range t.NumMethod() {
		out = append(out, t.Method(i).Name)
	}
	return out
}

// knownNames lists the names an expression may start with: the env's roots and the functions.
func knownNames() []string {
	names := fieldNames(reflect.TypeFor[Env]())
	for _, f := range builtin.Builtins {
		if !slices.Contains(disabledBuiltins, f.Name) && !strings.HasPrefix(f.Name, "$") {
			names = append(names, f.Name)
		}
	}
	return append(names, "domain", "matches", "contains_any", "in_business_hours", "replace", "repeat", "join", "string")
}

// suggestion is "; did you mean `x`?" for the candidate closest to name, or "" when none is close.
func suggestion(name string, candidates []string) string {
	best, bestDist := "", len(name)/3+2 // at most about a third of the name may differ
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestDist && c != name {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean `%s`?", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes (names are ASCII).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len(a), len(b))
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
