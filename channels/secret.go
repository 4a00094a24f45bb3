package channels

import (
	"reflect"
	"strings"
	"sync"
)

// Placeholder stands for a set secret in redacted configurations and in patches that keep a secret.
const Placeholder = "***"

// secretField locates one field tagged `secret:"true"` in a configuration struct.
type secretField struct {
	path  []string // JSON member names from the top, e.g. ["smtp", "password"]
	index []int    // Go field index for reflect.Value.FieldByIndexErr
}

// secretFieldsCache holds the secret fields of every configuration struct type seen, by reflect.Type.
var secretFieldsCache sync.Map

// secretFieldsOf returns the secret fields of cfg's struct type (cfg is a pointer to a struct).
func secretFieldsOf(cfg Config) []secretField {
	t := reflect.TypeOf(cfg).Elem()
	if v, ok := secretFieldsCache.Load(t); ok {
		return v.([]secretField)
	}
	fields := collectSecretFields(t, nil, nil)
	secretFieldsCache.Store(t, fields)
	return fields
}

// SecretPaths returns the JSON paths of cfg's secret fields, e.g. "smtp.password", in declaration order.
func SecretPaths(cfg Config) []string {
	fields := secretFieldsOf(cfg)
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = strings.Join(f.path, ".")
	}
	return out
}

// collectSecretFields walks struct type t (and its struct or pointer-to-struct fields) for secret string fields.
func collectSecretFields(t reflect.Type, path []string, index []int) []secretField {
	var out []secretField
	for i := range t.NumField() {
		sf := t.Field(i)
		name := jsonName(sf)
		if name == "" {
			continue
		}
		p := append(path[:len(path):len(path)], name)
		x := append(index[:len(index):len(index)], i)
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case sf.Tag.Get("secret") == "true" && sf.Type.Kind() == reflect.String:
			out = append(out, secretField{path: p, index: x})
		case ft.Kind() == reflect.Struct:
			out = append(out, collectSecretFields(ft, p, x)...)
		}
	}
	return out
}

// value returns the field in cfg, a pointer to a configuration struct; ok is false when a nil pointer hides it.
func (f secretField) value(cfg Config) (v reflect.Value, ok bool) {
	v, err := reflect.ValueOf(cfg).Elem().FieldByIndexErr(f.index)
	return v, err == nil
}

// jsonName returns the JSON member name of a struct field, or "" when it is not encoded.
func jsonName(sf reflect.StructField) string {
	if !sf.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return sf.Name
	}
	return name
}
