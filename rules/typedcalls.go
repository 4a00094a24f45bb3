package rules

import (
	"errors"
	"reflect"
	"regexp"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/vm"
)

// expr's VM builds an argument list for every run of a program that calls an
// expr function (an allocation, sized by a scan of the whole program), and
// reads a func field of the env through reflection, but calls a constant
// function whose signature it knows with its arguments straight off the
// stack. So, after type checking, calls of the helpers and of the accounting
// hooks are redirected to such constants: types, overloads and compile errors
// stay those of the declared functions, and each call keeps its checked type,
// from which the compiler picks the operations around it.

// typedCall is the constant a helper's calls are redirected to; env is set
// when its first argument is the run's env ($env), from which it reads the
// evaluation's state.
type typedCall struct {
	fn    any // one of vm.FuncTypes
	arity int // arguments, $env included
	env   bool
}

// typedCalls are the redirected helpers and hooks by name.
var typedCalls = map[string]typedCall{
	fieldName:          {fn: func(env, k any) any { return must(fieldFunc(env, k)) }, arity: 2, env: true},
	derivedName:        {fn: func(env, code any) any { return must(derivedFunc(env, code)) }, arity: 2, env: true},
	derivedChargedName: {fn: func(env, code any) any { return must(derivedChargedFunc(env, code)) }, arity: 2, env: true},
	fieldMatchName:     {fn: fieldMatchTyped, arity: 2, env: true},    // (k, re) folded into one argument by redirect
	fieldContainsName:  {fn: fieldContainsTyped, arity: 2, env: true}, // (k, items) folded likewise
	chargeName:         {fn: func(env, v any) bool { return env.(*runEnv).Charge(v) }, arity: 2, env: true},
	tickName:           {fn: func(env any) bool { return env.(*runEnv).Tick() }, arity: 1, env: true},
	"domain":           {fn: func(s any) any { return must(domainFunc(s)) }, arity: 1},
	"contains_any":     {fn: func(s, list any) any { return must(containsAnyFunc(s, list)) }, arity: 2},
	matchesAlias:       {fn: func(s, re any) any { return must(matchesFunc(s, re)) }, arity: 2},
	"repeat":           {fn: func(s, n any) any { return must(repeatFunc(s, n)) }, arity: 2},
	"string":           {fn: func(v any) any { return must(stringFunc(v)) }, arity: 1},
}

// propertyReads read a custom property of the run's env: (env, key), by the root whose properties they read.
var propertyReads = map[string]func(env, key any) any{
	"ticket":  func(env, key any) any { return env.(*runEnv).Ticket.Properties[key.(string)] },
	"contact": func(env, key any) any { return env.(*runEnv).Contact.Properties[key.(string)] },
}

// scalarReads read a non-string, non-map field of the run's env, by its
// path: expr's reflection would box a copy of it on every read, where Go
// boxes a small integer or a boolean without allocating.
var scalarReads = map[string]func(env any) any{
	"message.attachments": func(env any) any { return env.(*runEnv).Message.Attachments },
	"contact.is_new":      func(env any) any { return env.(*runEnv).Contact.IsNew },
}

// fieldMatchArgs are the field and regex of a shared field match, as one constant.
type fieldMatchArgs struct {
	k  int
	re *regexp.Regexp
}

// fieldMatchTyped is _fieldmatch($env, k, re) with k and re in one argument.
func fieldMatchTyped(env, args any) any {
	a := args.(*fieldMatchArgs)
	return must(fieldMatchFunc(env, a.k, a.re))
}

// fieldContainsArgs are the field and lower-cased items of a shared contains_any, as one constant.
type fieldContainsArgs struct {
	k     int
	items []string
}

// fieldContainsTyped is _fieldcontains($env, k, items) with k and items in one argument.
func fieldContainsTyped(env, args any) any {
	a := args.(*fieldContainsArgs)
	return must(fieldContains(env.(*runEnv), a.k, a.items)) // a []string passed as any would be boxed on every call
}

// must returns v, or panics with err as the VM does for an expr function's
// error: the run fails with it.
func must(v any, err error) any {
	if err != nil {
		panic(err)
	}
	return v
}

// compileChecked is expr.Compile with the typed-call redirection between type checking and compiling.
func compileChecked(src string, opts []expr.Option) (*vm.Program, error) {
	config := conf.CreateNew()
	for _, op := range opts {
		op(config)
	}
	for name := range config.Disabled {
		delete(config.Builtins, name)
	}
	config.Check()
	tree, err := checker.ParseCheck(src, config)
	if err != nil {
		return nil, err
	}
	ast.Walk(&tree.Node, redirect{})
	if config.Optimize {
		if err := optimizer.Optimize(&tree.Node, config); err != nil {
			var fileError *file.Error
			if errors.As(err, &fileError) {
				return nil, fileError.Bind(tree.Source)
			}
			return nil, err
		}
	}
	return compiler.Compile(tree, config)
}

