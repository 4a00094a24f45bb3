package meta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// FieldError reports a payload field that is missing, empty or of the wrong type.
type FieldError struct {
	Path string // JSON path of the field, e.g. "entry[1].messaging[0].sender.id"
	Msg  string // what is wrong with it
}

// Error implements error.
func (e *FieldError) Error() string { return "meta: " + e.Path + ": " + e.Msg }

// object is a decoded JSON object whose values are still raw; keys match exactly.
type object map[string]json.RawMessage

func fieldErr(path, format string, args ...any) error {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// jsonKind names the JSON type of raw for error messages.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

func isNull(raw json.RawMessage) bool { return jsonKind(raw) == "null" || jsonKind(raw) == "nothing" }

// decodeRoot checks the body size, decodes it as an object and checks its "object" field.
func decodeRoot(body []byte, want string) (object, error) {
	if len(body) > MaxBodyBytes {
		return nil, fmt.Errorf("meta: body of %d bytes exceeds %d: %w", len(body), MaxBodyBytes, ErrBodyTooLarge)
	}
	if jsonKind(body) != "object" {
		if !json.Valid(body) {
			return nil, fmt.Errorf("meta: body is not valid JSON")
		}
		return nil, fmt.Errorf("meta: body: want a JSON object, got %s", jsonKind(body))
	}
	var root object
	if err := json.Unmarshal(body, &root); err != nil {
		return nil, fmt.Errorf("meta: body is not valid JSON: %w", err)
	}
	got, err := root.str("object", "")
	if err != nil {
		return nil, err
	}
	if got != want {
		return nil, fieldErr("object", "want %q, got %q", want, got)
	}
	return root, nil
}

// decodeObject decodes raw as an object; null or absent gives a nil (empty) object.
func decodeObject(raw json.RawMessage, path string) (object, error) {
	if isNull(raw) {
		return nil, nil
	}
	if k := jsonKind(raw); k != "object" {
		return nil, fieldErr(path, "want object, got %s", k)
	}
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fieldErr(path, "%v", err)
	}
	return o, nil
}

// obj returns the object under key; absent or null gives a nil object.
func (o object) obj(key, path string) (object, error) {
	return decodeObject(o[key], join(path, key))
}

// has reports whether key is present and not null.
func (o object) has(key string) bool { return !isNull(o[key]) }

// arr returns the array under key; absent or null gives nil.
func (o object) arr(key, path string) ([]json.RawMessage, error) {
	raw := o[key]
	if isNull(raw) {
		return nil, nil
	}
	p := join(path, key)
	if k := jsonKind(raw); k != "array" {
		return nil, fieldErr(p, "want array, got %s", k)
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fieldErr(p, "%v", err)
	}
	return a, nil
}

// str returns the string under key; absent or null gives "".
func (o object) str(key, path string) (string, error) {
	raw := o[key]
	if isNull(raw) {
		return "", nil
	}
	p := join(path, key)
	if k := jsonKind(raw); k != "string" {
		return "", fieldErr(p, "want string, got %s", k)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fieldErr(p, "%v", err)
	}
	return s, nil
}

// id returns the non-empty string under key.
func (o object) id(key, path string) (string, error) {
	s, err := o.str(key, path)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", fieldErr(join(path, key), "missing or empty")
	}
	return s, nil
}

// integer returns the integer under key; absent or null gives 0.
func (o object) integer(key, path string) (int64, error) {
	raw := o[key]
	if isNull(raw) {
		return 0, nil
	}
	p := join(path, key)
	if k := jsonKind(raw); k != "number" {
		return 0, fieldErr(p, "want integer, got %s", k)
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, fieldErr(p, "want integer, got %s", bytes.TrimSpace(raw))
	}
	return n, nil
}

// boolean returns the boolean under key; absent or null gives false.
func (o object) boolean(key, path string) (bool, error) {
	raw := o[key]
	if isNull(raw) {
		return false, nil
	}
	p := join(path, key)
	if k := jsonKind(raw); k != "boolean" {
		return false, fieldErr(p, "want boolean, got %s", k)
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, fieldErr(p, "%v", err)
	}
	return b, nil
}

// eachObject decodes every element of the array under key as an object and calls fn.
func (o object) eachObject(key, path string, fn func(el object, elPath string) error) error {
	items, err := o.arr(key, path)
	if err != nil {
		return err
	}
	for i, raw := range items {
		p := index(join(path, key), i)
		el, err := decodeObject(raw, p)
		if err != nil {
			return err
		}
		if el == nil {
			return fieldErr(p, "want object, got null")
		}
		if err := fn(el, p); err != nil {
			return err
		}
	}
	return nil
}

// counter enforces MaxEvents across a batch.
type counter int

func (c *counter) add() error {
	*c++
	if *c > MaxEvents {
		return fmt.Errorf("meta: batch has more than %d events: %w", MaxEvents, ErrTooManyEvents)
	}
	return nil
}
