package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestNotesMentionAndNeverReachTheChannel: a note is stored on the ticket and its audit trail, never sent
// (the ticket's messages stay as they were and the only mail is the mention's); @email of a user mentions
// them: an available user is notified in the API only, one who is away is emailed too; a mention of
// a user id outside the account is a 422 naming mentions.
func TestNotesMentionAndNeverReachTheChannel(t *testing.T) {
	d := newDesk(t)
	author := d.user("ann@acme.test", nil)
	here := d.user("hal@acme.test", nil)
	away := d.user("bea@acme.test", map[string]any{"availability": "away"})
	token := func(u string) string {
		return d.s.Do(http.MethodPost, "/v1/users/"+u+"/tokens", d.token, nil).Map(t)["token"].(string)
	}
	annTok, halTok, beaTok := token(author), token(here), token(away)
	ch := d.channel(map[string]any{"assign_to": "none"})
	d.message(ch, "n", map[string]any{"email": "customer@x.test"})
	id := d.ticketOf(ch, "n", "unassigned")["id"].(string)
	messages := func() int {
		return len(d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/messages", d.token, nil).Map(t)["items"].([]any))
	}
	before := messages()

	r := d.s.Do(http.MethodPost, "/v1/tickets/"+id+"/notes", annTok, map[string]any{
		"body": "Refund approved? @bea@acme.test please check, cc @hal@acme.test and @nobody@else.test"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	note := r.Map(t)
	require.Equal(t, author, note["author_user_id"])
	require.ElementsMatch(t, []any{here, away}, note["mentions"])

	requireField(t, d.s.Do(http.MethodPost, "/v1/tickets/"+id+"/notes", annTok, map[string]any{"body": "x", "mentions": []string{"usr_elsewhere"}}),
		http.StatusUnprocessableEntity, "mentions")
	requireField(t, d.s.Do(http.MethodPost, "/v1/tickets/"+id+"/notes", annTok, map[string]any{"body": " "}), http.StatusUnprocessableEntity, "body")
	require.Equal(t, http.StatusNotFound, d.s.Do(http.MethodPost, "/v1/tickets/tkt_nope/notes", annTok, map[string]any{"body": "x"}).Status)

	notes := d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/notes", halTok, nil).Map(t)["items"].([]any)
	require.Len(t, notes, 1)
	require.Equal(t, note["id"], notes[0].(map[string]any)["id"])

	notifications := func(tok string) []any {
		r := d.s.Do(http.MethodGet, "/v1/notifications", tok, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		return r.Map(t)["items"].([]any)
	}
	require.Empty(t, notifications(annTok), "the author is not notified")
	hal := notifications(halTok)
	require.Len(t, hal, 1)
	require.Equal(t, "mention", hal[0].(map[string]any)["kind"])
	require.Equal(t, "none", hal[0].(map[string]any)["email"], "an available user is not emailed")
	testenv.Eventually(t, 20*time.Second, "the away user's mention email", func() bool {
		bea := notifications(beaTok)
		return len(bea) == 1 && bea[0].(map[string]any)["email"] == "sent"
	})
	mails := d.s.Mail.Received()
	require.Len(t, mails, 1, "only the mention email: the note went nowhere else")
	require.Equal(t, []string{"bea@acme.test"}, mails[0].To)
	require.True(t, strings.Contains(mails[0].Data, "mentioned you"), mails[0].Data)

	read := d.s.Do(http.MethodPost, "/v1/notifications/"+hal[0].(map[string]any)["id"].(string)+"/read", halTok, nil)
	require.Equal(t, http.StatusOK, read.Status, string(read.Body))
	require.NotNil(t, read.Map(t)["read_at"])
	require.Equal(t, http.StatusNotFound, d.s.Do(http.MethodPost, "/v1/notifications/"+hal[0].(map[string]any)["id"].(string)+"/read", beaTok, nil).Status)
	none := d.s.Do(http.MethodGet, "/v1/notifications", d.token, nil) // an account token bound to no user
	require.Equal(t, http.StatusOK, none.Status, string(none.Body))
	require.Empty(t, none.Map(t)["items"])

	time.Sleep(500 * time.Millisecond) // a send would have been stored by now
	require.Equal(t, before, messages(), "a note is never a message of the ticket")
	events := d.s.Do(http.MethodGet, "/v1/tickets/"+id+"/events", d.token, nil).Map(t)["items"].([]any)
	found := false
	for _, e := range events {
		if e.(map[string]any)["kind"] == "NoteAdded" {
			found = e.(map[string]any)["actor_user_id"] == author
		}
	}
	require.True(t, found, "the note is on the audit trail, by its author")
}
