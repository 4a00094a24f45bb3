package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
)

// requireField checks err is a validation error naming field.
func requireField(t *testing.T, err error, field string) {
	t.Helper()
	var invalid *domain.ValidationError
	require.True(t, errors.As(err, &invalid), "want a validation error naming %s, got %v", field, err)
	require.Equal(t, field, invalid.Errors[0].Field, invalid.Error())
}

// Issue 22, defect 9: trailing brackets, invalid UTF-8, lone surrogates and
// NUL are refused by the one check every JSON body passes, naming the field.
func TestCheckJSONTextRefusesLenientJSON(t *testing.T) {
	for body, field := range map[string]string{
		`{"name":"x"}}`:             "body",
		`{"name":"x"}]`:             "body",
		`[1]]`:                      "body",
		`{"name":"x"} {"name":"y"}`: "body",
		"{\"name\":\"\xff\xfe\"}":   "name",
		"{\"a\":{\"b\\u00e9\":[1,\"\xc3\x28\"]}}": "a.bé[1]",
		"{\"k\xff\":1}":                  "k\uFFFD",
		`{"name":"\ud800"}`:              "name",
		`{"name":"\udc00x"}`:             "name",
		`{"name":"\ud800\u0041"}`:        "name",
		`{"from":{"name":"a\u0000b"}}`:   "from.name",
		`{"a":[{"b":1},{"c":"\u0000"}]}`: "a[1].c",
		`{"x\u0000":1}`:                  "x\uFFFD",
		`{"a":"\\ud800"}`:                "",
		`{"a":"\ud83d\ude00 \\u0000"}`:   "",
		`{"a":[],"b":[[],["\ud800"]]}`:   "b[1][0]",
	} {
		err := checkJSONText([]byte(body), defaultJSONLimits)
		if field == "" {
			require.NoError(t, err, body)
			continue
		}
		requireField(t, err, field)
	}
}

// Issue 22, defect 5: keys and depth are bounded per route; beyond them a body is 413 or 422.
func TestCheckJSONTextBoundsKeysAndDepth(t *testing.T) {
	lim := jsonLimits{keys: 100, depth: 4}
	require.NoError(t, checkJSONText(wideJSON(100), lim))
	var many *tooManyKeysError
	require.ErrorAs(t, checkJSONText(wideJSON(101), lim), &many)
	require.NoError(t, checkJSONText([]byte(`{"properties":{"a":{"a":[1]}}}`), lim))
	requireField(t, checkJSONText([]byte(`{"properties":{"a":{"a":{"b":[1]}}}}`), lim), "properties.a.a.b")
	requireField(t, checkJSONText(deepJSON(8000), defaultJSONLimits), "properties"+strings.Repeat(".a", defaultJSONLimits.depth-1))
}

// wideJSON is {"properties":{"k0":0,…}} with n keys in all.
func wideJSON(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"properties":{`)
	for i := range n - 1 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i)
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// deepJSON is {"properties":{"a":{"a":…1…}}} nested n deep.
func deepJSON(n int) []byte {
	return []byte(`{"properties":` + strings.Repeat(`{"a":`, n) + `1` + strings.Repeat(`}`, n) + `}`)
}

// The merge gives RFC 7396's result: nulls remove, objects merge, anything else replaces.
func TestMergePatchJSON(t *testing.T) {
	got, err := mergePatchJSON([]byte(`{"a":1,"b":{"c":2,"d":[1]},"e":1.50}`), []byte(`{"a":null,"b":{"c":{"x":null,"y":3},"d":[2]},"f":true}`))
	require.NoError(t, err)
	require.JSONEq(t, `{"b":{"c":{"y":3},"d":[2]},"e":1.50,"f":true}`, string(got))
	require.Contains(t, string(got), `1.50`, "numbers are kept as written")
	_, err = mergePatchJSON([]byte(`{}`), []byte(`[1]`))
	require.ErrorIs(t, err, errPatchNotObject)
}

// BenchmarkMergePatch compares the merge of a contact PATCH: the library's (quadratic) and ours.
//
//	go test ./server -run '^$' -bench MergePatch -benchtime 1x
func BenchmarkMergePatch(b *testing.B) {
	current, _ := json.Marshal(contactRequest{})
	for _, c := range []struct {
		name string
		body []byte
	}{{"wide-5000", wideJSON(5000)}, {"wide-68000", wideJSON(68000)}, {"deep-32", deepJSON(30)}, {"deep-8000", deepJSON(8000)}} {
		b.Run("evanphx/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := jsonpatch.MergePatch(current, c.body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("linear/"+c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := mergePatchJSON(current, c.body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("check/"+c.name, func(b *testing.B) {
			for b.Loop() {
				_ = checkJSONText(c.body, jsonLimits{keys: 1 << 20, depth: 1 << 20})
			}
		})
	}
}

// FuzzCheckJSONText: any body is either refused or is one well-formed JSON
// value of valid UTF-8 that encoding/json decodes without replacing anything.
func FuzzCheckJSONText(f *testing.F) {
	for _, seed := range []string{`{"a":"b"}`, `{"a":"x"}}`, "{\"a\":\"\xff\"}", `{"a":"\ud800"}`, `[[[]]]`, `{"a":"\ud83d\ude00"}`, `{"a":"\\u0000"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if checkJSONText(body, jsonLimits{keys: 1000, depth: 16}) != nil {
			return
		}
		if !json.Valid(body) || !utf8.Valid(body) {
			t.Fatalf("accepted %q", body)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("accepted %q: %v", body, err)
		}
		if s, _ := json.Marshal(v); strings.Contains(string(s), "\ufffd") && !strings.Contains(string(body), "\ufffd") && !strings.Contains(string(body), `\ufffd`) && !strings.Contains(string(body), `\uFFFD`) {
			t.Fatalf("accepted %q, which decodes with U+FFFD", body)
		}
	})
}
