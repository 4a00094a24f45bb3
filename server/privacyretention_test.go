package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/privacy"
	"github.com/routedesk/routedesk/workflows"
)

// Issue 30: retention over 10,000 conversations closed 100 days ago (seeded by SQL) deletes them
// all in batches across continue-as-new, within a bounded time, keeps recent and open ones, reports
// the run (last run, audit log); a second run deletes nothing; the Schedule is created idempotently.
func TestRetentionDeletesExpiredConversationsInBoundedTime(t *testing.T) {
	s := testenv.NewStack(t)
	account, token := s.Account("Acme", "professional")
	ch := createChannel(t, s, token, map[string]any{"type": "custom", "name": "App", "config": map[string]any{"app_name": "App"}})
	db := s.Store.DB()
	seed := func(prefix string, n int, status, age string) {
		_, err := db.Exec(`INSERT INTO conversations (id, account_id, channel_id, thread_key, thread_hash, workflow_id)
			SELECT 'cv_'||$3||g, $1, $2, $3||g, sha256(($3||g)::bytea), 'conv:'||$3||g FROM generate_series(1, $4::int) g`, account, ch, prefix, n)
		require.NoError(t, err)
		_, err = db.Exec(`INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, author, text, status, sent_at)
			SELECT 'msg_'||$3||g, $1, $2, 'cv_'||$3||g, $3||g, 'inbound', '{}', 'kept for a while '||g, 'received', now() - $5::interval
			FROM generate_series(1, $4::int) g`, account, ch, prefix, n, age)
		require.NoError(t, err)
		_, err = db.Exec(`INSERT INTO tickets (id, account_id, conversation_id, channel_id, subject, status, created_at, updated_at)
			SELECT 'tk_'||$3||g, $1, 'cv_'||$3||g, $2, 'old', $5, now() - $6::interval, now() - $6::interval
			FROM generate_series(1, $4::int) g`, account, ch, prefix, n, status, age)
		require.NoError(t, err)
	}
	seed("old", 10000, "closed", "100 days")
	seed("recent", 20, "closed", "1 day")
	seed("open", 5, "open", "100 days")

	r := s.Do(http.MethodPut, "/v1/retention", token, map[string]any{"days": 0})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), "days")
	r = s.Do(http.MethodPut, "/v1/retention", token, map[string]any{"days": 30})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Nil(t, r.Map(t)["last_run"])

	run := func(id string) time.Duration {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		start := time.Now()
		wr, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: workflows.DefaultTaskQueue},
			privacy.RetentionWorkflowName, privacy.RetentionInput{})
		require.NoError(t, err)
		require.NoError(t, wr.Get(ctx, nil), "the run completes within 5 minutes")
		return time.Since(start)
	}
	took := run("retention-test-1")
	t.Logf("retention of 10,000 conversations took %s", took)
	count := func(q string) int {
		var n int
		require.NoError(t, db.Get(&n, q))
		return n
	}
	require.Zero(t, count(`SELECT count(*) FROM conversations WHERE id LIKE 'cv_old%'`))
	require.Zero(t, count(`SELECT count(*) FROM messages WHERE id LIKE 'msg_old%'`))
	require.Zero(t, count(`SELECT count(*) FROM tickets WHERE id LIKE 'tk_old%'`))
	require.Equal(t, 25, count(`SELECT count(*) FROM conversations`), "recent and open conversations stay")
	r = s.Do(http.MethodGet, "/v1/retention", token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	last := r.Map(t)["last_run"].(map[string]any)
	require.Equal(t, "completed", last["state"])
	require.EqualValues(t, 10000, last["counts"].(map[string]any)["conversations"])
	r = s.Do(http.MethodGet, "/v1/audit?action=retention", token, nil)
	require.Contains(t, string(r.Body), `"conversations":10000`)
	require.Contains(t, string(r.Body), `"actor":"system"`)

	run("retention-test-2")
	require.Equal(t, 25, count(`SELECT count(*) FROM conversations`), "a second run deletes nothing")
	last = s.Do(http.MethodGet, "/v1/retention", token, nil).Map(t)["last_run"].(map[string]any)
	require.EqualValues(t, 0, last["counts"].(map[string]any)["conversations"])

	// The schedule: created once, a second start leaves it.
	ctx := context.Background()
	require.NoError(t, privacy.EnsureRetentionSchedule(ctx, s.Temporal, workflows.DefaultTaskQueue))
	require.NoError(t, privacy.EnsureRetentionSchedule(ctx, s.Temporal, workflows.DefaultTaskQueue))
	h := s.Temporal.ScheduleClient().GetHandle(ctx, privacy.RetentionScheduleID)
	desc, err := h.Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, privacy.RetentionWorkflowName, desc.Schedule.Action.(*client.ScheduleWorkflowAction).Workflow)
	require.NoError(t, h.Delete(ctx))
}

