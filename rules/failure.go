package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"time"

	"github.com/routedesk/routedesk/domain"
)

// Failure kinds: why a rule was skipped for one evaluation. They carry no
// personal data, so they label the failure metric.
const (
	// FailInvalid is a stored rule that does not compile (saved before a check existed).
	FailInvalid = "invalid"
	// FailError is an expression that failed at run time (a missing field, a bad regular expression, a non-boolean when).
	FailError = "error"
	// FailPanic is an expression whose evaluation panicked (an integer division by zero, say).
	FailPanic = "panic"
	// FailNotFinite is a set value that evaluated to NaN or ±Inf, which JSON cannot hold.
	FailNotFinite = "not_finite"
	// FailUnstorable is a set value that cannot be stored: of the wrong type for the property, too large, or not encodable.
	FailUnstorable = "unstorable"
	// FailLimit is an evaluation that did more work than MaxWork or MemoryBudget allow.
	FailLimit = "limit"
	// FailTimeout is a rule that ran longer than RuleTimeLimit, or was not reached within EvaluationTimeLimit.
	FailTimeout = "timeout"
)

// FailureKinds lists every failure kind, for metrics that start each label at zero.
var FailureKinds = []string{FailInvalid, FailError, FailPanic, FailNotFinite, FailUnstorable, FailLimit, FailTimeout}

// ErrTimeLimit is wrapped by the error of a run stopped by its time limit.
var ErrTimeLimit = errors.New("time limit exceeded")

// ticketFields are the properties that set a ticket's own text fields rather than a custom property.
var ticketFields = map[string]bool{"pipeline": true, "status": true, "priority": true}

// MaxTicketFieldBytes is the longest pipeline, status or priority a rule may set.
const MaxTicketFieldBytes = 100

// failure is a rule's failure for one evaluation: its kind, the field of the rule it concerns, and what happened.
type failure struct {
	kind, field, msg string
}

// Error returns the field and the message.
func (f *failure) Error() string { return f.field + ": " + f.msg }

// runFailure classifies the error of running the expression of field.
func runFailure(field string, err error) *failure {
	var re runtime.Error
	switch {
	case errors.Is(err, ErrTimeLimit):
		return &failure{kind: FailTimeout, field: field, msg: "the rule ran longer than its time limit (" + RuleTimeLimit.String() + ") and was stopped"}
	case errors.Is(err, ErrLimit) || strings.Contains(err.Error(), "memory budget exceeded"):
		return &failure{kind: FailLimit, field: field, msg: runtimeDetail(err)}
	case errors.As(err, &re):
		return &failure{kind: FailPanic, field: field, msg: runtimeDetail(err)}
	}
	return &failure{kind: FailError, field: field, msg: runtimeDetail(err)}
}

// checkStorable reports why v, the value a rule computed for property key,
// cannot be stored on a ticket, or nil when it can: pipeline, status and
// priority take text of at most MaxTicketFieldBytes; any value must be finite,
// JSON-encodable, free of NUL characters (PostgreSQL's jsonb refuses them) and
// at most MaxValueBytes once encoded.
func checkStorable(key string, v any) *failure {
	f := storableFailure(key, v)
	if f != nil {
		f.field = "set." + key // named only on failure: building it for every value allocated
	}
	return f
}

// storableFailure is checkStorable's check, its failure's field left for the caller.
func storableFailure(key string, v any) *failure {
	const field = ""
	if ticketFields[key] {
		s, ok := v.(string)
		if !ok {
			return &failure{kind: FailUnstorable, field: field, msg: fmt.Sprintf("evaluated to %s, but %s takes text", describe(v), key)}
		}
		if len(s) > MaxTicketFieldBytes {
			return &failure{kind: FailUnstorable, field: field, msg: fmt.Sprintf("evaluated to %d bytes of text; the limit is %d", len(s), MaxTicketFieldBytes)}
		}
		if key == "status" && !domain.ValidTicketStatus(s) {
			return &failure{kind: FailUnstorable, field: field, msg: fmt.Sprintf("evaluated to %q; status is one of %s", s, domain.TicketStatusesText())}
		}
		if key == "priority" && !domain.ValidTicketPriority(s) {
			return &failure{kind: FailUnstorable, field: field, msg: fmt.Sprintf("evaluated to %q; priority is one of %s", s, domain.TicketPrioritiesText())}
		}
	}
	switch x := v.(type) { // the common cases, without encoding
	case nil, bool, int:
		return nil
	case float64:
		return finite(field, x)
	case string:
		if len(x) > MaxValueBytes {
			return &failure{kind: FailUnstorable, field: field, msg: fmt.Sprintf("evaluated to %d bytes of text; the limit is %d", len(x), MaxValueBytes)}
		}
		if strings.IndexByte(x, 0) >= 0 {
			return &failure{kind: FailUnstorable, field: field, msg: "evaluated to text with a NUL character, which cannot be stored"}
		}
		return nil
	}
	if f := walkValue(field, reflect.ValueOf(v), 0); f != nil {
		return f
	}
	b, err := json.Marshal(v)
	if err != nil {
		return &failure{kind: FailUnstorable, field: field, msg: fmt.Sprintf("evaluated to %s, which cannot be stored", describe(v))}
	}
	if len(b) > MaxValueBytes {
		return &failure{kind: FailUnstorable, field: field, msg: fmt.Sprintf("evaluated to %d bytes once encoded; the limit is %d", len(b), MaxValueBytes)}
	}
	return nil
}

