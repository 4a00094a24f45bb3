package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
)

func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// DecodeJSON reads the request body into dst strictly: a JSON Content-Type
// (or none), one JSON object passing checkJSONText with the route's bounds,
// object keys matching dst's JSON names exactly, no unknown fields, every
// problem reported as a field error; then validates dst.
func DecodeJSON(c *gin.Context, dst any) error {
	if err := CheckJSONContentType(c.GetHeader("Content-Type")); err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return BodyReadError(err)
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := CheckJSONText(body, RouteLimits(c)); err != nil {
			return err
		}
	}
	if err := UnmarshalStrict(body, dst); err != nil {
		return err
	}
	return ValidateStruct(dst)
}

// CheckJSONContentType accepts no Content-Type, application/json and any
// application/*+json type (parameters such as charset=utf-8 allowed).
func CheckJSONContentType(header string) error {
	if strings.TrimSpace(header) == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(header)
	if err == nil && (mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))) {
		return nil
	}
	return fmt.Errorf("Content-Type %q: send the body as application/json: %w", Truncate(header, 100), ErrUnsupportedMediaType)
}

// UnmarshalStrict decodes one JSON object into dst: keys must match dst's
// JSON names exactly (encoding/json alone matches them case-insensitively),
// appear once, name known fields and hold no NUL characters. Every decoding
// error becomes a *domain.ValidationError.
func UnmarshalStrict(body []byte, dst any) error {
	trimmed := strings.TrimSpace(string(body))
	if len(trimmed) == 0 {
		return domain.Invalid("body", "a JSON request body is required")
	}
	if !strings.HasPrefix(trimmed, "{") {
		if json.Valid(body) {
			return domain.Invalid("body", "must be a JSON object")
		}
	} else if err := checkKeys(body, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 {
		return domain.Invalid("body", fmt.Sprintf("the body must hold exactly one JSON value; %q follows it", Truncate(string(rest), 20)))
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

// Truncate shortens s to at most n bytes for messages, on a rune boundary.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
