package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

const testChannel = "ch_01JABCDEFGHJKMNPQRSTVWXYZ0"

// checkID fails unless id is a workflow id Temporal accepts and stays within the documented bound.
func checkID(t testing.TB, key, id string) {
	t.Helper()
	if !ValidWorkflowID(id) {
		t.Fatalf("ConversationWorkflowID(%q) = %q: not printable ASCII or too long", key, id)
	}
	if max := len("conv:") + len(testChannel) + 1 + maxThreadKeyInID; len(id) > max {
		t.Fatalf("ConversationWorkflowID(%q) is %d bytes, more than %d", key, len(id), max)
	}
}

func TestConversationWorkflowIDKeepsSafeASCII(t *testing.T) {
	long := "t:" + strings.Repeat("a", 250)
	sum := sha256.Sum256([]byte(long))
	for key, want := range map[string]string{
		"t:visitor-42":      "conv:" + testChannel + ":t:visitor-42",
		"e:ada@example.com": "conv:" + testChannel + ":e:ada@example.com",
		"psid:1234567890":   "conv:" + testChannel + ":psid:1234567890",
		"t:with space~!":    "conv:" + testChannel + ":t:with space~!",
		long:                "conv:" + testChannel + ":sha256-" + hex.EncodeToString(sum[:]),
	} {
		if got := ConversationWorkflowID(testChannel, key); got != want {
			t.Errorf("ConversationWorkflowID(%q) = %q, want %q (the id before the encoding)", key, got, want)
		}
	}
}

func TestConversationWorkflowIDEscapes(t *testing.T) {
	for key, want := range map[string]string{
		"t:visitor-café":  "t:visitor-caf%C3%A9",
		"u:訪客-7":          "u:%E8%A8%AA%E5%AE%A2-7",
		"t:100%":          "t:100%25",
		"t:a\x00b\x7f":    "t:a%00b%7F",
		"t:\u202Eevil":    "t:%E2%80%AEevil",
		"t:\xff\xfe":      "t:%FF%FE",
		"sha256-" + "abc": "%73ha256-abc",
	} {
		got := ConversationWorkflowID(testChannel, key)
		if got != "conv:"+testChannel+":"+want {
			t.Errorf("ConversationWorkflowID(%q) = %q, want thread part %q", key, got, want)
		}
		checkID(t, key, got)
	}
}

// randomKey draws from every Unicode plane, C0/C1 controls, bidi marks,
// surrogate-range and invalid bytes, '%' and "sha256-" prefixes, at lengths up to 1,000 characters.
func randomKey(r *rand.Rand) string {
	pools := []func() string{
		func() string { return string(rune(r.IntN(0x80))) },
		func() string { return string(rune(0x80 + r.IntN(0x20))) },
		func() string {
			return string([]rune{0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2069}[r.IntN(9)])
		},
		func() string { return string(rune(r.IntN(17)<<16 | r.IntN(0x10000))) },
		func() string { return "😀" },
		func() string { return "%" },
		func() string { return "sha256-" },
		func() string { return string([]byte{byte(0x80 + r.IntN(0x80))}) },
		func() string { return "a" },
	}
	var b strings.Builder
	n := r.IntN(12)
	if r.IntN(20) == 0 {
		n = 1000
	}
	for range n {
		b.WriteString(pools[r.IntN(len(pools))]())
	}
	return b.String()
}

func TestConversationWorkflowIDInjectiveAndValid(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]string{}
	for range 50000 {
		key := randomKey(r)
		id := ConversationWorkflowID(testChannel, key)
		checkID(t, key, id)
		if id != ConversationWorkflowID(testChannel, key) {
			t.Fatalf("ConversationWorkflowID(%q) is not deterministic", key)
		}
		if other, ok := seen[id]; ok && other != key {
			t.Fatalf("keys %q and %q share the id %q", other, key, id)
		}
		seen[id] = key
	}
	if len(seen) < 10000 {
		t.Fatalf("only %d distinct keys generated", len(seen))
	}
}

// decodeThreadKey inverts encodeThreadKey for keys that were not hashed.
func decodeThreadKey(t testing.TB, enc string) string {
	var b strings.Builder
	for i := 0; i < len(enc); i++ {
		if enc[i] != '%' {
			b.WriteByte(enc[i])
			continue
		}
		v, err := hex.DecodeString(enc[i+1 : i+3])
		if err != nil {
			t.Fatalf("bad escape in %q: %v", enc, err)
		}
		b.Write(v)
		i += 2
	}
	return b.String()
}

func FuzzConversationWorkflowID(f *testing.F) {
	for _, seed := range []string{"", "t:visitor-42", "t:visitor-café", "u:訪客-7", "t:100%", "sha256-x", "\x00", "\u202E", strings.Repeat("é", 300)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, key string) {
		id := ConversationWorkflowID(testChannel, key)
		checkID(t, key, id)
		if id != ConversationWorkflowID(testChannel, key) {
			t.Fatalf("not deterministic for %q", key)
		}
		part := strings.TrimPrefix(id, "conv:"+testChannel+":")
		if strings.HasPrefix(part, hashedKeyPrefix) {
			sum := sha256.Sum256([]byte(key))
			if part != hashedKeyPrefix+hex.EncodeToString(sum[:]) {
				t.Fatalf("hashed id of %q is not its SHA-256", key)
			}
			return
		}
		// Not hashed: the encoding must be reversible (so injective).
		if got := decodeThreadKey(t, part); got != key {
			t.Fatalf("decoding %q gave %q, want %q", part, got, key)
		}
		if utf8.ValidString(key) && !strings.ContainsAny(key, "%") && part != key && !strings.HasPrefix(key, hashedKeyPrefix) {
			for _, c := range []byte(key) {
				if c < 0x20 || c > 0x7E {
					return
				}
			}
			t.Fatalf("safe key %q changed to %q", key, part)
		}
	})
}
