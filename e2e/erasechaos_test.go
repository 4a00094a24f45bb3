package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestChaosEraseSurvivesSIGKILL (issue 30: "a SIGKILL in the middle of an erasure still ends fully
// erased"): a contact with 12 conversations (real workflows, keys) and 612 messages is erased;
// `routedesk dev` is killed with SIGKILL while the erasure's workflow runs one of its middle steps
// (stopping the workflows, shredding keys or deleting the rows) with the contact's rows still in
// PostgreSQL; after the restart the erasure completes, nothing of the contact remains (rows, keys,
// running workflows) and the audit log has the completed erasure.
func TestChaosEraseSurvivesSIGKILL(t *testing.T) {
	chaosOnly(t)
	start := time.Now()
	d := newDev(t)
	d.start()
	ch := d.chatChannel()
	const threads, perThread = 12, 50
	const email = "erin.erased@example.com"
	for i := range threads {
		r := d.do(http.MethodPost, "/v1/channels/"+ch+"/messages", map[string]any{
			"external_id": fmt.Sprintf("erin-%d", i), "thread_id": fmt.Sprintf("erin-thread-%d", i),
			"from": map[string]any{"email": email, "name": "Erin Erased"}, "text": "Erin's first message about Ystad",
		})
		require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	}
	testenv.Eventually(t, 60*time.Second, "a ticket per thread", func() bool { return len(d.tickets("channel_id="+ch+"&limit=100")) == threads })
	contact := d.tickets("channel_id=" + ch + "&limit=1")[0].(map[string]any)["contact_id"].(string)
	db, err := sql.Open("pgx", d.databaseURL())
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	count := func(q string, args ...any) int {
		var n int
		require.NoError(t, db.QueryRow(q, args...).Scan(&n))
		return n
	}
	require.Equal(t, threads, count(`SELECT count(DISTINCT contact_id) * count(*) FROM tickets WHERE channel_id = $1`, ch), "one contact's tickets")
	t.Logf("%d tickets %s after the start", threads, time.Since(start).Round(time.Millisecond))
	// Volume: the rest of each conversation's history, by SQL, delivered long ago (the redrive leaves it).
	_, err = db.Exec(`INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, author, text, status, sent_at, delivered_at)
		SELECT 'msg_erin_' || c.id || '_' || g, c.account_id, c.channel_id, c.id, 'erin-old-' || c.id || '-' || g, 'inbound',
			jsonb_build_object('email', $2::text, 'name', 'Erin Erased'), 'Erin writes again about Ystad, number ' || g, 'received', now() - make_interval(mins => g), now() - make_interval(mins => g)
		FROM conversations c CROSS JOIN generate_series(1, $3::int) g WHERE c.channel_id = $1`, ch, email, perThread)
	require.NoError(t, err)
	var convs []string
	rows, err := db.Query(`SELECT workflow_id FROM conversations WHERE channel_id = $1`, ch)
	require.NoError(t, err)
	for rows.Next() {
		var wf string
		require.NoError(t, rows.Scan(&wf))
		convs = append(convs, wf)
	}
	require.NoError(t, rows.Err())
	require.Len(t, convs, threads)
	messages := count(`SELECT count(*) FROM messages WHERE channel_id = $1`, ch)
	require.GreaterOrEqual(t, messages, threads*(perThread+1))
	t.Logf("seeded %d conversations, %d messages in %s", threads, messages, time.Since(start).Round(time.Millisecond))

	r := d.do(http.MethodPost, "/v1/contacts/"+contact+"/erase", map[string]any{"confirm": contact})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	wfID := r.Map(t)["workflow_id"].(string)
	tc := d.temporalClient()
	erasing := time.Now()
	var step string
	for step == "" {
		require.Less(t, time.Since(erasing), 30*time.Second, "the erasure's middle steps never seen running")
		require.Equal(t, "running", d.do(http.MethodGet, "/v1/contacts/"+contact+"/erasure", nil).Map(t)["state"], "the erasure ended before the kill: more volume needed")
		desc, err := tc.DescribeWorkflowExecution(context.Background(), wfID, "")
		require.NoError(t, err)
		for _, a := range desc.PendingActivities {
			switch n := a.ActivityType.GetName(); n {
			case "StopWorkflows", "ShredKeys", "DeleteContactData":
				if a.State == enumspb.PENDING_ACTIVITY_STATE_STARTED && count(`SELECT count(*) FROM messages WHERE channel_id = $1`, ch) > 0 {
					step = n
				}
			}
		}
		if step == "" {
			time.Sleep(10 * time.Millisecond)
		}
	}
	d.kill()
	killedAfter := time.Since(erasing)
	left := count(`SELECT count(*) FROM messages WHERE channel_id = $1`, ch)
	t.Logf("SIGKILL %s into the erasure, during %s; %d of %d messages left", killedAfter.Round(time.Millisecond), step, left, messages)
	require.Positive(t, left, "killed in the middle: the contact's rows were still there")

	d.start()
	restarted := time.Now()
	var erasure map[string]any
	testenv.Eventually(t, 60*time.Second, "the erasure completed after the restart", func() bool {
		erasure = d.do(http.MethodGet, "/v1/contacts/"+contact+"/erasure", nil).Map(t)
		return erasure["state"] == "completed"
	})
	t.Logf("completed %s after the restart", time.Since(restarted).Round(time.Millisecond))

	// Nothing of the contact remains.
	require.Equal(t, http.StatusNotFound, d.do(http.MethodGet, "/v1/contacts/"+contact, nil).Status)
	for what, q := range map[string]string{
		"messages":      `SELECT count(*) FROM messages WHERE channel_id = $1`,
		"conversations": `SELECT count(*) FROM conversations WHERE channel_id = $1`,
		"tickets":       `SELECT count(*) FROM tickets WHERE channel_id = $1`,
	} {
		require.Zero(t, count(q, ch), what)
	}
	require.Zero(t, count(`SELECT count(*) FROM contacts WHERE id = $1 OR email = $2`, contact, email))
	require.Zero(t, count(`SELECT count(*) FROM contact_identities WHERE contact_id = $1 OR value = $2`, contact, email))
	require.Zero(t, count(`SELECT count(*) FROM messages WHERE text LIKE '%Ystad%' OR author::text LIKE '%erin.erased%'`))
	require.Zero(t, count(`SELECT count(*) FROM privacy_keys WHERE workflow_id = ANY($1) AND erased_at IS NULL`, convs), "every conversation's key erased")
	require.Positive(t, count(`SELECT count(*) FROM privacy_keys WHERE workflow_id = ANY($1)`, convs))
	for _, wf := range convs {
		desc, err := tc.DescribeWorkflowExecution(context.Background(), wf, "")
		if err == nil {
			require.NotEqual(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.WorkflowExecutionInfo.Status, "%s still runs", wf)
		}
	}
	counts := erasure["counts"].(map[string]any)
	require.EqualValues(t, messages, counts["messages"], "%v", counts)
	require.EqualValues(t, threads, counts["conversations"], "%v", counts)

	// The audit log has the completed erasure, and nothing personal.
	r = d.do(http.MethodGet, "/v1/audit?action=erase", nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.False(t, strings.Contains(string(r.Body), email) || strings.Contains(string(r.Body), "Ystad"), string(r.Body))
	var entry map[string]any
	for _, it := range r.Map(t)["items"].([]any) {
		if e := it.(map[string]any); e["subject_id"] == contact {
			entry = e
		}
	}
	require.NotNil(t, entry, "the erasure on the audit log: %s", r.Body)
	require.Equal(t, "completed", entry["state"])
	require.Equal(t, erasure["id"], entry["ref"])
	require.EqualValues(t, messages, entry["counts"].(map[string]any)["messages"])
	t.Logf("whole test %s", time.Since(start).Round(time.Millisecond))
}
