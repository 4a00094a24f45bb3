package chat_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels/chat"
)

func TestVisitorConversationEndToEnd(t *testing.T) {
	e := newChatEnv(t, map[string]any{"accent_color": "#112233", "font": "Inter", "greeting": "Hi there!",
		"away_message": "We're away", "allowed_origins": []string{"https://shop.example.com"}})

	r := e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", "", map[string]any{})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	sess := r.Map(t)
	require.True(t, strings.HasPrefix(sess["visitor_id"].(string), "vis_"))
	require.NotEmpty(t, sess["expires_at"])
	require.Equal(t, map[string]any{"accent_color": "#112233", "font": "Inter", "greeting": "Hi there!",
		"availability": map[string]any{"open": true, "next_open_at": nil, "away_message": "We're away"}}, sess["channel"])
	tok := sess["visitor_token"].(string)

	require.Empty(t, e.messages(e.ch, tok, ""), "no conversation before the first message")
	first := e.send(e.ch, tok, "c-1", "My order is late", http.StatusAccepted)
	require.Equal(t, false, first["duplicate"])
	require.Equal(t, false, first["outside_hours"])
	again := e.send(e.ch, tok, "c-1", "My order is late", http.StatusOK)
	require.Equal(t, true, again["duplicate"])
	require.Equal(t, first["id"], again["id"])
	var n int
	require.NoError(t, e.s.Store.DB().Get(&n, `SELECT count(*) FROM messages WHERE channel_id = $1`, e.ch))
	require.Equal(t, 1, n, "the same client_id is stored once")

	ticket := e.ticketOf(first["id"].(string))
	require.Equal(t, "My order is late", ticket["subject"])

	// An agent (a user with an email) replies; the visitor sees the reply, not the agent's email.
	u := e.s.Do(http.MethodPost, "/v1/users", e.admin, map[string]any{"email": "ann@acme.test", "name": "Ann"})
	require.Equal(t, http.StatusCreated, u.Status, string(u.Body))
	at := e.s.Do(http.MethodPost, "/v1/users/"+u.Map(t)["id"].(string)+"/tokens", e.admin, nil)
	require.Equal(t, http.StatusCreated, at.Status, string(at.Body))
	r = e.s.Do(http.MethodPost, "/v1/tickets/"+ticket["id"].(string)+"/replies", at.Map(t)["token"].(string), map[string]any{"text": "It ships today."})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))

	var msgs []map[string]any
	require.Eventually(t, func() bool { msgs = e.messages(e.ch, tok, ""); return len(msgs) == 2 }, 10e9, 50e6)
	require.Equal(t, "inbound", msgs[0]["direction"])
	require.Equal(t, "c-1", msgs[0]["client_id"])
	require.Equal(t, "outbound", msgs[1]["direction"])
	require.Equal(t, "It ships today.", msgs[1]["text"])
	require.Equal(t, "Ann", msgs[1]["agent_name"])
	r = e.call(http.MethodGet, "/chat/v1/"+e.ch+"/messages", tok, nil)
	require.NotContains(t, string(r.Body), "ann@acme.test")
	require.NotContains(t, string(r.Body), "conversation_id")
	require.NotContains(t, string(r.Body), "usr_")

	// after= pages forward.
	later := e.messages(e.ch, tok, msgs[0]["id"].(string))
	require.Len(t, later, 1)
	require.Equal(t, msgs[1]["id"], later[0]["id"])

	// The session refreshes with the same visitor and history.
	r = e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", tok, map[string]any{})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, sess["visitor_id"], r.Map(t)["visitor_id"])
	require.Len(t, e.messages(e.ch, r.Map(t)["visitor_token"].(string), ""), 2)
}

func TestVisitorsNeverSeeEachOthersMessages(t *testing.T) {
	e := newChatEnv(t, map[string]any{})
	other := addChat(t, e.s, e.admin, map[string]any{})
	alice, _ := e.session(e.ch, nil)
	bob, _ := e.session(e.ch, nil)
	a := e.send(e.ch, alice, "same-id", "alice's secret", http.StatusAccepted)
	b := e.send(e.ch, bob, "same-id", "bob's secret", http.StatusAccepted)
	require.NotEqual(t, a["id"], b["id"], "client ids are per visitor")
	require.False(t, b["duplicate"].(bool))

	for _, tc := range []struct{ tok, own, foreign string }{{alice, "alice's secret", "bob's secret"}, {bob, "bob's secret", "alice's secret"}} {
		msgs := e.messages(e.ch, tc.tok, "")
		require.Len(t, msgs, 1)
		require.Equal(t, tc.own, msgs[0]["text"])
		r := e.call(http.MethodGet, "/chat/v1/"+e.ch+"/messages?after=msg_0", tc.tok, nil)
		require.NotContains(t, string(r.Body), tc.foreign)
	}
	// Bob's ticket answered: Alice does not see the reply.
	e.reply(e.ticketOf(b["id"].(string))["id"].(string), "for bob only")
	require.Eventually(t, func() bool { return len(e.messages(e.ch, bob, "")) == 2 }, 10e9, 50e6)
	require.Len(t, e.messages(e.ch, alice, ""), 1)

	// A token is bound to its channel and its signature.
	for name, tok := range map[string]string{"none": "", "garbage": "nope", "tampered": alice[:len(alice)-2] + "xx",
		"other visitor's claims": alice[:strings.LastIndex(alice, ".")] + bob[strings.LastIndex(bob, "."):]} {
		r := e.call(http.MethodGet, "/chat/v1/"+e.ch+"/messages", tok, nil)
		require.Equal(t, http.StatusUnauthorized, r.Status, name)
		require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"), name)
	}
	r := e.call(http.MethodGet, "/chat/v1/"+other+"/messages", alice, nil)
	require.Equal(t, http.StatusUnauthorized, r.Status, "a token of another channel")
	r = e.call(http.MethodPost, "/chat/v1/"+other+"/messages", alice, map[string]any{"client_id": "x", "text": "hi"})
	require.Equal(t, http.StatusUnauthorized, r.Status, "a token of another channel")
	r = e.call(http.MethodGet, "/chat/v1/ch_missing/messages", alice, nil)
	require.Equal(t, http.StatusNotFound, r.Status)
}

