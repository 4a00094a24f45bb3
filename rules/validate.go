package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/routedesk/routedesk/domain"
)

// propertyKey is the shape of a property name a rule may set.
var propertyKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// compiledRule is a rule ready to evaluate, or the reasons it cannot be.
type compiledRule struct {
	id      string
	version int
	kind    Kind
	when    *vm.Program
	set     []setValue // sorted by key
	skills  []string   // sorted, deduplicated
	errs    []domain.FieldError

	// The source, to detect a rule whose text changed without a new version.
	src     string
	rawKeys []string // the set map's keys and values, in the same order
	rawVals []any
	rawReqs []string
}

// setValue is one entry of a property rule's set map.
type setValue struct {
	key     string
	literal any
	program *vm.Program // nil for a literal
}

// ValidateRule checks a rule as an admin submitted it and returns one error per invalid field.
func ValidateRule(r Rule) []domain.FieldError {
	return append(nameErrors(r), compileRule(r).errs...)
}

// nameErrors checks the rule's name, which matters to admins but not to evaluation.
func nameErrors(r Rule) []domain.FieldError {
	switch name := strings.TrimSpace(r.Name); {
	case name == "":
		return []domain.FieldError{{Field: "name", Message: "is required"}}
	case len(name) > MaxNameBytes:
		return []domain.FieldError{{Field: "name", Message: fmt.Sprintf("is %d bytes; the limit is %d", len(name), MaxNameBytes)}}
	}
	return nil
}

// compileRule validates and compiles everything in r that evaluation uses; errs is empty when the rule is usable.
func compileRule(r Rule) *compiledRule {
	c := &compiledRule{id: r.ID, version: r.Version, kind: r.Kind, src: r.When, rawReqs: slices.Clone(r.RequireSkills)}
	for k, v := range r.Set {
		c.rawKeys = append(c.rawKeys, k)
		c.rawVals = append(c.rawVals, v)
	}
	fail := func(field, format string, args ...any) {
		c.errs = append(c.errs, fieldError(field, format, args...))
	}
	if r.Kind != KindProperty && r.Kind != KindSkill {
		fail("kind", "must be %q or %q, not %q", KindProperty, KindSkill, r.Kind)
	}
	if strings.TrimSpace(r.When) == "" {
		fail("when", "is required")
	} else if p, err := compileExpr(r.When, true); err != nil {
		fail("when", "%w", err)
	} else {
		c.when = p
	}
	switch r.Kind {
	case KindProperty:
		if len(r.RequireSkills) > 0 {
			fail("require_skills", "only skill rules require skills")
		}
		c.compileSet(r.Set, fail)
	case KindSkill:
		if len(r.Set) > 0 {
			fail("set", "only property rules set properties")
		}
		c.compileSkills(r.RequireSkills, fail)
	}
	if len(c.errs) > 0 {
		c.when, c.set, c.skills = nil, nil, nil
	}
	return c
}

// compileSet validates and compiles a property rule's set map.
func (c *compiledRule) compileSet(set map[string]any, fail func(field, format string, args ...any)) {
	if len(set) == 0 {
		fail("set", "a property rule must set at least one property")
		return
	}
	if len(set) > MaxSetKeys {
		fail("set", "sets %d properties; the limit is %d", len(set), MaxSetKeys)
		return
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		field := "set." + k
		if len(k) > MaxNameBytes || !propertyKey.MatchString(k) {
			fail(field, "property names start with a letter or _ and contain only letters, digits, _, . and - (at most %d bytes)", MaxNameBytes)
			continue
		}
		v, err := c.setValue(k, set[k])
		if err != nil {
			fail(field, "%w", err)
			continue
		}
		c.set = append(c.set, v)
	}
}

// setValue classifies one set entry: "=expr" strings are compiled, other
// scalars are literals. A value that could never be stored is refused here:
// a literal or constant expression that is not finite, too large or of the
// wrong type for the property, or an expression whose type is wrong for it.
func (c *compiledRule) setValue(key string, raw any) (setValue, error) {
	switch v := raw.(type) {
	case string:
		if strings.HasPrefix(v, "==") {
			v = v[1:]
		} else if src, ok := strings.CutPrefix(v, "="); ok {
			p, err := compileExpr(src, false)
			if err != nil {
				if err.Line == 1 {
					err.Column++ // count the leading "=" the admin typed
				}
				return setValue{}, err
			}
			if err := checkSetExpr(key, p); err != nil {
				return setValue{}, err
			}
			return setValue{key: key, program: p}, nil
		}
		if len(v) > MaxLiteralBytes {
			return setValue{}, fmt.Errorf("%w: value is %d bytes; the limit is %d", ErrLimit, len(v), MaxLiteralBytes)
		}
		if f := checkStorable(key, v); f != nil {
			return setValue{}, errors.New(strings.Replace(f.msg, "evaluated to", "is", 1))
		}
		return setValue{key: key, literal: v}, nil
	case bool, float64, float32, int, int64, int32, json.Number:
		if f := checkStorable(key, v); f != nil {
			return setValue{}, errors.New(strings.Replace(f.msg, "evaluated to", "is", 1))
		}
		return setValue{key: key, literal: v}, nil
	}
	return setValue{}, fmt.Errorf("must be a string, number, boolean or \"=expression\", not %s", describe(raw))
}

