package server_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/routedesk/routedesk/internal/testenv"
)

// Issue 30: a retention policy with action anonymise keeps an expired conversation's ticket and
// its figures (status, times, channel, assignee, measures) but erases its content: texts, subjects,
// attachments, email addresses and headers, notes, the contact link and the thread key; the
// conversation's workflow is stopped and deleted and its key erased. Run by POST /v1/retention/run,
// reported as last_run and on the audit log; a second run takes nothing; an unknown action is a 422.
func TestRetentionAnonymisesKeepingTicketFigures(t *testing.T) {
	s := testenv.NewStack(t)
	account, token := s.Account("Acme", "professional")
	host, port, err := net.SplitHostPort(s.Mail.Addr)
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	mail := createChannel(t, s, token, map[string]any{"type": "email", "name": "Support", "config": map[string]any{
		"address": "support@acme.test", "smtp": map[string]any{"host": host, "port": p, "tls": "none"}}})
	const email, name = "olle.old@privacy.example", "Olle Oldcase"
	raw := rawDo(t, http.MethodPost, s.HTTP.URL+"/v1/channels/"+mail+"/email",
		map[string]string{"Authorization": "Bearer " + token, "Content-Type": "message/rfc822"}, strings.ReplaceAll(`From: Olle Oldcase <`+email+`>
To: support@acme.test
Subject: Refund for Kalmar order
Message-ID: <olle-1@privacy.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain

Please refund my Kalmar order.
--b1
Content-Type: text/plain; name="receipt.txt"
Content-Disposition: attachment; filename="receipt.txt"

Receipt Kalmar 991
--b1--
`, "\n", "\r\n"))
	require.Equal(t, http.StatusAccepted, raw.Status, string(raw.Body))
	db := s.Store.DB()
	var ticket, conv, wf string
	testenv.Eventually(t, 30*time.Second, "the mail ticketed", func() bool {
		return db.QueryRow(`SELECT t.id, t.conversation_id, c.workflow_id FROM tickets t JOIN conversations c ON c.id = t.conversation_id`).
			Scan(&ticket, &conv, &wf) == nil
	})
	r := s.Do(http.MethodPost, "/v1/tickets/"+ticket+"/replies", token, map[string]any{"text": "Kalmar refund sent."})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	testenv.Eventually(t, 30*time.Second, "the reply reached the relay", func() bool { return len(s.Mail.Received()) == 1 })
	r = s.Do(http.MethodPost, "/v1/tickets/"+ticket+"/notes", token, map[string]any{"body": "Olle called about Kalmar"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	// A custom property recorded on the timeline (TicketEdited keeps the old and new values).
	r = s.Do(http.MethodPatch, "/v1/tickets/"+ticket, token, map[string]any{"properties": map[string]any{"order": "Kalmar 991"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	testenv.Eventually(t, 10*time.Second, "the edit on the timeline", func() bool {
		var n int
		_ = db.Get(&n, `SELECT count(*) FROM ticket_events WHERE ticket_id = $1 AND kind = 'TicketEdited' AND data::text LIKE '%Kalmar%'`, ticket)
		return n == 1
	})
	count := func(q string, args ...any) int {
		var n int
		require.NoError(t, db.Get(&n, q, args...))
		return n
	}
	require.Equal(t, 1, count(`SELECT count(*) FROM message_attachments`))
	// Closed 100 days ago, with a measure to keep.
	_, err = db.Exec(`UPDATE tickets SET status = 'closed', updated_at = now() - interval '100 days' WHERE id = $1`, ticket)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO ticket_measures (ticket_id, kind, seconds) VALUES ($1, 'resolution', 4242) ON CONFLICT DO NOTHING`, ticket)
	require.NoError(t, err)
	type figures struct {
		Status    string    `db:"status"`
		Channel   string    `db:"channel_id"`
		Created   time.Time `db:"created_at"`
		Updated   time.Time `db:"updated_at"`
		Priority  string    `db:"priority"`
		Messages  int       `db:"messages"`
		Measures  int       `db:"measures"`
		Outbound  int       `db:"outbound"`
		Timeline  int       `db:"timeline"`
		Assignee  *string   `db:"assignee_user_id"`
		TeamOwner *string   `db:"assignee_team_id"`
	}
	figuresQ := `SELECT status, channel_id, created_at, updated_at, priority, assignee_user_id, assignee_team_id,
		(SELECT count(*) FROM messages WHERE conversation_id = t.conversation_id) AS messages,
		(SELECT count(*) FROM messages WHERE conversation_id = t.conversation_id AND direction = 'outbound') AS outbound,
		(SELECT count(*) FROM ticket_measures WHERE ticket_id = t.id) AS measures,
		(SELECT count(*) FROM ticket_events WHERE ticket_id = t.id) AS timeline
		FROM tickets t WHERE id = $1`
	var before figures
	require.NoError(t, db.Get(&before, figuresQ, ticket))
	require.Equal(t, 2, before.Messages)

	for _, a := range []string{"shred", "Anonymise", "keep"} {
		r = s.Do(http.MethodPut, "/v1/retention", token, map[string]any{"days": 30, "action": a})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
		require.Contains(t, string(r.Body), `"action"`)
	}
	r = s.Do(http.MethodPost, "/v1/retention/run", token, nil)
	require.Equal(t, http.StatusConflict, r.Status, "no policy yet: %s", r.Body)
	r = s.Do(http.MethodPut, "/v1/retention", token, map[string]any{"days": 30, "action": "anonymise"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), `"action":"anonymise"`)

	run := func() map[string]any {
		r := s.Do(http.MethodPost, "/v1/retention/run", token, nil)
		require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
		runID := r.Map(t)["run_id"].(string)
		require.NotEmpty(t, runID)
		var last map[string]any
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// The run's workflow has ended (a POST before that answers this run, not a new one).
		require.NoError(t, s.Temporal.GetWorkflow(ctx, r.Map(t)["workflow_id"].(string), runID).Get(ctx, nil))
		require.Equal(t, "retention-run:"+account, r.Map(t)["workflow_id"])
		last, _ = s.Do(http.MethodGet, "/v1/retention", token, nil).Map(t)["last_run"].(map[string]any)
		require.Equal(t, runID, last["run_id"])
		require.Equal(t, "completed", last["state"])
		return last["counts"].(map[string]any)
	}
	counts := run()
	require.EqualValues(t, 1, counts["anonymised"], "%v", counts)
	require.EqualValues(t, 0, counts["conversations"], "nothing deleted: %v", counts)

	// The ticket and its figures stay.
	var after figures
	require.NoError(t, db.Get(&after, figuresQ, ticket))
	require.Equal(t, before, after)
	// Its content and the contact's traces go.
	var subject, description, threadKey string
	var contact *string
	require.NoError(t, db.QueryRow(`SELECT t.subject, t.description, t.contact_id, c.thread_key FROM tickets t
		JOIN conversations c ON c.id = t.conversation_id WHERE t.id = $1`, ticket).Scan(&subject, &description, &contact, &threadKey))
	require.Equal(t, "[anonymised]", subject)
	require.Nil(t, contact, "the ticket no longer names its contact")
	require.Equal(t, "anonymised:"+conv, threadKey)
	require.Zero(t, count(`SELECT count(*) FROM messages WHERE conversation_id = $1 AND (text <> '[anonymised]' OR html <> '' OR author::text LIKE '%@%')`, conv))
	require.Zero(t, count(`SELECT count(*) FROM message_attachments`))
	require.Zero(t, count(`SELECT count(*) FROM email_messages WHERE quoted_text <> '' OR mail_from <> '' OR header_from <> '{}' OR to_addrs <> '[]'`))
	require.Equal(t, 1, count(`SELECT count(*) FROM ticket_notes WHERE body = '[anonymised]'`))
	for _, table := range []string{"messages", "tickets", "conversations", "message_attachments", "email_messages", "ticket_notes", "email_reply_recipients", "ticket_events"} {
		var dump string
		require.NoError(t, db.Get(&dump, `SELECT COALESCE(string_agg(x::text, ' '), '') FROM `+table+` x`))
		requireNothingPersonal(t, table, []byte(dump), []string{email, "Kalmar", "Olle"})
	}
	// The workflow's key is erased (its history in Temporal can no longer be decoded), the workflow is gone.
	require.Zero(t, count(`SELECT count(*) FROM privacy_keys WHERE workflow_id = $1 AND erased_at IS NULL`, wf))
	require.Positive(t, count(`SELECT count(*) FROM privacy_keys WHERE workflow_id = $1 AND erased_at IS NOT NULL`, wf))
	// Terminated (nothing of it runs on), its deletion from Temporal is asynchronous.
	d, err := s.Temporal.DescribeWorkflowExecution(context.Background(), wf, "")
	var notFound *serviceerror.NotFound
	if !errors.As(err, &notFound) {
		require.NoError(t, err)
		require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, d.WorkflowExecutionInfo.Status)
	}

	r = s.Do(http.MethodGet, "/v1/audit?action=retention", token, nil)
	require.Contains(t, string(r.Body), `"anonymised":1`)
	require.Contains(t, string(r.Body), `"actor":"system"`)
	requireNothingPersonal(t, "the audit log", r.Body, []string{email, "Kalmar"})

	counts = run()
	require.EqualValues(t, 0, counts["anonymised"], "a second run takes nothing: %v", counts)
	var still figures
	require.NoError(t, db.Get(&still, figuresQ, ticket))
	require.Equal(t, before, still)

	// A delete policy set later deletes the anonymised conversation.
	r = s.Do(http.MethodPut, "/v1/retention", token, map[string]any{"days": 30, "action": "delete"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	counts = run()
	require.EqualValues(t, 1, counts["conversations"], "%v", counts)
	require.Zero(t, count(`SELECT count(*) FROM tickets`))
}
