package channels

import (
	"encoding/json"
	"fmt"

	"github.com/routedesk/routedesk/domain"
)

// Merge applies patch to the full stored configuration current as an RFC 7396 JSON merge patch, then decodes and validates the result into cfg, an empty configuration.
//
// A secret given as "***" in the patch keeps its current value (it is dropped when
// there is none); null removes a field; an empty or null patch changes nothing.
// Problems with the patch or the result are a *domain.ValidationError; an unreadable
// current configuration is an ordinary error.
func Merge(cfg Config, current json.RawMessage, patch json.RawMessage) (Config, error) {
	t := cfg.Type()
	target, err := decodeObject(current)
	if err != nil {
		return nil, fmt.Errorf("merge %s config: stored config: %w", t, err)
	}
	changes, err := decodeObject(patch)
	if err != nil {
		return nil, domain.Invalid("config", err.Error())
	}
	keepSecrets(secretFieldsOf(cfg), changes, target)
	merged, err := json.Marshal(mergePatch(target, changes))
	if err != nil {
		return nil, fmt.Errorf("merge %s config: encode: %w", t, err)
	}
	return Decode(cfg, merged)
}

// keepSecrets replaces each secret given as "***" in patch by its value in current, or removes it when current has none.
func keepSecrets(secrets []secretField, patch, current map[string]any) {
	for _, f := range secrets {
		parent := lookupObject(patch, f.path[:len(f.path)-1])
		leaf := f.path[len(f.path)-1]
		if parent == nil || parent[leaf] != Placeholder {
			continue
		}
		if old, ok := lookupObject(current, f.path[:len(f.path)-1])[leaf].(string); ok && old != "" {
			parent[leaf] = old
		} else {
			delete(parent, leaf)
		}
	}
}

// lookupObject follows path through nested objects of obj, returning nil when a step is missing or not an object.
func lookupObject(obj map[string]any, path []string) map[string]any {
	for _, key := range path {
		next, ok := obj[key].(map[string]any)
		if !ok {
			return nil
		}
		obj = next
	}
	return obj
}

// mergePatch is RFC 7396's MergePatch(target, patch); it may modify target.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
		} else {
			t[k] = mergePatch(t[k], v)
		}
	}
	return t
}
