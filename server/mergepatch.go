package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