// redirect is the post-check pass that sends calls of typedCalls to their
// constants, and reads of ticket.properties.key and contact.properties.key to
// propertyReads: expr's reflection would copy each value it reads out of the map.
type redirect struct{}

// Visit is called for every node, children first.
func (redirect) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.MemberNode:
		if !redirectScalar(node, n) {
			redirectProperty(node, n)
		}
	case *ast.CallNode:
		redirectCall(n)
	}
}

// redirectCall points a call of a typedCalls helper at its constant.
func redirectCall(call *ast.CallNode) {
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	tc, ok := typedCalls[id.Value]
	if !ok {
		return
	}
	args := call.Arguments
	if tc.env {
		env := &ast.IdentifierNode{Value: "$env"}
		env.SetLocation(id.Location())
		env.SetType(reflect.TypeFor[*runEnv]())
		switch id.Value {
		case chargeName, tickName: // the hooks are fields of the env, called without it
			args = append([]ast.Node{env}, args...)
		case fieldMatchName:
			folded, ok := foldFieldMatch(args)
			if !ok {
				return
			}
			args = folded
		case fieldContainsName:
			folded, ok := foldFieldContains(args)
			if !ok {
				return
			}
			args = folded
		}
		if first, ok := args[0].(*ast.IdentifierNode); !ok || first.Value != "$env" {
			return
		}
	}
	if len(args) != tc.arity {
		return
	}
	call.Callee, call.Arguments = constant(tc.fn, id.Location()), args
}

// foldFieldMatch turns _fieldmatch's arguments ($env, k, re) into ($env, {k, re}).
func foldFieldMatch(args []ast.Node) ([]ast.Node, bool) {
	if len(args) != 3 {
		return nil, false
	}
	k, ok := args[1].(*ast.IntegerNode)
	if !ok {
		return nil, false
	}
	re, ok := args[2].(*ast.ConstantNode)
	if !ok {
		return nil, false
	}
	rx, ok := re.Value.(*regexp.Regexp)
	if !ok {
		return nil, false
	}
	return []ast.Node{args[0], constant(&fieldMatchArgs{k: k.Value, re: rx}, re.Location())}, true
}

// foldFieldContains turns _fieldcontains's arguments ($env, k, items) into ($env, {k, items}).
func foldFieldContains(args []ast.Node) ([]ast.Node, bool) {
	if len(args) != 3 {
		return nil, false
	}
	k, ok := args[1].(*ast.IntegerNode)
	if !ok {
		return nil, false
	}
	list, ok := args[2].(*ast.ConstantNode)
	if !ok {
		return nil, false
	}
	items, ok := list.Value.([]string)
	if !ok {
		return nil, false
	}
	return []ast.Node{args[0], constant(&fieldContainsArgs{k: k.Value, items: items}, list.Location())}, true
}

// redirectProperty rewrites root.properties.key (or ["key"]) into a call of
// its propertyReads function, keeping its checked type.
func redirectProperty(node *ast.Node, m *ast.MemberNode) {
	key, ok := m.Property.(*ast.StringNode)
	if !ok || m.Optional || m.Method {
		return
	}
	props, ok := m.Node.(*ast.MemberNode)
	if !ok || props.Optional || props.Method {
		return
	}
	if name, ok := props.Property.(*ast.StringNode); !ok || name.Value != "properties" {
		return
	}
	root, ok := props.Node.(*ast.IdentifierNode)
	if !ok {
		return
	}
	read, ok := propertyReads[root.Value]
	if !ok {
		return
	}
	env := &ast.IdentifierNode{Value: "$env"}
	env.SetType(reflect.TypeFor[*runEnv]())
	env.SetLocation(m.Location())
	call := &ast.CallNode{Callee: constant(read, m.Location()), Arguments: []ast.Node{env, key}}
	call.SetLocation(m.Location())
	call.SetNature(*m.Nature())
	*node = call
}

// redirectScalar rewrites root.field, for a field of scalarReads, into a call
// of its read, keeping its checked type; it reports whether it did.
func redirectScalar(node *ast.Node, m *ast.MemberNode) bool {
	prop, ok := m.Property.(*ast.StringNode)
	if !ok || m.Optional || m.Method {
		return false
	}
	root, ok := m.Node.(*ast.IdentifierNode)
	if !ok {
		return false
	}
	read, ok := scalarReads[root.Value+"."+prop.Value]
	if !ok {
		return false
	}
	env := &ast.IdentifierNode{Value: "$env"}
	env.SetType(reflect.TypeFor[*runEnv]())
	env.SetLocation(m.Location())
	call := &ast.CallNode{Callee: constant(read, m.Location()), Arguments: []ast.Node{env}}
	call.SetLocation(m.Location())
	call.SetNature(*m.Nature())
	*node = call
	return true
}

// constant is a constant node holding v, typed as v is.
func constant(v any, loc file.Location) *ast.ConstantNode {
	c := &ast.ConstantNode{Value: v}
	c.SetType(reflect.TypeOf(v))
	c.SetLocation(loc)
	return c
}