// checkSetExpr refuses a set expression whose value could never be stored as
// property key: a constant the compiler folded (such as 0/0) that cannot be,
// or a type other than text for pipeline, status and priority.
func checkSetExpr(key string, p *vm.Program) error {
	node := p.Node()
	if v, ok := constantValue(node); ok {
		if f := checkStorable(key, v); f != nil {
			return errors.New(strings.Replace(f.msg, "evaluated to", "always evaluates to", 1))
		}
		return nil
	}
	t := typeOf(node)
	if t == nil || t.Kind() == reflect.Interface {
		return nil // known only at run time, and checked then
	}
	if ticketFields[key] && t.Kind() != reflect.String {
		return fmt.Errorf("evaluates to %s, but %s takes text", article(typeName(t)), key)
	}
	if t.Kind() == reflect.Func || t.Kind() == reflect.Chan {
		return fmt.Errorf("evaluates to %s, which cannot be stored", article(typeName(t)))
	}
	return nil
}

// constantValue is the value of a node the compiler folded to a constant.
func constantValue(node ast.Node) (any, bool) {
	switch n := node.(type) {
	case *ast.FloatNode:
		return n.Value, true
	case *ast.IntegerNode:
		return n.Value, true
	case *ast.StringNode:
		return n.Value, true
	case *ast.BoolNode:
		return n.Value, true
	case *ast.NilNode:
		return nil, true
	case *ast.ConstantNode:
		return n.Value, true
	case *ast.VariableDeclaratorNode:
		if strings.HasPrefix(n.Name, "$w#") {
			return constantValue(n.Value)
		}
	}
	return nil, false
}

// compileSkills validates a skill rule's required skills and sorts and deduplicates them.
func (c *compiledRule) compileSkills(skills []string, fail func(field, format string, args ...any)) {
	if len(skills) == 0 {
		fail("require_skills", "a skill rule must require at least one skill")
		return
	}
	if len(skills) > MaxSkills {
		fail("require_skills", "requires %d skills; the limit is %d", len(skills), MaxSkills)
		return
	}
	for i, s := range skills {
		switch t := strings.TrimSpace(s); {
		case t == "":
			fail(fmt.Sprintf("require_skills[%d]", i), "is empty")
		case t != s:
			fail(fmt.Sprintf("require_skills[%d]", i), "has leading or trailing spaces")
		case len(s) > MaxNameBytes:
			fail(fmt.Sprintf("require_skills[%d]", i), "is %d bytes; the limit is %d", len(s), MaxNameBytes)
		default:
			c.skills = append(c.skills, s)
		}
	}
	slices.Sort(c.skills)
	c.skills = slices.Compact(c.skills)
}

// sameSource reports whether r has the text c was compiled from.
func (c *compiledRule) sameSource(r *Rule) bool {
	if c.kind != r.Kind || c.src != r.When || len(c.rawKeys) != len(r.Set) || !slices.Equal(c.rawReqs, r.RequireSkills) {
		return false
	}
	// Same length and every old key present with the same value: the maps are equal.
	// Lookups by key cost less than iterating r.Set.
	for i, k := range c.rawKeys {
		v, ok := r.Set[k]
		if !ok || !sameValue(c.rawVals[i], v) {
			return false
		}
	}
	return true
}

// sameValue compares two set values without panicking on uncomparable ones.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case int:
		y, ok := b.(int)
		return ok && x == y
	case json.Number:
		y, ok := b.(json.Number)
		return ok && x == y
	}
	return reflect.DeepEqual(a, b)
}

// fieldError is the error of field, with the line and column of an
// expression's CompileError in their own fields rather than in the message.
func fieldError(field, format string, args ...any) domain.FieldError {
	err := fmt.Errorf(format, args...)
	var ce *CompileError
	if errors.As(err, &ce) {
		return domain.FieldError{Field: field, Message: ce.Message, Line: ce.Line, Column: ce.Column}
	}
	return domain.FieldError{Field: field, Message: err.Error()}
}

// errorMessage joins the rule's field errors into one line, each with its position once.
func (c *compiledRule) errorMessage() string {
	parts := make([]string, len(c.errs))
	for i, fe := range c.errs {
		parts[i] = fe.Field + ": " + fe.Message
		if fe.Line > 0 {
			parts[i] = fmt.Sprintf("%s: line %d, column %d: %s", fe.Field, fe.Line, fe.Column, fe.Message)
		}
	}
	return strings.Join(parts, "; ")
}
