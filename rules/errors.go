package rules

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr/file"
)

// ErrLimit is wrapped by every error caused by one of the package's limits.
var ErrLimit = errors.New("limit exceeded")

// CompileError is an expression that does not compile, with its 1-based position (0 when the error concerns the whole expression).
type CompileError struct {
	// Message says what is wrong, without the position.
	Message string `json:"message"`
	// Line is the 1-based line of the error, 0 if it has no position.
	Line int `json:"line"`
	// Column is the 1-based column (in characters) of the error, 0 if it has no position.
	Column int `json:"column"`

	err error // the underlying cause, for errors.Is
}

// Error returns the message, prefixed with "line L, column C: " when the position is known.
func (e *CompileError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// Unwrap returns the underlying cause, such as ErrLimit.
func (e *CompileError) Unwrap() error { return e.err }

// Check is the answer to "is this when expression valid?", shaped for POST /v1/rules/validate.
type Check struct {
	// Valid is true when the expression compiles.
	Valid bool `json:"valid"`
	// Error is the compile error's message, without the position.
	Error string `json:"error,omitempty"`
	// Line is the 1-based line of the error, 0 if none.
	Line int `json:"line,omitempty"`
	// Column is the 1-based column of the error, 0 if none.
	Column int `json:"column,omitempty"`
}

// limitError returns a position-less CompileError wrapping ErrLimit.
func limitError(format string, args ...any) *CompileError {
	return &CompileError{Message: fmt.Sprintf(format, args...), err: ErrLimit}
}

// fromFileError converts expr's positioned error; expr counts columns from 0.
func fromFileError(fe *file.Error) *CompileError {
	ce := &CompileError{Message: publicMessage(fe.Message), err: fe}
	if fe.Line > 0 {
		ce.Line, ce.Column = fe.Line, fe.Column+1
	}
	if strings.Contains(fe.Message, "exceeds maximum allowed nodes") {
		ce.Message = fmt.Sprintf("expression has more than %d syntax nodes; the limit is %d", MaxNodes, MaxNodes)
		ce.Line, ce.Column = 0, 0
		ce.err = fmt.Errorf("%w: %w", ErrLimit, fe)
	}
	if strings.Contains(fe.Message, "memory budget exceeded") {
		ce.err = fmt.Errorf("%w: %w", ErrLimit, fe)
	}
	return ce
}

// toCompileError converts any error from expr into a CompileError.
func toCompileError(err error) *CompileError {
	var fe *file.Error
	if errors.As(err, &fe) {
		return fromFileError(fe)
	}
	ce := &CompileError{Message: publicMessage(err.Error()), err: err}
	if got, ok := strings.CutPrefix(err.Error(), "expected bool, but got "); ok {
		ce.Message = "a when expression must be true or false, but this one is " + withArticle(publicType(got))
		ce.Line, ce.Column = 1, 1
	}
	return ce
}

// runtimeDetail is an evaluation error's message, with its position when known.
func runtimeDetail(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) && fe.Line > 0 {
		return fmt.Sprintf("line %d, column %d: %s", fe.Line, fe.Column+1, publicMessage(fe.Message))
	}
	return publicMessage(err.Error())
}