func TestIdentityVerification(t *testing.T) {
	e := newChatEnv(t, map[string]any{"identity_secret": "s3cret"})
	// A contact that exists already: only a verified visitor is linked to it.
	c := e.s.Do(http.MethodPost, "/v1/contacts", e.admin, map[string]any{"email": "jo@example.com", "name": "Jo"})
	require.Equal(t, http.StatusCreated, c.Status, string(c.Body))
	contactID := c.Map(t)["id"].(string)

	hash := chat.UserHash("s3cret", "jo@example.com")
	r := e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", "", map[string]any{"email": "jo@example.com", "name": "Jo", "user_hash": hash})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	verified := r.Map(t)
	require.Equal(t, true, verified["verified"])
	m := e.send(e.ch, verified["visitor_token"].(string), "v-1", "logged in question", http.StatusAccepted)
	require.Equal(t, contactID, e.ticketOf(m["id"].(string))["contact_id"], "a verified visitor is the email's contact")

	// The same proven email on another device finds the same visitor and conversation.
	r = e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", "", map[string]any{"email": "JO@example.com", "user_hash": chat.UserHash("s3cret", "JO@example.com")})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, verified["visitor_id"], r.Map(t)["visitor_id"])

	// A wrong hash is refused; a hash for another email too.
	for _, h := range []string{strings.Repeat("0", 64), chat.UserHash("s3cret", "other@example.com"), chat.UserHash("wrong", "jo@example.com")} {
		r = e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", "", map[string]any{"email": "jo@example.com", "user_hash": h})
		require.Equal(t, http.StatusUnauthorized, r.Status, string(r.Body))
	}
	r = e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", "", map[string]any{"user_hash": hash})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, string(r.Body), `"field":"email"`)

	// An unverified email is only recorded: it opens a new visitor, never Jo's conversation or contact.
	r = e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", "", map[string]any{"email": "jo@example.com", "name": "Impostor"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	imp := r.Map(t)
	require.Equal(t, false, imp["verified"])
	require.NotEqual(t, verified["visitor_id"], imp["visitor_id"])
	itok := imp["visitor_token"].(string)
	require.Empty(t, e.messages(e.ch, itok, ""))
	m = e.send(e.ch, itok, "i-1", "let me in", http.StatusAccepted)
	require.NotEqual(t, contactID, e.ticketOf(m["id"].(string))["contact_id"])
	var unverified string
	require.NoError(t, e.s.Store.DB().Get(&unverified, `SELECT unverified_email FROM chat_visitors WHERE id = $1`, imp["visitor_id"]))
	require.Equal(t, "jo@example.com", unverified)

	// A channel without an identity secret cannot verify anyone.
	plain := addChat(t, e.s, e.admin, map[string]any{})
	r = e.call(http.MethodPost, "/chat/v1/"+plain+"/sessions", "", map[string]any{"email": "jo@example.com", "user_hash": hash})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, string(r.Body), `"field":"user_hash"`)
}

func TestVisitorCORS(t *testing.T) {
	e := newChatEnv(t, map[string]any{"allowed_origins": []string{"https://shop.example.com", "http://localhost:3000"}})
	for _, origin := range []string{"https://shop.example.com", "http://localhost:3000"} {
		r := e.call(http.MethodOptions, "/chat/v1/"+e.ch+"/messages", "", nil, "Origin", origin,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type")
		require.Equal(t, http.StatusNoContent, r.Status, string(r.Body))
		require.Equal(t, origin, r.Header.Get("Access-Control-Allow-Origin"))
		require.Contains(t, r.Header.Get("Access-Control-Allow-Headers"), "Authorization")
		require.Contains(t, r.Header.Get("Access-Control-Allow-Methods"), "POST")
	}
	for _, origin := range []string{"https://evil.example.com", "http://shop.example.com", "https://shop.example.com.evil.test", "null"} {
		r := e.call(http.MethodOptions, "/chat/v1/"+e.ch+"/sessions", "", nil, "Origin", origin, "Access-Control-Request-Method", "POST")
		require.Equal(t, http.StatusForbidden, r.Status, origin)
		require.Empty(t, r.Header.Get("Access-Control-Allow-Origin"), origin)
		r = e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", "", map[string]any{}, "Origin", origin)
		require.Equal(t, http.StatusForbidden, r.Status, origin)
	}
	// The API's own origin (the demo page) and requests without an Origin (servers, curl) are fine.
	r := e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", "", map[string]any{}, "Origin", e.s.HTTP.URL)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	r = e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", "", map[string]any{}, "Origin", "https://shop.example.com")
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, "https://shop.example.com", r.Header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, r.Header.Values("Vary"), "Origin")
}

