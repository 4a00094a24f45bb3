package httpx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
)

// Limits bound the shape of one JSON request body: how many object keys it
// holds in all (Keys) and how deeply objects and arrays nest (Depth); 0 keeps DefaultLimits'.
type Limits struct{ Keys, Depth int }

// Documented bounds (docs/API.md, "Limits and input checks"): API routes take at most
// 5,000 keys nested 32 deep; webhook deliveries, which batch many events,
// at most 100,000 keys nested 64 deep.
var (
	// DefaultLimits are an API route's bounds.
	DefaultLimits = Limits{Keys: 5000, Depth: 32}
	// WebhookLimits are a webhook delivery's bounds.
	WebhookLimits = Limits{Keys: 100_000, Depth: 64}
)

// orDefault fills the unset bounds of l from the API default.
func (l Limits) orDefault() Limits {
	if l.Keys <= 0 {
		l.Keys = DefaultLimits.Keys
	}
	if l.Depth <= 0 {
		l.Depth = DefaultLimits.Depth
	}
	return l
}

// TooManyKeysError is a JSON body with more object keys than its route takes (413).
type TooManyKeysError struct{ limit int }

// Error says how many keys the route takes.
func (e *TooManyKeysError) Error() string {
	return fmt.Sprintf("the JSON body holds more than %d object keys, the limit of this route", e.limit)
}

// jsonFrame is one open object or array while scanning a JSON document.
type jsonFrame struct {
	array bool
	index int    // the current element of an array
	key   []byte // the current member of an object, raw (quoted, escapes kept)
}

// CheckJSONText is the one check every JSON request body passes before it is
// decoded: exactly one well-formed JSON value (nothing after it), strings
// and keys of valid UTF-8 with no NUL (\u0000) and no lone UTF-16 surrogate
// escape (encoding/json would store them as U+FFFD), at most lim.Keys object
// keys and lim.Depth levels of nesting. It runs in time linear in the body.
// Problems are a *domain.ValidationError naming the field's path
// (e.g. "entry[0].messaging[0].sender.id"), or a *TooManyKeysError.
func CheckJSONText(body []byte, lim Limits) error {
	lim = lim.orDefault()
	var raw json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return jsonError(err)
	}
	var stack []jsonFrame
	keys := 0
	for i := 0; i < len(body); {
		switch c := body[i]; c {
		case '{', '[':
			if len(stack) >= lim.Depth {
				return domain.Invalid(jsonPath(stack), fmt.Sprintf("is nested deeper than %d levels, the limit of this route", lim.Depth))
			}
			stack = append(stack, jsonFrame{array: c == '[', index: -1})
			i++
			if c == '[' && !startsEmpty(body[i:], ']') {
				stack[len(stack)-1].index = 0
			}
		case '}', ']':
			stack = stack[:len(stack)-1]
			i++
		case ',':
			if top := len(stack) - 1; top >= 0 && stack[top].array {
				stack[top].index++
			}
			i++
		case '"':
			end, problem := scanString(body, i)
			top := len(stack) - 1
			isKey := top >= 0 && !stack[top].array && nextNonSpace(body, end) == ':'
			if isKey {
				stack[top].key = body[i:end]
				if keys++; keys > lim.Keys {
					return &TooManyKeysError{limit: lim.Keys}
				}
			}
			if problem != "" {
				return domain.Invalid(jsonPath(stack), problem)
			}
			i = end
		default: // whitespace, ':', numbers, true, false, null
			i++
		}
	}
	return nil
}

// scanString scans the JSON string starting at body[start] (a '"') and returns
// the index just past its closing quote and what makes it unstorable, or "".
func scanString(body []byte, start int) (int, string) {
	problem := ""
	setProblem := func(p string) {
		if problem == "" {
			problem = p
		}
	}
	i := start + 1
	runStart := i
	for i < len(body) {
		switch body[i] {
		case '"':
			if !utf8.Valid(body[runStart:i]) {
				setProblem("must be valid UTF-8")
			}
			return i + 1, problem
		case '\\':
			if !utf8.Valid(body[runStart:i]) {
				setProblem("must be valid UTF-8")
			}
			if body[i+1] != 'u' {
				i += 2
				runStart = i
				continue
			}
			r := hex4(body[i+2 : i+6])
			i += 6
			switch {
			case r == 0:
				setProblem("must not contain NUL characters (\\u0000)")
			case r >= 0xD800 && r <= 0xDBFF:
				if i+6 <= len(body) && body[i] == '\\' && body[i+1] == 'u' {
					if low := hex4(body[i+2 : i+6]); low >= 0xDC00 && low <= 0xDFFF {
						i += 6
						break
					}
				}
				setProblem(fmt.Sprintf("holds a lone UTF-16 surrogate (\\u%04x); send the character as a surrogate pair or as UTF-8", r))
			case r >= 0xDC00 && r <= 0xDFFF:
				setProblem(fmt.Sprintf("holds a lone UTF-16 surrogate (\\u%04x); send the character as a surrogate pair or as UTF-8", r))
			}
			runStart = i
		default:
			i++
		}
	}
	return i, problem // unreachable for a document json.Unmarshal accepted
}

// hex4 decodes the four hex digits of a \u escape (already validated).
func hex4(b []byte) rune {
	n, _ := strconv.ParseUint(string(b), 16, 32)
	return rune(n)
}

// nextNonSpace returns the first byte at or after i that is not JSON whitespace, or 0.
func nextNonSpace(body []byte, i int) byte {
	for ; i < len(body); i++ {
		switch body[i] {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return body[i]
	}
	return 0
}

// startsEmpty reports whether rest begins (after whitespace) with the closing bracket.
func startsEmpty(rest []byte, closing byte) bool { return nextNonSpace(rest, 0) == closing }

// jsonPath names the value being scanned, e.g. "from.name" or "entry[0].id"; "body" at the top.
func jsonPath(stack []jsonFrame) string {
	var b strings.Builder
	for _, f := range stack {
		if f.array {
			if f.index >= 0 {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
			continue
		}
		if f.key == nil {
			continue
		}
		var key string
		if err := json.Unmarshal(f.key, &key); err != nil {
			key = string(f.key[1 : len(f.key)-1])
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(key)
	}
	if b.Len() == 0 {
		return "body"
	}
	return printable(b.String())
}

// limitsKey is where a route's JSON bounds are kept in the gin context.
const limitsKey = "routedesk.jsonLimits"

// RouteLimits are the JSON bounds of the request's route.
func RouteLimits(c *gin.Context) Limits {
	if v, ok := c.Get(limitsKey); ok {
		return v.(Limits)
	}
	return DefaultLimits
}

// CheckJSONBody is the middleware of every route that takes a JSON body: a
// body declared as JSON (or undeclared) passes CheckJSONText with the route's
// bounds before any handler sees it; other media types are left to the
// handler (which answers 415 or reads its own format). fail answers a body
// that cannot be read or does not pass.
func CheckJSONBody(lim Limits, fail func(*gin.Context, error)) gin.HandlerFunc {
	lim = lim.orDefault()
	return func(c *gin.Context) {
		c.Set(limitsKey, lim)
		if c.Request.Body == nil || c.Request.Body == http.NoBody || CheckJSONContentType(c.GetHeader("Content-Type")) != nil {
			c.Next()
			return
		}
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			err = BodyReadError(err)
		} else if len(bytes.TrimSpace(body)) > 0 {
			err = CheckJSONText(body, lim)
		}
		if err != nil {
			fail(c, err)
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		c.Next()
	}
}
