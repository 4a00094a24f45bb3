package rules

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr"
)

// Internal names the compiler uses. matchesAlias has the same length as
// "matches" so that rewriting a call keeps every column in place.
const (
	matchesAlias = "rxmatch"
	chargeName   = "_charge"
	tickName     = "_tick"
)

// MaxRegexBytes is the longest regular expression matches() accepts.
const MaxRegexBytes = 2048

// functionOptions declares the helper functions, the size-checked builtin
// replacements and the disabled builtins, all with types so that a wrong
// argument is a compile error.
var functionOptions = []expr.Option{
	expr.Function("domain", domainFunc,
		new(func(string) string)),
	expr.Function(matchesAlias, matchesFunc,
		new(func(string, string) bool)),
	expr.Function("contains_any", containsAnyFunc,
		new(func(string, []string) bool),
		new(func(string, []any) bool)),
	expr.Function("in_business_hours", inBusinessHoursFunc,
		new(func(time.Time, string, string) bool)),
	expr.Function("replace", replaceFunc,
		new(func(string, string, string) string),
		new(func(string, string, string, int) string)),
	expr.Function("repeat", repeatFunc,
		new(func(string, int) string)),
	expr.Function("join", joinFunc,
		new(func([]string, string) string),
		new(func([]any, string) string),
		new(func([]string) string),
		new(func([]any) string)),
	expr.Function("string", stringFunc,
		new(func(any) string)),
	expr.Function(fieldName, fieldFunc,
		new(func(any, int) string)),
	expr.Function(derivedName, derivedFunc,
		new(func(any, int) string)),
	expr.Function(derivedChargedName, derivedChargedFunc,
		new(func(any, int) string)),
	expr.Function(fieldMatchName, fieldMatchFunc,
		new(func(any, int, *regexp.Regexp) bool)),
	expr.Function(fieldContainsName, fieldContainsFunc,
		new(func(any, int, []string) bool)),
	expr.DisableBuiltin("concat"),
	expr.DisableBuiltin("flatten"),
	expr.DisableBuiltin("toJSON"),
}

// argString returns params[i] as a string, or an error naming the function.
func argString(fn string, params []any, i int) (string, error) {
	if i >= len(params) {
		return "", fmt.Errorf("%s: missing argument %d", fn, i+1)
	}
	s, ok := params[i].(string)
	if !ok {
		return "", fmt.Errorf("%s: argument %d must be a string, not %s", fn, i+1, describe(params[i]))
	}
	return s, nil
}

// emailDomain is the lower-cased part of an address after its last "@".
func emailDomain(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(strings.TrimRight(email[at+1:], "> \t")))
}

// domainFunc implements domain(email).
func domainFunc(params ...any) (any, error) {
	s, err := argString("domain", params, 0)
	if err != nil {
		return nil, err
	}
	return emailDomain(s), nil
}

// compiledRegex is a cache entry: a compiled regex or the reason it does not compile.
type compiledRegex struct {
	re  *regexp.Regexp
	err error
}

// regexCache holds compiled regular expressions shared by all programs.
var regexCache = newBoundedCache[compiledRegex](1024)

// compileRegex returns the cached compilation of pattern.
func compileRegex(pattern string) (*regexp.Regexp, error) {
	if len(pattern) > MaxRegexBytes {
		return nil, fmt.Errorf("%w: regular expression is %d bytes; the limit is %d", ErrLimit, len(pattern), MaxRegexBytes)
	}
	c := regexCache.getOrCompute(pattern, func(p string) compiledRegex {
		re, err := regexp.Compile(p)
		if err != nil {
			return compiledRegex{err: fmt.Errorf("invalid regular expression %q: %w", p, err)}
		}
		return compiledRegex{re: re}
	})
	return c.re, c.err
}

// matchesFunc implements matches(s, regex).
func matchesFunc(params ...any) (any, error) {
	s, err := argString("matches", params, 0)
	if err != nil {
		return nil, err
	}
	pattern, err := argString("matches", params, 1)
	if err != nil {
		return nil, err
	}
	re, err := compileRegex(pattern)
	if err != nil {
		return nil, err
	}
	return re.MatchString(s), nil
}

// containsAnyFunc implements contains_any(s, list).
func containsAnyFunc(params ...any) (any, error) {
	s, err := argString("contains_any", params, 0)
	if err != nil {
		return nil, err
	}
	if len(params) < 2 {
		return nil, errors.New("contains_any: missing argument 2")
	}
	var items []string
	switch l := params[1].(type) {
	case []string:
		items = l
	case []any:
		items = make([]string, 0, len(l))
		for i, v := range l {
			item, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("contains_any: list element %d must be a string, not %s", i, describe(v))
			}
			items = append(items, item)
		}
	case nil:
		return false, nil
	default:
		return nil, fmt.Errorf("contains_any: argument 2 must be a list of strings, not %s", describe(params[1]))
	}
	return containsAny(s, items), nil
}

// containsAny reports whether s contains any non-empty item, ignoring case as
// strings.ToLower does; ASCII text is compared without building lower-cased copies.
func containsAny(s string, items []string) bool {
	var lower string // built only for non-ASCII input
	ascii := isASCII(s)
	for _, item := range items {
		if item == "" {
			continue
		}
		if ascii && isASCII(item) {
			if indexFoldASCII(s, item) {
				return true
			}
			continue
		}
		if lower == "" {
			lower = strings.ToLower(s)
		}
		if strings.Contains(lower, strings.ToLower(item)) {
			return true
		}
	}
	return false
}

