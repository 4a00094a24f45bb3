package httpx

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"

	"github.com/routedesk/routedesk/domain"
)

// checkKeys walks body's JSON tokens alongside dst's type before
// encoding/json decodes it. encoding/json matches object keys to struct fields
// case-insensitively and keeps the last of duplicate keys, so
// {"external_id":"a","EXTERNAL_ID":"b"} would be accepted; here every key of
// an object decoded into a struct must equal a field's JSON name exactly, no
// object (struct-bound or free-form) may repeat a key, and no string or key
// may hold a NUL character, which PostgreSQL text cannot store. Malformed
// JSON is left to the decoder, which names the byte.
func checkKeys(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := walkValue(dec, reflect.TypeOf(dst), "")
	var invalid *domain.ValidationError
	if errors.As(err, &invalid) {
		return invalid
	}
	return nil // syntax errors: reported by the decoder
}

// walkValue consumes one JSON value; t is the Go type it decodes into, nil when free-form.
func walkValue(dec *json.Decoder, t reflect.Type, path string) error {
	t = concrete(t)
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return walkObject(dec, t, path)
		case '[':
			var elem reflect.Type
			if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
				elem = t.Elem()
			}
			for i := 0; dec.More(); i++ {
				if err := walkValue(dec, elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			_, err := dec.Token() // ']'
			return err
		}
	case string:
		if strings.ContainsRune(v, 0) {
			return domain.Invalid(fieldOrBody(path), "must not contain NUL characters (\\u0000)")
		}
	}
	return nil
}

func walkObject(dec *json.Decoder, t reflect.Type, path string) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = jsonFields(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if strings.ContainsRune(key, 0) {
			return domain.Invalid(fieldOrBody(join(path, strings.ReplaceAll(key, "\x00", ""))), "must not contain NUL characters (\\u0000)")
		}
		field := join(path, key)
		if seen[key] {
			return domain.Invalid(field, "appears more than once")
		}
		seen[key] = true
		next := elem
		if fields != nil {
			ft, ok := fields[key]
			if !ok {
				return domain.Invalid(field, "unknown field (names are case-sensitive)")
			}
			next = ft
		}
		if err := walkValue(dec, next, field); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// concrete strips pointers; a type that decodes itself (json.RawMessage,
// time.Time, …) or an interface is free-form (nil).
func concrete(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface {
		return nil
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return nil
	}
	return t
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields maps the exact JSON names of struct t's fields to their types,
// following encoding/json's rules for tags, "-", unexported and embedded fields.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	addFields(t, m, 0)
	fieldCache.Store(t, m)
	return m
}

func addFields(t reflect.Type, m map[string]reflect.Type, depth int) {
	if depth > 10 {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				addFields(ft, m, depth+1)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, taken := m[name]; !taken || depth == 0 {
			m[name] = f.Type
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func fieldOrBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}
