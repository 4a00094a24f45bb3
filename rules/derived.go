package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// Values derived from one string field of the env — domain(message.from),
// upper(contact.country), ticket.subject matches "…" — are the same for every
// rule of an evaluation, and rule sets repeat them from rule to rule. The
// compiler rewrites them into calls that compute each once per evaluation and
// share the result; the work budget is still charged on every use (the guard
// wraps the call as it wrapped the original).

// Internal names of the shared derived values.
const (
	derivedName        = "_derived"
	derivedChargedName = "_derived_charged" // _derived, charging the work budget for the value
	fieldMatchName     = "_fieldmatch"
	fieldContainsName  = "_fieldcontains"
)

// derivedOps are the pure string functions whose results on a field are
// shared, by index; derivedFuncs computes them.
var derivedOps = map[string]int{"domain": 0, "upper": 1, "lower": 2}

var derivedFuncs = [...]func(string) string{emailDomain, strings.ToUpper, strings.ToLower}

// maxFieldMatches bounds the (field, regex) results one evaluation keeps;
// past it a match is computed on every use.
const maxFieldMatches = 64

// fieldMatch is one shared result of a regex on a string field.
type fieldMatch struct {
	field   int
	re      *regexp.Regexp
	matched bool
}

// derivedValues holds one evaluation's derived values, computed on first use.
type derivedValues struct {
	values  [len(derivedFuncs) * len(boxedFields{}.values)]any
	matches []fieldMatch
}

// reset forgets the values of the last evaluation, keeping the buffers.
func (d *derivedValues) reset() {
	clear(d.values[:])
	d.matches = d.matches[:0]
}

// derivedFunc implements _derived($env, code): derivedFuncs[code / 32] of string field code % 32.
func derivedFunc(params ...any) (any, error) {
	env := params[0].(*runEnv)
	code := params[1].(int)
	n := len(env.boxed.values)
	if code < 0 || code >= len(env.derived.values) || code%n >= len(stringFields) {
		return nil, fmt.Errorf("%s: no derived value %d", derivedName, code)
	}
	if v := env.derived.values[code]; v != nil {
		return v, nil
	}
	s, _ := env.boxed.get(&env.Env, code%n).(string)
	var v any = derivedFuncs[code/n](s)
	env.derived.values[code] = v
	return v, nil
}

// derivedChargedFunc implements _derived_charged($env, code): derivedFunc's
// value, charged to the run's work budget as the guard's wrapper around
// _derived charged it, in one call instead of the wrapper's seven operations.
func derivedChargedFunc(params ...any) (any, error) {
	v, err := derivedFunc(params...)
	if err != nil {
		return nil, err
	}
	params[0].(*runEnv).Charge(v)
	return v, nil
}

// fieldMatchFunc implements _fieldmatch($env, k, re): whether string field k matches re.
func fieldMatchFunc(params ...any) (any, error) {
	env := params[0].(*runEnv)
	k := params[1].(int)
	re := params[2].(*regexp.Regexp)
	if k < 0 || k >= len(stringFields) {
		return nil, fmt.Errorf("%s: no field %d", fieldMatchName, k)
	}
	d := &env.derived
	for _, m := range d.matches {
		if m.field == k && m.re == re {
			return m.matched, nil
		}
	}
	s, _ := env.boxed.get(&env.Env, k).(string)
	matched := re.MatchString(s)
	if len(d.matches) < maxFieldMatches {
		d.matches = append(d.matches, fieldMatch{field: k, re: re, matched: matched})
	}
	return matched, nil
}

// fieldIndexOf returns k when node is the call _field($env, k) that fieldPatch made.
func fieldIndexOf(node ast.Node) (int, bool) {
	call, ok := node.(*ast.CallNode)
	if !ok || len(call.Arguments) != 2 {
		return 0, false
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); !ok || id.Value != fieldName {
		return 0, false
	}
	k, ok := call.Arguments[1].(*ast.IntegerNode)
	if !ok {
		return 0, false
	}
	return k.Value, true
}

// shareDerived rewrites node, if it is a derived value of a string field, into
// the call that shares it; it reports whether it did.
func shareDerived(node *ast.Node) bool {
	var op string
	var args []ast.Node
	switch n := (*node).(type) {
	case *ast.BuiltinNode:
		op, args = n.Name, n.Arguments
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			op, args = id.Value, n.Arguments
		}
		if op == "contains_any" {
			return shareFieldContains(node, args)
		}
	case *ast.BinaryNode:
		return shareFieldMatch(node, n)
	}
	i, ok := derivedOps[op]
	if !ok || len(args) != 1 {
		return false
	}
	k, ok := fieldIndexOf(args[0])
	if !ok {
		return false
	}
	*node = internalCall((*node).Location(), derivedName, &ast.IntegerNode{Value: i*len(boxedFields{}.values) + k})
	return true
}

