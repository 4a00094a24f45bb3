package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// decodeJSON reads the request body into dst strictly: one JSON value, no
// unknown fields, every problem reported as a field error; then validates dst.
func decodeJSON(c *gin.Context, dst any) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return tooLarge
		}
		return fmt.Errorf("read body: %w", err)
	}
	if err := unmarshalStrict(body, dst); err != nil {
		return err
	}
	return validateStruct(dst)
}

// unmarshalStrict decodes one JSON value with no unknown fields into dst,
// turning every decoding error into a *domain.ValidationError.
func unmarshalStrict(body []byte, dst any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return domain.Invalid("body", "a JSON request body is required")
	}
	var generic any
	if err := json.Unmarshal(body, &generic); err == nil {
		if field, ok := findNUL(generic, ""); ok {
			if field == "" {
				field = "body"
			}
			return domain.Invalid(field, "must not contain NUL characters (\\u0000)")
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return domain.Invalid("body", "the body must hold exactly one JSON value")
	}
	return nil
}

// jsonError names the field a json decoding error is about.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return domain.Invalid("body", fmt.Sprintf("malformed JSON at byte %d: %s", syntax.Offset, syntax.Error()))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Invalid("body", "malformed JSON: the body ends too early")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return domain.Invalid(field, fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return domain.Invalid(name, "unknown field")
	}
	var invalid *domain.ValidationError
	if errors.As(err, &invalid) {
		return invalid
	}
	return domain.Invalid("body", "invalid JSON: "+err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	}
	return "a " + goKind
}

// findNUL returns the path of the first string (or key) holding a NUL
// character, which PostgreSQL text cannot store.
func findNUL(v any, path string) (string, bool) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch t := v.(type) {
	case string:
		return path, strings.ContainsRune(t, 0)
	case []any:
		for i, e := range t {
			if p, ok := findNUL(e, fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, true
			}
		}
	case map[string]any:
		for k, e := range t {
			if strings.ContainsRune(k, 0) {
				return join(strings.ReplaceAll(k, "\x00", "")), true
			}
			if p, ok := findNUL(e, join(k)); ok {
				return p, true
			}
		}
	}
	return "", false
}
