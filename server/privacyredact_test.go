package server_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// Issue 30: redacting a message replaces its text, the ticket fields taken from it and its
// attachment: search no longer finds the card number, the attachment's bytes are gone, the
// PostgreSQL dump holds it nowhere, and the audit log has the redaction without the reason.
func TestRedactMessageErasesTheOriginalEverywhere(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "professional")
	mail := createChannel(t, s, token, map[string]any{"type": "email", "name": "Support", "config": map[string]any{"address": "support@acme.test"}})
	const card = "4111111111111111"
	raw := rawDo(t, http.MethodPost, s.HTTP.URL+"/v1/channels/"+mail+"/email",
		map[string]string{"Authorization": "Bearer " + token, "Content-Type": "message/rfc822"}, strings.ReplaceAll(`From: Rita Card <rita.card@privacy.example>
To: support@acme.test
Subject: Charged twice
Message-ID: <rita-1@privacy.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

My card `+card+` was charged twice.
--b
Content-Type: text/plain; name="card.txt"
Content-Disposition: attachment; filename="card.txt"

card `+card+` expires 12/30
--b--
`, "\n", "\r\n"))
	require.Equal(t, http.StatusAccepted, raw.Status, string(raw.Body))
	msg := raw.Map(t)["message_id"].(string)
	search := func() int {
		r := s.Do(http.MethodGet, "/v1/tickets?q="+card, token, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		return len(r.Map(t)["items"].([]any))
	}
	testenv.Eventually(t, 30*time.Second, "search finds the ticket by the card number", func() bool { return search() == 1 })

	r := s.Do(http.MethodPost, "/v1/messages/"+msg+"/redact", token, map[string]any{})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), "reason")
	r = s.Do(http.MethodPost, "/v1/messages/"+msg+"/redact", token, map[string]any{"reason": "pasted a card", "attachment": 7})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), "attachment")
	r = s.Do(http.MethodPost, "/v1/messages/msg_nope/redact", token, map[string]any{"reason": "pasted a card"})
	require.Equal(t, http.StatusNotFound, r.Status, string(r.Body))

	r = s.Do(http.MethodPost, "/v1/messages/"+msg+"/redact", token, map[string]any{"reason": "pasted a card"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	red := r.Map(t)
	require.EqualValues(t, 1, red["messages"])
	require.EqualValues(t, 1, red["attachments"])

	require.Zero(t, search(), "search no longer finds the card number")
	att := s.Do(http.MethodGet, "/v1/messages/"+msg+"/attachments/0", token, nil)
	require.Equal(t, http.StatusOK, att.Status, string(att.Body))
	require.False(t, bytes.Contains(att.Body, []byte(card)), "the attachment is gone: %s", att.Body)
	var text string
	require.NoError(t, s.Store.DB().Get(&text, `SELECT text FROM messages WHERE id = $1`, msg))
	require.Equal(t, "[redacted]", text)
	requireNothingPersonal(t, "the PostgreSQL dump", pgDump(t, s), []string{card})

	r = s.Do(http.MethodGet, "/v1/audit?action=redact", token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), `"subject_id":"`+msg+`"`)
	require.Contains(t, string(r.Body), `"ref":"`+red["id"].(string)+`"`)
	requireNothingPersonal(t, "the audit log", r.Body, []string{card, "pasted a card"})

	dec, _ := decodeAll(t, s.Codec, allHistories(t, s))
	requireNothingPersonal(t, "the codec's decode of every history", dec, []string{card})
}

// Issue 30: a channel with auto_redact stores inbound messages with Luhn-valid card numbers and
// personnummer replaced before anything is stored; a channel without it keeps them.
func TestAutoRedactOnArrival(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "professional")
	on := createChannel(t, s, token, map[string]any{"type": "custom", "name": "Redacting", "config": map[string]any{"app_name": "A"}})
	off := createChannel(t, s, token, map[string]any{"type": "custom", "name": "Plain", "config": map[string]any{"app_name": "B"}})
	r := s.Do(http.MethodPut, "/v1/channels/"+on+"/redaction", token, map[string]any{})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), "auto_redact")
	r = s.Do(http.MethodPut, "/v1/channels/"+on+"/redaction", token, map[string]any{"auto_redact": true})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	const card, pnr = "5555 5555 5555 4444", "811218-9876"
	const plainCard = "4111 1111 1111 1111"
	for i, ch := range []string{on, off} {
		c := card
		if ch == off {
			c = plainCard
		}
		r = s.Do(http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{"external_id": "x-" + ch, "thread_id": "t-" + ch,
			"from": map[string]any{"external_user_id": "u-" + ch, "name": "Nils"}, "text": "card " + c + " and pnr " + pnr + " order 1234567890123"})
		require.Equal(t, http.StatusAccepted, r.Status, "%d: %s", i, r.Body)
	}
	var redacted, kept string
	require.NoError(t, s.Store.DB().Get(&redacted, `SELECT text FROM messages WHERE channel_id = $1`, on))
	require.NoError(t, s.Store.DB().Get(&kept, `SELECT text FROM messages WHERE channel_id = $1`, off))
	require.Equal(t, "card [redacted card number] and pnr [redacted national id] order 1234567890123", redacted)
	require.Contains(t, kept, plainCard, "a channel without auto_redact keeps what was sent")
	testenv.Eventually(t, 30*time.Second, "both ticketed", func() bool { return countTickets(t, s) == 2 })
	dump := pgDump(t, s)
	requireNothingPersonal(t, "the PostgreSQL dump", dump, []string{card})
	require.Contains(t, string(dump), plainCard)
}
