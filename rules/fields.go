package rules

import (
	"reflect"

	"github.com/expr-lang/expr/ast"
)

// fieldName is the internal function that reads a string field of the env
// from the evaluation's boxed copies.
const fieldName = "_field"

// stringField is a string field one level below the env's root, such as message.from.
type stringField struct {
	path  string // "message.from"
	index [2]int // in Env
}

// stringFields lists Env's second-level string fields; stringFieldIndex finds them by path.
var stringFields, stringFieldIndex = envStringFields()

// envStringFields lists the string fields of Env's top-level struct fields by their expr names.
func envStringFields() ([]stringField, map[string]int) {
	var fields []stringField
	index := map[string]int{}
	env := reflect.TypeFor[Env]()
	for i := range env.NumField() {
		root := env.Field(i)
		if !root.IsExported() || root.Type.Kind() != reflect.Struct {
			continue
		}
		for j := range root.Type.NumField() {
			f := root.Type.Field(j)
			if f.Type.Kind() != reflect.String || f.Tag.Get("expr") == "" {
				continue
			}
			path := root.Tag.Get("expr") + "." + f.Tag.Get("expr")
			index[path] = len(fields)
			fields = append(fields, stringField{path: path, index: [2]int{i, j}})
		}
	}
	return fields, index
}

// boxedFields holds the string fields of one evaluation's Env as interface
// values, boxed on first use and shared by every program of the evaluation:
// reading a string field through expr's reflection would allocate a new box
// on every access.
type boxedFields struct {
	values [32]any
}

// get returns field k of env, boxing it on first use.
func (b *boxedFields) get(env *Env, k int) any {
	if v := b.values[k]; v != nil {
		return v
	}
	f := stringFields[k]
	v := reflect.ValueOf(env).Elem().Field(f.index[0]).Field(f.index[1]).Interface()
	b.values[k] = v
	return v
}

// fieldFunc implements _field($env, k): string field k of the run's env.
func fieldFunc(params ...any) (any, error) {
	env := params[0].(*runEnv)
	return env.boxed.get(&env.Env, params[1].(int)), nil
}

// fieldPatch rewrites root.field, for a string field of the env, into
// _field($env, k), and a value derived from such a field into the call that
// shares it, folding the guard's charge into it (derived.go). A root always means the env's field: expr refuses
// a let that redeclares it.
type fieldPatch struct{}

// Visit is called for every node, children first.
func (fieldPatch) Visit(node *ast.Node) {
	if shareDerived(node) || foldCharge(node) {
		return
	}
	m, ok := (*node).(*ast.MemberNode)
	if !ok || m.Optional || m.Method {
		return
	}
	root, ok := m.Node.(*ast.IdentifierNode)
	if !ok {
		return
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	k, ok := stringFieldIndex[root.Value+"."+prop.Value]
	if !ok {
		return
	}
	*node = internalCall(m.Location(), fieldName, &ast.IntegerNode{Value: k})
}
