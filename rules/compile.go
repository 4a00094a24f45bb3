package rules

import (
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser/lexer"
	"github.com/expr-lang/expr/vm"
)

// Validate compiles a `when` expression and returns its first error, or nil if it is valid.
func Validate(when string) *CompileError {
	_, err := compileExpr(when, true)
	return err
}

// CheckWhen validates a `when` expression and reports the result in the API's shape.
func CheckWhen(when string) Check {
	ce := Validate(when)
	if ce == nil {
		return Check{Valid: true}
	}
	return Check{Error: ce.Message, Line: ce.Line, Column: ce.Column}
}

// compileExpr compiles src against Env within the limits, as a boolean
// expression when asBool is set, with work accounting inserted.
func compileExpr(src string, asBool bool) (*vm.Program, *CompileError) {
	if strings.TrimSpace(src) == "" {
		return nil, &CompileError{Message: "expression is empty"}
	}
	if len(src) > MaxExpressionBytes {
		return nil, limitError("expression is %d bytes; the limit is %d", len(src), MaxExpressionBytes)
	}
	src = rewriteMatchesCalls(src)
	g := &guard{}
	program, err := compileChecked(src, options(asBool, g))
	if err != nil {
		// Report the error of the expression as written, not as patched.
		if _, plain := expr.Compile(src, options(asBool, nil)...); plain != nil {
			err = plain
		}
		return nil, toCompileError(err)
	}
	if g.literalErr != nil {
		fe := &file.Error{Location: g.literalErr.node.Location(), Message: g.literalErr.msg}
		return nil, fromFileError(fe.Bind(file.NewSource(src)))
	}
	return program, nil
}

// options returns the compile options; g, if not nil, is the accounting patch.
func options(asBool bool, g *guard) []expr.Option {
	opts := make([]expr.Option, 0, len(functionOptions)+5)
	opts = append(opts, expr.Env(runEnv{}), expr.MaxNodes(MaxNodes))
	opts = append(opts, functionOptions...)
	if asBool {
		opts = append(opts, expr.AsBool())
	}
	if g != nil {
		opts = append(opts, expr.Patch(g), expr.Patch(fieldPatch{}))
	}
	return opts
}

// rewriteMatchesCalls renames the function-call form matches(s, re) — which
// expr's parser reads as the binary operator `matches` — to an internal
// function name of the same length, so positions are unchanged. The operator
// form `s matches re` is left alone.
func rewriteMatchesCalls(src string) string {
	if !strings.Contains(src, "matches") {
		return src
	}
	tokens, err := lexer.Lex(file.NewSource(src))
	if err != nil {
		return src // the compiler reports the lexing error
	}
	var runes []rune
	for i, t := range tokens {
		if !t.Is(lexer.Operator, "matches") || i+1 >= len(tokens) || !tokens[i+1].Is(lexer.Bracket, "(") || !startsOperand(tokens, i) {
			continue
		}
		if runes == nil {
			runes = []rune(src)
		}
		if t.To-t.From != len(matchesAlias) || t.To > len(runes) {
			continue
		}
		copy(runes[t.From:t.To], []rune(matchesAlias))
	}
	if runes == nil {
		return src
	}
	return string(runes)
}

// startsOperand reports whether tokens[i] is where an operand, not an operator, is expected.
func startsOperand(tokens []lexer.Token, i int) bool {
	if i == 0 {
		return true
	}
	prev := tokens[i-1]
	switch prev.Kind {
	case lexer.Operator:
		switch prev.Value {
		case ".", "?.":
			return false
		case "not": // unary "not matches(...)" versus binary "a not matches (...)"
			return startsOperand(tokens, i-1)
		}
		return true
	case lexer.Bracket:
		return prev.Value == "(" || prev.Value == "[" || prev.Value == "{"
	}
	return false
}