// shareFieldMatch rewrites `field matches "literal"` into _fieldmatch($env, k, re).
func shareFieldMatch(node *ast.Node, n *ast.BinaryNode) bool {
	lit, ok := n.Right.(*ast.StringNode)
	if n.Operator != "matches" || !ok {
		return false
	}
	k, ok := fieldIndexOf(n.Left)
	if !ok {
		return false
	}
	re, err := compileRegex(lit.Value)
	if err != nil {
		return false // the compiler reports it
	}
	*node = internalCall(n.Location(), fieldMatchName, &ast.IntegerNode{Value: k}, &ast.ConstantNode{Value: re})
	return true
}

// shareFieldContains rewrites contains_any(field, ["literal", …]), whose
// list the guard made a constant, into _fieldcontains($env, k, items) with
// the items lower-cased once here; it reports whether it did.
func shareFieldContains(node *ast.Node, args []ast.Node) bool {
	if len(args) != 2 {
		return false
	}
	k, ok := fieldIndexOf(args[0])
	if !ok {
		return false
	}
	list, ok := args[1].(*ast.ConstantNode)
	if !ok {
		return false
	}
	items, ok := list.Value.([]string)
	if !ok {
		return false
	}
	lowered := make([]string, 0, len(items))
	for _, item := range items {
		if item != "" { // an empty item never matches
			lowered = append(lowered, strings.ToLower(item))
		}
	}
	*node = internalCall((*node).Location(), fieldContainsName, &ast.IntegerNode{Value: k}, &ast.ConstantNode{Value: lowered})
	return true
}

// fieldContainsFunc implements _fieldcontains($env, k, items): whether the
// lower-cased string field k — computed once per evaluation and shared, as
// lower(field) is — contains any of the lower-cased, non-empty items. That
// is contains_any's answer: it ignores case as strings.ToLower does.
func fieldContainsFunc(params ...any) (any, error) {
	return fieldContains(params[0].(*runEnv), params[1].(int), params[2].([]string))
}

// fieldContains is fieldContainsFunc's work, its arguments unboxed.
func fieldContains(env *runEnv, k int, items []string) (any, error) {
	if k < 0 || k >= len(stringFields) {
		return nil, fmt.Errorf("%s: no field %d", fieldContainsName, k)
	}
	v, err := derivedFunc(env, derivedOps["lower"]*len(env.boxed.values)+k)
	if err != nil {
		return nil, err
	}
	lower := v.(string)
	for _, item := range items {
		if strings.Contains(lower, item) {
			return true, nil
		}
	}
	return false, nil
}

// foldCharge rewrites the guard's wrapper around a shared derived value,
//
//	let $w#N = _derived($env, code); _charge($w#N); $w#N
//
// into _derived_charged($env, code), which charges the same; it reports whether it did.
func foldCharge(node *ast.Node) bool {
	d, ok := (*node).(*ast.VariableDeclaratorNode)
	if !ok || !strings.HasPrefix(d.Name, "$w#") {
		return false
	}
	call, ok := d.Value.(*ast.CallNode)
	if !ok || len(call.Arguments) != 2 {
		return false
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); !ok || id.Value != derivedName {
		return false
	}
	code, ok := call.Arguments[1].(*ast.IntegerNode)
	if !ok || !isChargeOf(d.Expr, d.Name) {
		return false
	}
	*node = internalCall(d.Location(), derivedChargedName, &ast.IntegerNode{Value: code.Value})
	return true
}

// isChargeOf reports whether node is the guard's `_charge(name); name`.
func isChargeOf(node ast.Node, name string) bool {
	seq, ok := node.(*ast.SequenceNode)
	if !ok || len(seq.Nodes) != 2 {
		return false
	}
	isName := func(n ast.Node) bool {
		id, ok := n.(*ast.IdentifierNode)
		return ok && id.Value == name
	}
	charge, ok := seq.Nodes[0].(*ast.CallNode)
	if !ok || len(charge.Arguments) != 1 || !isName(charge.Arguments[0]) || !isName(seq.Nodes[1]) {
		return false
	}
	callee, ok := charge.Callee.(*ast.IdentifierNode)
	return ok && callee.Value == chargeName
}

// internalCall builds the call name($env, args...) at loc.
func internalCall(loc file.Location, name string, args ...ast.Node) ast.Node {
	env := &ast.IdentifierNode{Value: "$env"}
	callee := &ast.IdentifierNode{Value: name}
	call := &ast.CallNode{Callee: callee, Arguments: append([]ast.Node{env}, args...)}
	for _, n := range append([]ast.Node{env, callee, call}, args...) {
		n.SetLocation(loc)
	}
	return call
}
