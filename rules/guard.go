package rules

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// loopBuiltins are the builtins that iterate over their first argument.
var loopBuiltins = map[string]bool{
	"all": true, "none": true, "any": true, "one": true, "filter": true, "map": true,
	"find": true, "findIndex": true, "findLast": true, "findLastIndex": true,
	"count": true, "sum": true, "groupBy": true, "sortBy": true, "reduce": true,
}

// guard is the AST patch that inserts work accounting: it wraps every loop's
// collection, and every operation that builds a string, list or map, as
//
//	let $w#N = <node>; _charge($w#N); $w#N
//
// which keeps the node's type, so type checking is unchanged. It also records
// the first invalid literal argument to a helper (a bad regex, business-hours
// spec or time zone) so that it is reported at compile time.
type guard struct {
	n          int
	literalErr *literalError
}

// literalError is a bad literal argument found while patching.
type literalError struct {
	node ast.Node
	msg  string
}

// Visit is called for every node, children first.
func (g *guard) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BuiltinNode:
		if loopBuiltins[n.Name] && len(n.Arguments) > 0 {
			n.Arguments[0] = g.wrap(n.Arguments[0])
			for _, arg := range n.Arguments[1:] {
				if cl, ok := arg.(*ast.PredicateNode); ok {
					cl.Node = ticked(cl.Node)
				}
			}
		}
		if builds(n.Type()) {
			*node = g.wrap(n)
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			if id.Value == chargeName || id.Value == tickName {
				return
			}
			g.checkLiterals(id.Value, n.Arguments)
			if g.literalErr == nil && g.precompute(node, id.Value, n.Arguments) {
				return
			}
		}
		if builds(n.Type()) {
			*node = g.wrap(n)
		}
	case *ast.BinaryNode:
		if n.Operator == "+" && (maybeString(typeOf(n.Left)) || maybeString(typeOf(n.Right))) {
			*node = g.wrap(n)
		}
	}
}

// precompute replaces work the VM would repeat on every run by its result,
// computed once here, and reports whether it replaced the node itself:
//
//   - matches(s, "literal") on a string s becomes s matches "literal", which
//     expr compiles with the regular expression already compiled (no cache
//     lookup per run); on a string both forms give the same answer;
//   - contains_any's literal list of strings becomes a constant []string,
//     so the list is not built on every run.
func (g *guard) precompute(node *ast.Node, fn string, args []ast.Node) bool {
	switch fn {
	case matchesAlias:
		if len(args) != 2 {
			return false
		}
		lit, ok := args[1].(*ast.StringNode)
		if t := typeOf(args[0]); !ok || t == nil || t.Kind() != reflect.String {
			return false
		}
		if _, err := compileRegex(lit.Value); err != nil {
			return false
		}
		op := &ast.BinaryNode{Operator: "matches", Left: args[0], Right: lit}
		op.SetLocation((*node).Location())
		op.SetType((*node).Type())
		*node = op
		return true
	case "contains_any":
		if len(args) != 2 {
			return false
		}
		list, ok := args[1].(*ast.ArrayNode)
		if !ok {
			return false
		}
		items := make([]string, len(list.Nodes))
		for i, n := range list.Nodes {
			s, ok := n.(*ast.StringNode)
			if !ok {
				return false
			}
			items[i] = s.Value
		}
		c := &ast.ConstantNode{Value: items}
		c.SetLocation(list.Location())
		args[1] = c
	}
	return false
}

// wrap returns node wrapped in the accounting sequence.
func (g *guard) wrap(node ast.Node) ast.Node {
	g.n++
	name := "$w#" + strconv.Itoa(g.n) // "#" cannot occur in a parsed identifier
	loc := node.Location()
	ident := func(v string) ast.Node {
		id := &ast.IdentifierNode{Value: v}
		id.SetLocation(loc)
		return id
	}
	call := &ast.CallNode{Callee: ident(chargeName), Arguments: []ast.Node{ident(name)}}
	call.SetLocation(loc)
	seq := &ast.SequenceNode{Nodes: []ast.Node{call, ident(name)}}
	seq.SetLocation(loc)
	decl := &ast.VariableDeclaratorNode{Name: name, Value: node, Expr: seq}
	decl.SetLocation(loc)
	return decl
}

// ticked returns a loop predicate's body preceded by _tick(), which charges
// the iteration and looks at the clock: a loop over a cheap collection with
// an expensive body is bounded in time, not only in the collection's size.
func ticked(body ast.Node) ast.Node {
	loc := body.Location()
	callee := &ast.IdentifierNode{Value: tickName}
	callee.SetLocation(loc)
	call := &ast.CallNode{Callee: callee}
	call.SetLocation(loc)
	seq := &ast.SequenceNode{Nodes: []ast.Node{call, body}}
	seq.SetLocation(loc)
	return seq
}

// typeOf returns a node's checked type, looking through accounting wrappers.
func typeOf(node ast.Node) reflect.Type {
	if d, ok := node.(*ast.VariableDeclaratorNode); ok && strings.HasPrefix(d.Name, "$w#") {
		return typeOf(d.Value)
	}
	return node.Type()
}

// builds reports whether a value of type t may be a freshly built string, list or map.
func builds(t reflect.Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.String, reflect.Slice, reflect.Array, reflect.Map:
		return true
	}
	return false
}

// maybeString reports whether t is a string or unknown until run time.
func maybeString(t reflect.Type) bool {
	return t == nil || t.Kind() == reflect.String || t.Kind() == reflect.Interface
}

// checkLiterals validates literal regex, spec and time-zone arguments of helper calls.
func (g *guard) checkLiterals(fn string, args []ast.Node) {
	if g.literalErr != nil {
		return
	}
	lit := func(i int) (*ast.StringNode, bool) {
		if i >= len(args) {
			return nil, false
		}
		s, ok := args[i].(*ast.StringNode)
		return s, ok
	}
	switch fn {
	case matchesAlias:
		if s, ok := lit(1); ok {
			if _, err := compileRegex(s.Value); err != nil {
				g.literalErr = &literalError{node: s, msg: err.Error()}
			}
		}
	case "in_business_hours":
		if s, ok := lit(1); ok {
			if _, err := cachedSchedule(s.Value); err != nil {
				g.literalErr = &literalError{node: s, msg: err.Error()}
				return
			}
		}
		if s, ok := lit(2); ok && s.Value != "" {
			if _, err := cachedLocation(s.Value); err != nil {
				g.literalErr = &literalError{node: s, msg: err.Error()}
			}
		}
	}
}