func TestVisitorLimits(t *testing.T) {
	e := newChatEnv(t, map[string]any{})
	tok, _ := e.session(e.ch, nil)
	// Size: text and body.
	r := e.call(http.MethodPost, "/chat/v1/"+e.ch+"/messages", tok, map[string]any{"client_id": "big", "text": strings.Repeat("a", 4001)})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)
	require.Contains(t, string(r.Body), `"field":"text"`)
	r = e.call(http.MethodPost, "/chat/v1/"+e.ch+"/messages", tok, `{"client_id":"huge","text":"`+strings.Repeat("a", chat.MaxBodyBytes)+`"}`)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	for body, field := range map[string]string{`{"client_id":"a b","text":"x"}`: "client_id", `{"client_id":"x","text":"  "}`: "text",
		`{"text":"x"}`: "client_id", `{"client_id":"x","text":"y","html":"<b>"}`: "html"} {
		r = e.call(http.MethodPost, "/chat/v1/"+e.ch+"/messages", tok, body)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, body)
		require.Contains(t, string(r.Body), `"field":"`+field+`"`, body)
	}
	r = e.call(http.MethodGet, "/chat/v1/"+e.ch+"/messages?after=';drop", tok, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status)

	// Per visitor (the refused messages above took tokens too): a burst, then 429 with Retry-After; another visitor is not held up.
	got429 := false
	for i := 0; i < chat.DefaultLimits.MessageBurst+2 && !got429; i++ {
		r = e.call(http.MethodPost, "/chat/v1/"+e.ch+"/messages", tok, map[string]any{"client_id": "burst-" + string(rune('a'+i)), "text": "hi"})
		if r.Status == http.StatusTooManyRequests {
			got429 = true
			require.NotEmpty(t, r.Header.Get("Retry-After"))
			require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
		} else {
			require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
		}
	}
	require.True(t, got429, "a visitor's burst is limited")
	other, _ := e.session(e.ch, nil)
	e.send(e.ch, other, "o-1", "hello", http.StatusAccepted)

	// Per IP: sessions beyond the burst are refused.
	got429 = false
	for i := 0; i < chat.DefaultLimits.SessionBurst+2 && !got429; i++ {
		r = e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", "", map[string]any{})
		if r.Status == http.StatusTooManyRequests {
			got429 = true
			require.NotEmpty(t, r.Header.Get("Retry-After"))
		}
	}
	require.True(t, got429, "sessions from one address are limited")
	r = e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", tok, map[string]any{})
	require.Equal(t, http.StatusCreated, r.Status, "a known visitor's refresh is not a new session: %s", r.Body)
}

func TestAwayChatAcceptsMessagesAndMarksTheTicket(t *testing.T) {
	e := newChatEnv(t, map[string]any{"away_message": "Back Monday", "availability": map[string]any{"mode": "away"}})
	rule := e.s.Do(http.MethodPost, "/v1/rules", e.admin, map[string]any{"name": "After hours", "kind": "property",
		"when": "ticket.properties.outside_hours == true", "set": map[string]any{"pipeline": "after_hours"}, "priority": 10, "enabled": true})
	require.Equal(t, http.StatusCreated, rule.Status, string(rule.Body))

	r := e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", "", map[string]any{})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, map[string]any{"open": false, "next_open_at": nil, "away_message": "Back Monday"},
		r.Map(t)["channel"].(map[string]any)["availability"])
	tok := r.Map(t)["visitor_token"].(string)
	// The visitor leaves an email to be answered at: kept, unverified.
	r = e.call(http.MethodPost, "/chat/v1/"+e.ch+"/sessions", tok, map[string]any{"email": "sam@example.com"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, false, r.Map(t)["verified"])

	m := e.send(e.ch, tok, "a-1", "Call me back please", http.StatusAccepted)
	require.Equal(t, true, m["outside_hours"])
	ticket := e.ticketOf(m["id"].(string))
	props := ticket["properties"].(map[string]any)
	require.Equal(t, true, props["outside_hours"])
	require.Equal(t, "sam@example.com", props["unverified_email"])
	require.Equal(t, "after_hours", ticket["pipeline"], "rules see properties.outside_hours")

	// The settings endpoint tells a widget the same without a session.
	r = e.call(http.MethodGet, "/chat/v1/"+e.ch+"/settings", "", nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, false, r.Map(t)["availability"].(map[string]any)["open"])
}
