package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// hostileIDs returns ids that a lossy or ASCII-only encoding of thread keys
// would break or merge: a code point from every Unicode plane, C0 and C1
// controls, bidi and zero-width marks, normalisation and case twins,
// separator look-alikes and a 1,000-character id. maxRunes caps their length.
func hostileIDs(rng *rand.Rand, maxRunes int) []string {
	randomIn := func(lo, hi rune) rune {
		for {
			r := lo + rune(rng.IntN(int(hi-lo+1)))
			if utf8.ValidRune(r) && r != 0 {
				return r
			}
		}
	}
	ids := []string{"visitor-plain"}
	for plane := rune(0); plane <= 16; plane++ {
		ids = append(ids, fmt.Sprintf("plane%d-%c%c", plane, randomIn(plane<<16, plane<<16|0xFFFF), randomIn(plane<<16, plane<<16|0xFFFF)))
	}
	ids = append(ids,
		"ctl-\x01\x07\x1b\x1f\x7f",                  // C0 controls and DEL
		"c1-\u0085\u009b\u009f",                     // C1 controls
		"bidi-\u202eevil\u202c-\u2066x\u2069\u200f", // overrides, isolates, marks
		"zw-\u200b\u200d\ufeff",                     // zero-width space/joiner, BOM
		"café", "cafe\u0301",                        // NFC and NFD: two threads
		"Visitor-Case", "visitor-case", // case twins: two threads
		"a/b", "a_b", "a%2Fb", "a:b", "a b", // separator look-alikes
		"訪客-7", "visitor-café", "😀👩‍👩‍👧", "\U0010FFFD\U000E0001",
	)
	var long strings.Builder
	for long.Len() == 0 || utf8.RuneCountInString(long.String()) < 1000 {
		long.WriteRune(randomIn(0x20, 0x10FFFF))
	}
	ids = append(ids, long.String())
	for i, id := range ids {
		if utf8.RuneCountInString(id) > maxRunes {
			ids[i] = string([]rune(id)[:maxRunes])
		}
	}
	return ids
}

func signMeta(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// postSigned posts a Meta webhook body signed with secret.
func postSigned(t *testing.T, base, path string, body []byte, secret string) testenv.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(string(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", signMeta(body, secret))
	resp, err := httpClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: out}
}

// TestChaosUnicodeIDs sends hostile Unicode ids on every inbound route —
// thread ids, external user ids and emails on the generic route of chat and
// custom channels, Messenger PSIDs and WhatsApp senders on signed webhooks —
// and requires each distinct id to become its own conversation with exactly one ticket.
func TestChaosUnicodeIDs(t *testing.T) {
	chaosOnly(t)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 9))
	graph := testenv.NewGraphFake(t)
	d := newDev(t)
	d.env = append(d.env, "ROUTEDESK_GRAPH_API_URL="+graph.URL)
	d.start()

	channel := func(typ string, config map[string]any) string {
		r := d.do(http.MethodPost, "/v1/channels", map[string]any{"type": typ, "name": "Unicode " + typ, "config": config})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
		return r.Map(t)["id"].(string)
	}
	chat := channel("chat", map[string]any{})
	custom := channel("custom", map[string]any{"app_name": "Bridge"})
	mail := channel("chat", map[string]any{})
	messenger := channel("messenger", map[string]any{"page_id": "424242", "page_access_token": "tok", "app_secret": "m-secret", "verify_token": "v"})
	whatsapp := channel("whatsapp", map[string]any{"phone_number_id": "5550100", "access_token": "tok", "app_secret": "w-secret"})

	expect := map[string]int{} // channel → distinct conversations
	convs := map[string]string{}
	generic := func(ch, label string, body map[string]any) {
		r := d.do(http.MethodPost, "/v1/channels/"+ch+"/messages", body)
		require.Equal(t, http.StatusAccepted, r.Status, "%s %q: %s", label, body, r.Body)
		conv := conversationOf(t, r)
		if prev, dup := convs[conv]; dup {
			t.Errorf("%s and %s share conversation %s: thread keys collided", prev, label, conv)
		}
		convs[conv] = label
		expect[ch]++
	}
	for i, id := range hostileIDs(rng, 1000) {
		generic(chat, fmt.Sprintf("chat thread_id #%d", i), map[string]any{"external_id": fmt.Sprintf("chat-%d", i), "thread_id": id,
			"from": map[string]any{"email": "visitor@example.com"}, "text": "hi " + id})
	}
	for i, id := range hostileIDs(rng, 255) {
		generic(custom, fmt.Sprintf("custom external_user_id #%d", i), map[string]any{"external_id": fmt.Sprintf("custom-%d", i),
			"from": map[string]any{"external_user_id": id}, "text": "hi"})
	}
	for i, email := range []string{"jürgen@müller.de", "訪客@例え.jp", "δοκιμή@παράδειγμα.δοκιμή", "user+tag@example.com"} {
		generic(mail, "email "+email, map[string]any{"external_id": fmt.Sprintf("mail-%d", i), "from": map[string]any{"email": email}, "text": "hi"})
	}

	now := time.Now()
	for i, psid := range hostileIDs(rng, 1000) {
		ev := map[string]any{"sender": map[string]any{"id": psid}, "recipient": map[string]any{"id": "424242"}, "timestamp": now.UnixMilli(),
			"message": map[string]any{"mid": fmt.Sprintf("m.%d", i), "text": "hi"}}
		body, err := json.Marshal(map[string]any{"object": "page", "entry": []any{map[string]any{"id": "424242", "time": now.UnixMilli(), "messaging": []any{ev}}}})
		require.NoError(t, err)
		r := postSigned(t, d.api, "/webhooks/messenger", body, "m-secret")
		require.Equal(t, http.StatusOK, r.Status, "messenger PSID #%d: %s", i, r.Body)
		require.EqualValues(t, 1, r.Map(t)["received"], "messenger PSID #%d stored", i)
		expect[messenger]++
	}
	for i, from := range hostileIDs(rng, 1000) {
		value := map[string]any{"messaging_product": "whatsapp", "metadata": map[string]any{"display_phone_number": "15550100", "phone_number_id": "5550100"},
			"contacts": []any{map[string]any{"profile": map[string]any{"name": "Kim"}, "wa_id": from}},
			"messages": []any{map[string]any{"from": from, "id": fmt.Sprintf("wamid.%d", i), "timestamp": fmt.Sprint(now.Unix()), "type": "text", "text": map[string]any{"body": "hi"}}}}
		body, err := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{"id": "WABA",
			"changes": []any{map[string]any{"field": "messages", "value": value}}}}})
		require.NoError(t, err)
		r := postSigned(t, d.api, "/webhooks/whatsapp", body, "w-secret")
		require.Equal(t, http.StatusOK, r.Status, "whatsapp from #%d: %s", i, r.Body)
		require.EqualValues(t, 1, r.Map(t)["received"], "whatsapp from #%d stored", i)
		expect[whatsapp]++
	}

	names := map[string]string{chat: "chat", custom: "custom", mail: "email senders", messenger: "messenger", whatsapp: "whatsapp"}
	deadline := time.Now().Add(60 * time.Second)
	for ch, want := range expect {
		var got []map[string]any
		for {
			got = ticketsOf(t, d.api, devToken, "channel_id="+ch)
			if len(got) >= want || time.Now().After(deadline) {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		require.Len(t, got, want, "%s: one ticket per distinct id", names[ch])
		for conv, n := range ticketsByConversation(got) {
			require.Equal(t, 1, n, "%s: conversation %s has %d tickets", names[ch], conv, n)
		}
	}
}
