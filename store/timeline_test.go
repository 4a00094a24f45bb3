package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/store"
)

// TestTimelineLooksUpRatherThanScans fills an account with 30,000 messages of other customers and checks
// that a contact's timeline reads them through indexes: a scan of every message would grow with the account.
func TestTimelineLooksUpRatherThanScans(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	db := st.DB()
	longID := strings.Repeat("𝄞", 1000) // 4,000 bytes: more than a btree row may hold
	_, err := db.Exec(`INSERT INTO contacts (id, account_id, email) VALUES ('ct_me', $1, 'me@example.com')`, acc.ID)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO contact_identities (account_id, kind, value, value_hash, contact_id)
		SELECT $1, kind, value, sha256(convert_to(value, 'UTF8')), 'ct_me'
		  FROM (VALUES ('email', 'me@example.com'), ('phone', '+14155550100'), ('channel_user', $2 || ':' || $3)) v (kind, value)`, acc.ID, ch.ID, longID)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO conversations (id, account_id, channel_id, thread_key, thread_hash, workflow_id)
		SELECT 'cv_' || i, $1, $2, 't' || i, sha256(convert_to('t' || i, 'UTF8')), 'wf' || i FROM generate_series(1, 3000) i`, acc.ID, ch.ID)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, author, status, sent_at)
		SELECT 'msg_' || i, $1, $2, 'cv_' || (i % 3000 + 1), 'x' || i, 'inbound',
		       jsonb_build_object('email', 'other' || i || '@example.com', 'phone', '+1415' || i, 'external_user_id', 'u' || i), 'received', now()
		  FROM generate_series(1, 30000) i`, acc.ID, ch.ID)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO contacts (id, account_id) SELECT 'ct_' || i, $1 FROM generate_series(1, 3000) i`, acc.ID)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO contact_identities (account_id, kind, value, value_hash, contact_id)
		SELECT $1, 'email', 'other' || i || '@example.com', sha256(convert_to('other' || i || '@example.com', 'UTF8')), 'ct_' || i
		  FROM generate_series(1, 3000) i`, acc.ID)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO tickets (id, account_id, conversation_id, channel_id, contact_id)
		SELECT 'tk_' || i, $1, 'cv_' || i, $2, 'ct_' || i FROM generate_series(1, 3000) i`, acc.ID, ch.ID)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, author, status, sent_at)
		VALUES ('msg_me', $1, $2, 'cv_1', 'mine', 'inbound', jsonb_build_object('external_user_id', $3::text), 'received', now())`, acc.ID, ch.ID, longID)
	require.NoError(t, err, "an author id longer than a btree row is indexed by its hash")
	_, err = db.Exec(`ANALYZE`)
	require.NoError(t, err)

	var plan []string
	require.NoError(t, db.Select(&plan, `EXPLAIN `+store.TimelineSQL, acc.ID, "ct_me", nil, "", 50))
	joined := strings.Join(plan, "\n")
	// (Joining the found messages to their tickets is the planner's choice of hash or index by their number.)
	for _, table := range []string{"messages", "contact_identities"} {
		require.NotContains(t, joined, "Seq Scan on "+table, joined)
	}
	require.Contains(t, joined, "tickets_contact", "the contact's tickets are found by index")
	items, err := st.Timeline(ctx, acc.ID, "ct_me", nil, 50)
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.Equal(t, "msg_me", items[0].ID, "found by the author's channel user id")
}
