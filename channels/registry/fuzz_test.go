package registry

import (
	"encoding/json"
	"testing"

	"github.com/routedesk/routedesk/domain"
)

func FuzzDecode(f *testing.F) {
	for _, raw := range fullConfigs {
		f.Add([]byte(raw))
	}
	for _, seed := range []string{``, `null`, `{}`, `[]`, `"x"`, `1e400`, `{"smtp":{"port":1e400}}`, `{"fields":[{"name":"a"},{"name":"a"}]}`,
		`{"availability":{"mode":"business_hours","hours":"Mon-Fri 09:00-17:00","timezone":"../../etc/passwd"}}`,
		`{"signature":{"body":"{{"}}`, `{"address":"a@b.c","smtp":null}`, `{"outbound_url":"http://[::1"}`, "{\"a\":\"\xff\"}"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, typ := range Types() {
			cfg, err := Decode(typ, json.RawMessage(raw))
			if err != nil {
				if _, ok := err.(*domain.ValidationError); !ok {
					t.Fatalf("Decode(%s, %q): error %T is not a *domain.ValidationError: %v", typ, raw, err, err)
				}
				if cfg != nil {
					t.Fatalf("Decode(%s, %q): config and error both returned", typ, raw)
				}
				continue
			}
			if cfg.Type() != typ {
				t.Fatalf("Decode(%s, %q) returned a %s config", typ, raw, cfg.Type())
			}
			// A valid config survives its own round trips.
			red := Redacted(cfg)
			if !json.Valid(red) {
				t.Fatalf("Redacted(%s) is not JSON: %q", typ, red)
			}
			full, err := json.Marshal(cfg)
			if err != nil {
				t.Fatalf("marshal %s: %v", typ, err)
			}
			if _, err := Decode(typ, full); err != nil {
				t.Fatalf("Decode(%s) of its own output %s: %v", typ, full, err)
			}
			if _, err := Merge(typ, full, red); err != nil {
				t.Fatalf("Merge(%s) of its own redacted form %s: %v", typ, red, err)
			}
		}
	})
}
