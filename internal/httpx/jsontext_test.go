package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

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
		err := CheckJSONText([]byte(body), DefaultLimits)
		if field == "" {
			require.NoError(t, err, body)
			continue
		}
		requireField(t, err, field)
	}
}

// Issue 22, defect 5: keys and depth are bounded per route; beyond them a body is 413 or 422.
func TestCheckJSONTextBoundsKeysAndDepth(t *testing.T) {
	lim := Limits{Keys: 100, Depth: 4}
	require.NoError(t, CheckJSONText(wideJSON(100), lim))
	var many *TooManyKeysError
	require.ErrorAs(t, CheckJSONText(wideJSON(101), lim), &many)
	require.NoError(t, CheckJSONText([]byte(`{"properties":{"a":{"a":[1]}}}`), lim))
	requireField(t, CheckJSONText([]byte(`{"properties":{"a":{"a":{"b":[1]}}}}`), lim), "properties.a.a.b")
	requireField(t, CheckJSONText(deepJSON(8000), DefaultLimits), "properties"+strings.Repeat(".a", DefaultLimits.Depth-1))
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

// FuzzCheckJSONText: any body is either refused or is one well-formed JSON
// value of valid UTF-8 that encoding/json decodes without replacing anything.
func FuzzCheckJSONText(f *testing.F) {
	for _, seed := range []string{`{"a":"b"}`, `{"a":"x"}}`, "{\"a\":\"\xff\"}", `{"a":"\ud800"}`, `[[[]]]`, `{"a":"\ud83d\ude00"}`, `{"a":"\\u0000"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if CheckJSONText(body, Limits{Keys: 1000, Depth: 16}) != nil {
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
