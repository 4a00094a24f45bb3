package workflows

import (
	"bytes"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

const testChannel = "ch_01JABCDEFGHJKMNPQRSTVWXYZ0"

// testIDs is keyed like a server whose ROUTEDESK_SECRET_KEY is 32 bytes of 'k'.
func testIDs(t testing.TB, secret string) ConversationIDs {
	t.Helper()
	ids, err := NewConversationIDs([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

var keyedID = regexp.MustCompile(`^conv:` + testChannel + `:[0-9a-f]{32}$`)

// checkID fails unless id is a keyed conversation id Temporal accepts.
func checkID(t testing.TB, key, id string) {
	t.Helper()
	if !ValidWorkflowID(id) || !keyedID.MatchString(id) {
		t.Fatalf("ID(%q) = %q: not conv:<channel>:<32 hex>", key, id)
	}
}

// TestConversationIDsHideTheThreadKey: no email, phone, PSID or Message-ID of the
// thread key is readable in the id, which is pinned for a known key (servers of
// every release compute the same id) and differs per channel, thread and key.
func TestConversationIDsHideTheThreadKey(t *testing.T) {
	secret := strings.Repeat("k", 32)
	ids := testIDs(t, secret)
	for _, key := range []string{"e:ada@example.com", "wa:+447700900123", "tel:+33612345678", "psid:24242424242424",
		"m:<CAF=abc@mail.gmail.com>", "t:visitor-42", "u:訪客-7"} {
		id := ids.ID(testChannel, key)
		checkID(t, key, id)
		secretPart := key[strings.IndexByte(key, ':')+1:]
		if strings.Contains(id, secretPart) {
			t.Errorf("ID(%q) = %q holds the thread key", key, id)
		}
		if again := testIDs(t, secret).ID(testChannel, key); again != id {
			t.Errorf("another process with the same secret gives %q, not %q", again, id)
		}
		if other := testIDs(t, strings.Repeat("j", 32)).ID(testChannel, key); other == id {
			t.Errorf("another secret gives the same id %q", id)
		}
		if ids.ID("ch_other", key) == strings.Replace(id, testChannel, "ch_other", 1) {
			t.Errorf("the channel is not part of the hash of %q", key)
		}
	}
	if got, want := ids.ID("ch_1", "e:ada@example.com"), "conv:ch_1:3db22bb6e844365510a594bdf201dadb"; got != want {
		t.Errorf("the id of a known key changed: %q, want %q (a change re-keys every new conversation)", got, want)
	}
}

func TestConversationIDsNeedAKey(t *testing.T) {
	if _, err := NewConversationIDs(bytes.Repeat([]byte{1}, 31)); err == nil {
		t.Fatal("a 31-byte secret was accepted")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("an unkeyed ConversationIDs gave an id (an unkeyed hash of an email can be reversed by guessing)")
		}
	}()
	_ = ConversationIDs{}.ID(testChannel, "e:ada@example.com")
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

func TestConversationIDsInjectiveAndValid(t *testing.T) {
	ids := testIDs(t, strings.Repeat("k", 32))
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]string{}
	for range 50000 {
		key := randomKey(r)
		id := ids.ID(testChannel, key)
		checkID(t, key, id)
		if other, ok := seen[id]; ok && other != key {
			t.Fatalf("keys %q and %q share the id %q", other, key, id)
		}
		seen[id] = key
	}
	if len(seen) < 10000 {
		t.Fatalf("only %d distinct keys generated", len(seen))
	}
}

func FuzzConversationWorkflowID(f *testing.F) {
	for _, seed := range []string{"", "t:visitor-42", "e:ada@example.com", "u:訪客-7", "t:100%", "\x00", "\u202E", strings.Repeat("é", 300)} {
		f.Add(seed)
	}
	ids := testIDs(f, strings.Repeat("k", 32))
	f.Fuzz(func(t *testing.T, key string) {
		id := ids.ID(testChannel, key)
		checkID(t, key, id)
		if id != ids.ID(testChannel, key) {
			t.Fatalf("not deterministic for %q", key)
		}
	})
}

// Issue 31, point 4: the HMAC's input is framed so that no two (channel, thread)
// pairs share it, and the channel is in the id in clear, so ids of different
// channels or threads differ even where a naive concatenation would not.
func TestConversationIDsFramingIsUnambiguous(t *testing.T) {
	ids := testIDs(t, strings.Repeat("k", 32))
	pairs := [][2]string{
		{"ch_a", "b:c"}, {"ch_a:b", "c"}, {"ch_ab", "c"}, {"ch_a", "bc"},
		{"ch_a\x00b", "c"}, {"ch_a", "b\x00c"}, {"ch_a", ""}, {"ch_", "a"},
	}
	seen := map[string][2]string{}
	for _, p := range pairs {
		id := ids.ID(p[0], p[1])
		if other, ok := seen[id]; ok {
			t.Fatalf("%q and %q share the id %q", other, p, id)
		}
		seen[id] = p
		hash := id[len(ConversationIDPrefix)+len(p[0])+1:]
		if len(hash) != 32 || strings.Trim(hash, "0123456789abcdef") != "" {
			t.Fatalf("%q: the part after the channel is %q, not 32 lower-case hex digits", p, hash)
		}
	}
}
