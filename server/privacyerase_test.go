package server_test

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels/chat"
	"github.com/routedesk/routedesk/internal/testenv"
)

// Issue 30: erasing a contact reaches its logged-in chat visitor (name, verified email) and a
// conversation of theirs that no ticket holds yet, and sends nothing to the contact: the email
// channel that answered them before (through a relay the test watches) sends nothing more.
func TestEraseReachesChatVisitorsAndUnticketedConversations(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "professional")
	host, port, err := net.SplitHostPort(s.Mail.Addr)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	mail := createChannel(t, s, token, map[string]any{"type": "email", "name": "Support", "config": map[string]any{
		"address": "support@acme.test", "smtp": map[string]any{"host": host, "port": p, "tls": "none"}}})
	ch := createChannel(t, s, token, map[string]any{"type": "chat", "name": "Site", "config": map[string]any{"identity_secret": "s3cret"}})
	const email, name = "vera.visitor@privacy.example", "Vera Visitor"

	r := s.Do(http.MethodPost, "/chat/v1/"+ch+"/sessions", "", map[string]any{"email": email, "name": name,
		"user_hash": chat.UserHash("s3cret", email)})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	require.Equal(t, true, r.Map(t)["verified"])
	visitorToken := r.Map(t)["visitor_token"].(string)
	r = s.Do(http.MethodPost, "/chat/v1/"+ch+"/messages", visitorToken, map[string]any{"client_id": "c1", "text": "My parcel to Vaxholm is late"})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	raw := rawDo(t, http.MethodPost, s.HTTP.URL+"/v1/channels/"+mail+"/email",
		map[string]string{"Authorization": "Bearer " + token, "Content-Type": "message/rfc822"}, strings.ReplaceAll(`From: Vera Visitor <`+email+`>
To: support@acme.test
Subject: Second parcel to Vaxholm
Message-ID: <vera-1@privacy.example>
MIME-Version: 1.0
Content-Type: text/plain

The second parcel is late too.
`, "\n", "\r\n"))
	require.Equal(t, http.StatusAccepted, raw.Status, string(raw.Body))
	var contact, mailTicket string
	testenv.Eventually(t, 30*time.Second, "both conversations ticketed to one contact", func() bool {
		var ids []string
		require.NoError(t, s.Store.DB().Select(&ids, `SELECT DISTINCT contact_id FROM tickets WHERE contact_id IS NOT NULL`))
		var n int
		require.NoError(t, s.Store.DB().Get(&n, `SELECT count(*) FROM tickets`))
		if n != 2 || len(ids) != 1 {
			return false
		}
		contact = ids[0]
		return true
	})
	require.NoError(t, s.Store.DB().Get(&mailTicket, `SELECT id FROM tickets WHERE channel_id = $1`, mail))
	reply := s.Do(http.MethodPost, "/v1/tickets/"+mailTicket+"/replies", token, map[string]any{"text": "Your parcel left Stockholm."})
	require.Equal(t, http.StatusCreated, reply.Status, string(reply.Body))
	toVera := func() int {
		n := 0
		for _, m := range s.Mail.Received() {
			if strings.Contains(strings.Join(m.To, ","), email) {
				n++
			}
		}
		return n
	}
	testenv.Eventually(t, 30*time.Second, "the reply reached the relay", func() bool { return toVera() == 1 })

	// A third conversation whose message is stored but not yet ticketed (its workflow never ran).
	_, err = s.Store.DB().Exec(`INSERT INTO conversations (id, account_id, channel_id, thread_key, thread_hash, workflow_id)
		SELECT 'cv_unticketed', account_id, id, 'vera-3', sha256('vera-3'::bytea), 'conv:unticketed' FROM channels WHERE id = $1`, mail)
	require.NoError(t, err)
	_, err = s.Store.DB().Exec(`INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, author, text, status, sent_at)
		SELECT 'msg_unticketed', account_id, id, 'cv_unticketed', 'vera-3', 'inbound', $2, 'A third parcel to Vaxholm', 'received', now()
		FROM channels WHERE id = $1`, mail, `{"email": "`+email+`", "name": "`+name+`"}`)
	require.NoError(t, err)
	// The mail ticket's customer answered its satisfaction survey with a comment: erased with the ticket.
	_, err = s.Store.DB().Exec(`INSERT INTO csat_surveys (ticket_id, account_id, channel_id, state, rating, comment, sent_at, answered_at)
		SELECT id, account_id, channel_id, 'answered', 2, 'The courier to Vaxholm never came', now(), now() FROM tickets WHERE id = $1`, mailTicket)
	require.NoError(t, err)
	graphBefore := len(s.Graph.Requests())

	r = s.Do(http.MethodPost, "/v1/contacts/"+contact+"/erase", token, map[string]any{"confirm": contact})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	var audit map[string]any
	testenv.Eventually(t, 60*time.Second, "the erasure completed", func() bool {
		audit = s.Do(http.MethodGet, "/v1/contacts/"+contact+"/erasure", token, nil).Map(t)
		return audit["state"] == "completed"
	})
	counts := audit["counts"].(map[string]any)
	require.EqualValues(t, 1, counts["chat_visitors"], "%v", counts)
	require.EqualValues(t, 3, counts["conversations"], "the chat's, the mail's and the unticketed one: %v", counts)
	var surveys int
	require.NoError(t, s.Store.DB().Get(&surveys, `SELECT count(*) FROM csat_surveys`))
	require.Zero(t, surveys, "the contact's survey answers are erased with their tickets")
	dump := pgDump(t, s)
	requireNothingPersonal(t, "the PostgreSQL dump", dump, []string{email, name, "Vaxholm", "vera-3"})
	require.Equal(t, 1, toVera(), "the erasure sent the contact nothing")
	require.Len(t, s.Graph.Requests(), graphBefore, "nor through Meta's Graph API")

	// The account's audit log has the erasure: who, what, how many; nothing personal.
	r = s.Do(http.MethodGet, "/v1/audit?action=erase", token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	requireNothingPersonal(t, "the audit log", r.Body, []string{email, name, "Vaxholm"})
	var log struct {
		Items []map[string]any `json:"items"`
	}
	r.JSON(t, &log)
	require.Len(t, log.Items, 1, string(r.Body))
	entry := log.Items[0]
	require.Equal(t, "completed", entry["state"])
	require.Equal(t, contact, entry["subject_id"])
	require.Equal(t, audit["id"], entry["ref"])
	require.True(t, strings.HasPrefix(entry["actor"].(string), "token:"), "an admin token asked: %v", entry["actor"])
	require.EqualValues(t, 3, entry["counts"].(map[string]any)["conversations"])
	r = s.Do(http.MethodGet, "/v1/audit?action=export", token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.JSONEq(t, `{"items": [], "next_cursor": null}`, string(r.Body))
	r = s.Do(http.MethodGet, "/v1/audit?since="+time.Now().Add(time.Hour).UTC().Format(time.RFC3339), token, nil)
	require.JSONEq(t, `{"items": [], "next_cursor": null}`, string(r.Body))
	for q, field := range map[string]string{"action=delete": "action", "since=yesterday": "since", "until=1": "until"} {
		r = s.Do(http.MethodGet, "/v1/audit?"+q, token, nil)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
		require.Contains(t, string(r.Body), field)
	}
}
