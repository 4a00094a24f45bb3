package channels

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/routedesk/routedesk/domain"
)

// checkShape compares a generic JSON value (decoded with UseNumber) with Go type t and
// reports, by JSON path, every member t does not have and every value of the wrong JSON type.
// JSON null is accepted anywhere and leaves the field unset.
func checkShape(v any, t reflect.Type, path string) []domain.FieldError {
	if v == nil {
		return nil
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	wrong := func(want string) []domain.FieldError {
		return []domain.FieldError{{Field: path, Message: fmt.Sprintf("must be %s, not %s", want, jsonKind(v))}}
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return wrong("an object")
		}
		fields := make(map[string]reflect.StructField, t.NumField())
		for i := range t.NumField() {
			if name := jsonName(t.Field(i)); name != "" {
				fields[name] = t.Field(i)
			}
		}
		var errs []domain.FieldError
		for _, key := range slices.Sorted(maps.Keys(obj)) {
			sf, ok := fields[key]
			if !ok {
				errs = append(errs, domain.FieldError{Field: path + "." + key, Message: unknownFieldMessage(key, fields)})
				continue
			}
			errs = append(errs, checkShape(obj[key], sf.Type, path+"."+key)...)
		}
		return errs
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return wrong("an array")
		}
		var errs []domain.FieldError
		for i, item := range arr {
			errs = append(errs, checkShape(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return errs
	case reflect.String:
		if _, ok := v.(string); !ok {
			return wrong("a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return wrong("true or false")
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, ok := v.(json.Number)
		if !ok {
			return wrong("an integer")
		}
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			return []domain.FieldError{{Field: path, Message: "must be an integer in range, not " + truncate(string(n), 30)}}
		}
	}
	return nil
}

// unknownFieldMessage says a member is unknown, suggesting a known name that differs only in case.
func unknownFieldMessage(key string, fields map[string]reflect.StructField) string {
	known := slices.Sorted(maps.Keys(fields))
	for _, name := range known {
		if strings.EqualFold(name, key) {
			return fmt.Sprintf("is not a known field (names are case-sensitive: did you mean %s?)", name)
		}
	}
	return "is not a known field; known fields here: " + strings.Join(known, ", ")
}

// jsonKind names the JSON type of a generic JSON value.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return "null"
}
