package channels

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/routedesk/routedesk/domain"
)

// Decode strictly decodes and validates raw into cfg, an empty configuration (a channel's NewConfig), and returns it;
// every problem is a field error in the returned *domain.ValidationError.
//
// Empty or null raw is an empty object. Unknown members and values of the wrong JSON
// type are reported by path ("config.smtp.port"). Defaults are applied before validation.
func Decode(cfg Config, raw json.RawMessage) (Config, error) {
	if errs := decodeStrict(raw, cfg); len(errs) > 0 {
		return nil, &domain.ValidationError{Errors: errs}
	}
	cfg.ApplyDefaults()
	errs := validateStruct(cfg)
	errs = append(errs, cfg.Check()...)
	errs = append(errs, checkPlaceholders(cfg)...)
	if len(errs) > 0 {
		return nil, &domain.ValidationError{Errors: firstPerField(errs)}
	}
	return cfg, nil
}

// decodeStrict decodes raw into cfg, reporting bad JSON, unknown members and type mismatches as field errors.
func decodeStrict(raw json.RawMessage, cfg Config) []domain.FieldError {
	obj, err := decodeObject(raw)
	if err != nil {
		return []domain.FieldError{{Field: "config", Message: err.Error()}}
	}
	if len(obj) == 0 {
		return nil // empty, null or {}
	}
	if errs := checkShape(obj, reflect.TypeOf(cfg), "config"); len(errs) > 0 {
		return errs
	}
	// The shape matches, so this cannot fail; it still refuses unknown fields as a second guard.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return []domain.FieldError{{Field: "config." + typeErr.Field, Message: "must be " + typeErr.Type.String()}}
		}
		return []domain.FieldError{{Field: "config", Message: "cannot be decoded: " + strings.TrimPrefix(err.Error(), "json: ")}}
	}
	return nil
}

// decodeObject parses a JSON object with numbers kept exact; empty or null input is an empty object.
// Its errors read as a field message: "is not valid JSON: …" or "must be a JSON object, not …".
func decodeObject(raw json.RawMessage) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return map[string]any{}, nil
	}
	v, err := decodeGeneric(raw)
	if err != nil {
		return nil, fmt.Errorf("is not valid JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be a JSON object, not %s", jsonKind(v))
	}
	return obj, nil
}

// decodeGeneric parses one JSON value with numbers kept as json.Number, rejecting trailing data.
func decodeGeneric(raw []byte) (any, error) {
	if !json.Valid(raw) {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil { // for the syntax error's message
			return nil, errors.New(strings.TrimPrefix(err.Error(), "json: "))
		}
		return nil, errors.New("invalid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	return v, nil
}

// checkPlaceholders rejects "***" as a secret's value: it is the redaction placeholder, not a secret.
func checkPlaceholders(cfg Config) []domain.FieldError {
	var errs []domain.FieldError
	for _, f := range secretFieldsOf(cfg) {
		if v, ok := f.value(cfg); ok && v.String() == Placeholder {
			errs = append(errs, domain.FieldError{Field: "config." + strings.Join(f.path, "."),
				Message: `is "***", the placeholder of a hidden secret; send the secret itself`})
		}
	}
	return errs
}

// firstPerField keeps the first error of each field, in order.
func firstPerField(errs []domain.FieldError) []domain.FieldError {
	seen := make(map[string]bool, len(errs))
	out := errs[:0]
	for _, e := range errs {
		if !seen[e.Field] {
			seen[e.Field] = true
			out = append(out, e)
		}
	}
	return out
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
