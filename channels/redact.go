package channels

import (
	"encoding/json"
	"reflect"
)

// Redacted returns c as JSON with every set secret replaced by "***"; unset secrets stay omitted or empty.
func Redacted(c Config) json.RawMessage {
	if c == nil {
		return json.RawMessage(`{}`)
	}
	// Work on a copy so c keeps its secrets; a failure yields {} rather than risk a leak.
	data, err := json.Marshal(c)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	clone, ok := reflect.New(reflect.TypeOf(c).Elem()).Interface().(Config)
	if !ok {
		return json.RawMessage(`{}`)
	}
	if err := json.Unmarshal(data, clone); err != nil {
		return json.RawMessage(`{}`)
	}
	for _, f := range secretFieldsOf(clone) {
		if v, ok := f.value(clone); ok && v.String() != "" {
			v.SetString(Placeholder)
		}
	}
	out, err := json.Marshal(clone)
	if err != nil {
		return json.RawMessage(`{}`)
	}
	return out
}