// TestRetentionPolicyRemoved: DELETE /v1/retention removes a channel's own policy (?channel_id=) or
// the account's default; one that does not exist is 404, an unknown parameter 422, an agent 403, and
// with no policy left a run by hand is refused (409).
func TestRetentionPolicyRemoved(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "professional")
	ch := createChannel(t, s, token, map[string]any{"type": "custom", "name": "App", "config": map[string]any{"app_name": "App"}})
	require.Equal(t, http.StatusOK, s.Do(http.MethodPut, "/v1/retention", token, map[string]any{"days": 30}).Status)
	require.Equal(t, http.StatusOK, s.Do(http.MethodPut, "/v1/retention", token, map[string]any{"days": 7, "channel_id": ch, "action": "anonymise"}).Status)

	agent := agentToken(t, s, token, "agent@acme.test")
	require.Equal(t, http.StatusForbidden, s.Do(http.MethodDelete, "/v1/retention?channel_id="+ch, agent, nil).Status)
	r := s.Do(http.MethodDelete, "/v1/retention?channel="+ch, token, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), `"channel"`)

	r = s.Do(http.MethodDelete, "/v1/retention?channel_id="+ch, token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, []any{map[string]any{"channel_id": "", "days": 30.0, "action": "delete"}}, r.Map(t)["policies"])
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodDelete, "/v1/retention?channel_id="+ch, token, nil).Status)

	r = s.Do(http.MethodDelete, "/v1/retention", token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Empty(t, r.Map(t)["policies"])
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodDelete, "/v1/retention", token, nil).Status)
	require.Equal(t, http.StatusConflict, s.Do(http.MethodPost, "/v1/retention/run", token, nil).Status)
}

// TestRetentionReachesTicketsWithoutConversation: a ticket created without a channel, closed longer
// ago than the account default allows, is anonymised by an anonymise policy (once: a second run takes
// nothing) and deleted by a delete policy; a recent one and an open one stay; the run counts them apart.
func TestRetentionReachesTicketsWithoutConversation(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("Acme", "professional")
	db := s.Store.DB()
	create := func(subject string) string {
		r := s.Do(http.MethodPost, "/v1/tickets", token, map[string]any{"subject": subject, "description": "Customer Ingrid Bergman, order Visby 31",
			"contact": map[string]any{"email": "ingrid@bergman.example", "name": "Ingrid Bergman"}, "channel_id": nil, "source": "integration",
			"properties": map[string]any{"order": "Visby 31"}})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
		return r.Map(t)["id"].(string)
	}
	old, recent, open := create("Visby refund"), create("Visby recent"), create("Visby open")
	r := s.Do(http.MethodPost, "/v1/tickets/"+old+"/notes", token, map[string]any{"body": "Ingrid called about Visby"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	_, err := db.Exec(`UPDATE tickets SET status = 'closed', updated_at = now() - interval '100 days' WHERE id = $1`, old)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE tickets SET status = 'closed', updated_at = now() - interval '1 day' WHERE id = $1`, recent)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE tickets SET updated_at = now() - interval '100 days' WHERE id = $1`, open)
	require.NoError(t, err)

	run := func() map[string]any {
		r := s.Do(http.MethodPost, "/v1/retention/run", token, nil)
		require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		require.NoError(t, s.Temporal.GetWorkflow(ctx, r.Map(t)["workflow_id"].(string), r.Map(t)["run_id"].(string)).Get(ctx, nil))
		last := s.Do(http.MethodGet, "/v1/retention", token, nil).Map(t)["last_run"].(map[string]any)
		require.Equal(t, "completed", last["state"])
		return last["counts"].(map[string]any)
	}
	require.Equal(t, http.StatusOK, s.Do(http.MethodPut, "/v1/retention", token, map[string]any{"days": 30, "action": "anonymise"}).Status)
	counts := run()
	require.EqualValues(t, 1, counts["tickets_anonymised"], "%v", counts)
	require.EqualValues(t, 0, counts["anonymised"], "%v", counts)
	var subject, description string
	var contact *string
	require.NoError(t, db.QueryRow(`SELECT subject, description, contact_id FROM tickets WHERE id = $1`, old).Scan(&subject, &description, &contact))
	require.Equal(t, "[anonymised]", subject)
	require.Equal(t, "[anonymised]", description)
	require.Nil(t, contact)
	for _, table := range []string{"tickets", "ticket_notes", "ticket_events"} {
		var dump string
		require.NoError(t, db.Get(&dump, `SELECT COALESCE(string_agg(x::text, ' '), '') FROM `+table+` x WHERE x.`+
			map[string]string{"tickets": "id", "ticket_notes": "ticket_id", "ticket_events": "ticket_id"}[table]+` = $1`, old))
		requireNothingPersonal(t, table, []byte(dump), []string{"Ingrid", "Visby", "bergman"})
	}
	var kept int
	require.NoError(t, db.Get(&kept, `SELECT count(*) FROM tickets WHERE id = ANY($1) AND subject LIKE 'Visby%'`, []string{recent, open}))
	require.Equal(t, 2, kept, "the recent and the open ticket stay as they are")
	require.EqualValues(t, 0, run()["tickets_anonymised"], "a second run takes nothing")

	require.Equal(t, http.StatusOK, s.Do(http.MethodPut, "/v1/retention", token, map[string]any{"days": 30, "action": "delete"}).Status)
	counts = run()
	require.EqualValues(t, 1, counts["tickets"], "%v", counts)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, "/v1/tickets/"+old, token, nil).Status)
	require.Equal(t, http.StatusOK, s.Do(http.MethodGet, "/v1/tickets/"+recent, token, nil).Status)
}
