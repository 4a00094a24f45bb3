package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
)

// errPatchNotObject is a JSON merge patch that is not an object.
var errPatchNotObject = errors.New("a merge patch must be a JSON object")

// mergePatchJSON applies the RFC 7396 JSON merge patch patch to the JSON
// object current and returns the result. Both are decoded once (numbers kept
// as written) and merged in one walk, so the work is linear in their sizes;
// evanphx/json-patch's MergePatch rescans an ordered key list per key
// (quadratic in the keys of one object) and re-parses each nesting level.
func mergePatchJSON(current, patch []byte) ([]byte, error) {
	var target, changes any
	if err := decodeNumbers(current, &target); err != nil {
		return nil, fmt.Errorf("decode current document: %w", err)
	}
	if err := decodeNumbers(patch, &changes); err != nil {
		return nil, fmt.Errorf("decode patch: %w", err)
	}
	if _, ok := changes.(map[string]any); !ok {
		return nil, errPatchNotObject
	}
	merged, err := json.Marshal(applyMergePatch(target, changes))
	if err != nil {
		return nil, fmt.Errorf("encode merged document: %w", err)
	}
	return merged, nil
}

// decodeNumbers decodes one JSON value into v, keeping numbers as json.Number.
func decodeNumbers(data []byte, v *any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// applyMergePatch is RFC 7396's MergePatch(target, patch); it may modify target.
func applyMergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = make(map[string]any, len(p))
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
		} else {
			t[k] = applyMergePatch(t[k], v)
		}
	}
	return t
}

// mergeInto applies a JSON merge patch to *dst, strictly decoding and validating the result.
func mergeInto[T any](dst *T, patch json.RawMessage, field string) error {
	if len(patch) == 0 || string(patch) == "null" {
		return nil
	}
	current, err := json.Marshal(dst)
	if err != nil {
		return fmt.Errorf("encode %s: %w", field, err)
	}
	merged, err := mergePatchJSON(current, patch)
	if err != nil {
		if field == "" {
			field = "body"
		}
		if errors.Is(err, errPatchNotObject) {
			return domain.Invalid(field, "must be a JSON object")
		}
		return fmt.Errorf("merge %s: %w", field, err)
	}
	var out T
	if err := httpx.UnmarshalStrict(merged, &out); err != nil {
		return prefixFields(err, field)
	}
	if err := httpx.ValidateStruct(&out); err != nil {
		return prefixFields(err, field)
	}
	*dst = out
	return nil
}

// prefixFields puts a parent's name in front of a validation error's fields.
func prefixFields(err error, parent string) error {
	invalid, ok := err.(*domain.ValidationError)
	if !ok || parent == "" {
		return err
	}
	for i := range invalid.Errors {
		if invalid.Errors[i].Field == "body" {
			invalid.Errors[i].Field = parent
		} else {
			invalid.Errors[i].Field = parent + "." + invalid.Errors[i].Field
		}
	}
	return invalid
}