// isASCII reports whether s has only ASCII bytes, looking at eight at a time.
func isASCII(s string) bool {
	for ; len(s) >= 8; s = s[8:] {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56 // one load
		if w&0x8080808080808080 != 0 {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// indexFoldASCII reports whether the ASCII string s contains the ASCII string
// sub, ignoring case. It finds the candidate starts — either case of sub's
// first byte — with strings.IndexByte, which scans many bytes at a time.
func indexFoldASCII(s, sub string) bool {
	if len(sub) > len(s) {
		return false
	}
	first := lowerASCII(sub[0])
	other := first
	if 'a' <= first && first <= 'z' {
		other = first - ('a' - 'A')
	}
	starts := s[:len(s)-len(sub)+1] // where a match can start
	for i := 0; i < len(starts); i++ {
		w := starts[i:]
		j := strings.IndexByte(w, first)
		if other != first {
			before := w
			if j >= 0 {
				before = w[:j]
			}
			if k := strings.IndexByte(before, other); k >= 0 {
				j = k
			}
		}
		if j < 0 {
			return false
		}
		i += j
		if equalFoldASCII(s[i+1:i+len(sub)], sub[1:]) {
			return true
		}
	}
	return false
}

// equalFoldASCII reports whether the ASCII strings a and b, of the same length, are equal ignoring case.
func equalFoldASCII(a, b string) bool {
	for k := 0; k < len(a); k++ {
		if lowerASCII(a[k]) != lowerASCII(b[k]) {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases one ASCII letter.
func lowerASCII(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// inBusinessHoursFunc implements in_business_hours(now, spec, tz).
func inBusinessHoursFunc(params ...any) (any, error) {
	if len(params) != 3 {
		return nil, fmt.Errorf("in_business_hours: want 3 arguments, got %d", len(params))
	}
	now, ok := params[0].(time.Time)
	if !ok {
		return nil, fmt.Errorf("in_business_hours: argument 1 must be a time, not %s", describe(params[0]))
	}
	spec, err := argString("in_business_hours", params, 1)
	if err != nil {
		return nil, err
	}
	tz, err := argString("in_business_hours", params, 2)
	if err != nil {
		return nil, err
	}
	return inBusinessHours(now, spec, tz)
}

// replaceFunc is replace(s, old, new[, n]) with its result size checked before it is built.
func replaceFunc(params ...any) (any, error) {
	s, err := argString("replace", params, 0)
	if err != nil {
		return nil, err
	}
	old, err := argString("replace", params, 1)
	if err != nil {
		return nil, err
	}
	repl, err := argString("replace", params, 2)
	if err != nil {
		return nil, err
	}
	n := -1
	if len(params) == 4 {
		k, ok := params[3].(int)
		if !ok {
			return nil, fmt.Errorf("replace: argument 4 must be an int, not %s", describe(params[3]))
		}
		n = k
	}
	count := strings.Count(s, old)
	if old == "" {
		count = utf8.RuneCountInString(s) + 1
	}
	if n >= 0 && n < count {
		count = n
	}
	if err := checkSize("replace", len(s)+count*(len(repl)-len(old))); err != nil {
		return nil, err
	}
	return strings.Replace(s, old, repl, n), nil
}

// repeatFunc is repeat(s, n) with its result size checked before it is built.
func repeatFunc(params ...any) (any, error) {
	s, err := argString("repeat", params, 0)
	if err != nil {
		return nil, err
	}
	n, ok := params[1].(int)
	if !ok || n < 0 {
		return nil, fmt.Errorf("repeat: argument 2 must be a non-negative int, got %v", params[1])
	}
	if len(s) > 0 && n > MaxWork/len(s) {
		return nil, checkSize("repeat", MaxWork+1)
	}
	return strings.Repeat(s, n), nil
}

// joinFunc is join(list[, sep]) with its result size checked before it is built.
func joinFunc(params ...any) (any, error) {
	sep := ""
	if len(params) == 2 {
		var err error
		if sep, err = argString("join", params, 1); err != nil {
			return nil, err
		}
	}
	var parts []string
	switch l := params[0].(type) {
	case []string:
		parts = l
	case []any:
		parts = make([]string, len(l))
		for i, v := range l {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("join: list element %d must be a string, not %s", i, describe(v))
			}
			parts[i] = s
		}
	default:
		return nil, fmt.Errorf("join: argument 1 must be a list of strings, not %s", describe(params[0]))
	}
	size := len(sep) * len(parts)
	for _, p := range parts {
		size += len(p)
	}
	if err := checkSize("join", size); err != nil {
		return nil, err
	}
	return strings.Join(parts, sep), nil
}

// stringFunc is string(v) for scalars; lists and maps are refused because
// formatting them could build a value far larger than the budget at once.
func stringFunc(params ...any) (any, error) {
	v := params[0]
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "<nil>", nil
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return nil, fmt.Errorf("string() of %s is not supported in rules; use join() for lists", describe(v))
	}
	return fmt.Sprintf("%v", v), nil
}