// maxValueDepth bounds how deep walkValue looks into nested lists and maps.
const maxValueDepth = 32

// walkValue finds NaN, ±Inf, NUL characters and unencodable kinds inside a list or map value.
func walkValue(field string, v reflect.Value, depth int) *failure {
	if depth > maxValueDepth {
		return &failure{kind: FailUnstorable, field: field, msg: fmt.Sprintf("evaluated to a value nested more than %d deep", maxValueDepth)}
	}
	switch v.Kind() {
	case reflect.Invalid, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return nil
	case reflect.Float32, reflect.Float64:
		return finite(field, v.Float())
	case reflect.String:
		if strings.IndexByte(v.String(), 0) >= 0 {
			return &failure{kind: FailUnstorable, field: field, msg: "evaluated to text with a NUL character, which cannot be stored"}
		}
		return nil
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return walkValue(field, v.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if v.Len() > MaxValueBytes {
			return &failure{kind: FailUnstorable, field: field, msg: fmt.Sprintf("evaluated to a list of %d items; the limit is %d", v.Len(), MaxValueBytes)}
		}
		for i := range v.Len() {
			if f := walkValue(field, v.Index(i), depth+1); f != nil {
				return f
			}
		}
		return nil
	case reflect.Map:
		if v.Len() > MaxValueBytes {
			return &failure{kind: FailUnstorable, field: field, msg: fmt.Sprintf("evaluated to a map of %d entries; the limit is %d", v.Len(), MaxValueBytes)}
		}
		it := v.MapRange()
		for it.Next() {
			if f := walkValue(field, it.Key(), depth+1); f != nil {
				return f
			}
			if f := walkValue(field, it.Value(), depth+1); f != nil {
				return f
			}
		}
		return nil
	case reflect.Struct:
		if _, ok := v.Interface().(time.Time); ok {
			return nil
		}
	}
	return &failure{kind: FailUnstorable, field: field, msg: fmt.Sprintf("evaluated to %s, which cannot be stored", describe(v.Interface()))}
}

// finite fails NaN and ±Inf, which JSON (and so a ticket) cannot hold.
func finite(field string, f float64) *failure {
	switch {
	case math.IsNaN(f):
		return &failure{kind: FailNotFinite, field: field, msg: "evaluated to NaN (not a number, e.g. 0/0), which cannot be stored"}
	case math.IsInf(f, 1):
		return &failure{kind: FailNotFinite, field: field, msg: "evaluated to +Inf (e.g. 1/0), which cannot be stored"}
	case math.IsInf(f, -1):
		return &failure{kind: FailNotFinite, field: field, msg: "evaluated to -Inf (e.g. -1/0), which cannot be stored"}
	}
	return nil
}

// describe names v's type in the rule language's terms.
func describe(v any) string {
	if v == nil {
		return "nil"
	}
	return article(typeName(reflect.TypeOf(v)))
}

// article prefixes a type name with "a" or "an".
func article(name string) string {
	if strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// typeName names t in the rule language's terms, never Go's.
func typeName(t reflect.Type) string {
	if t == nil {
		return "nil"
	}
	switch t {
	case reflect.TypeFor[time.Time]():
		return "time"
	case reflect.TypeFor[time.Duration]():
		return "duration"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map:
		return "map"
	case reflect.Func:
		return "function"
	case reflect.Interface:
		return "value"
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Struct:
		if n, ok := envTypeNames[t]; ok {
			return n
		}
		return "object"
	}
	return "value"
}

// envTypeNames are the rule-language names of the env's objects.
var envTypeNames = map[reflect.Type]string{
	reflect.TypeFor[Ticket]():  "ticket",
	reflect.TypeFor[Message](): "message",
	reflect.TypeFor[Contact](): "contact",
	reflect.TypeFor[Channel](): "channel",
	reflect.TypeFor[Env]():     "the rule's environment",
	reflect.TypeFor[runEnv]():  "the rule's environment",
}
