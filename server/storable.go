package server

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
)

// jsonFrame is one open object or array while walking a JSON document.
type jsonFrame struct {
	array   bool
	index   int    // the current element of an array
	key     string // the current member of an object
	wantKey bool   // an object's next string token is a key
}

// unstorableJSON reports the first string (member value or key) of a JSON body
// that PostgreSQL text cannot store — holding NUL (\u0000) or invalid UTF-8 —
// as a validation error naming its path (e.g. "from.external_user_id" or
// "entry[0].messaging[0].sender.id"). Malformed JSON is left to the decoder.
func unstorableJSON(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	var stack []jsonFrame
	prev := int64(0)
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.array {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		if b.Len() == 0 {
			return "body"
		}
		return strings.ReplaceAll(strings.ToValidUTF8(b.String(), "\uFFFD"), "\x00", "")
	}
	// value moves the innermost container on to its next member or element.
	value := func() {
		if n := len(stack); n > 0 && stack[n-1].array {
			stack[n-1].index++
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		raw := body[prev:dec.InputOffset()]
		prev = dec.InputOffset()
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				value()
				stack = append(stack, jsonFrame{array: d == '[', index: -1, wantKey: d == '{'})
			default:
				stack = stack[:top]
				if n := len(stack); n > 0 && !stack[n-1].array {
					stack[n-1].wantKey = true
				}
			}
			continue
		}
		str, isString := tok.(string)
		if top >= 0 && !stack[top].array && stack[top].wantKey {
			stack[top].key, stack[top].wantKey = str, false
		} else {
			value()
			if top >= 0 && !stack[top].array {
				stack[top].wantKey = true
			}
		}
		switch {
		case !utf8.Valid(raw):
			return domain.Invalid(path(), "must be valid UTF-8")
		case isString && strings.ContainsRune(str, 0):
			return domain.Invalid(path(), "must not contain NUL characters (\\u0000)")
		}
	}
}

// requireStorableBody reads the request body, rejects it when a string in it
// cannot be stored (unstorableJSON), and puts it back for the handler to decode.
func requireStorableBody(c *gin.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	return unstorableJSON(body)
}
