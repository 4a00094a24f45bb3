package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/httpx"
)

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
				_ = httpx.CheckJSONText(c.body, httpx.Limits{Keys: 1 << 20, Depth: 1 << 20})
			}
		})
	}
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
