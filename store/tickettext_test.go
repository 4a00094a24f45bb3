package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/searchdata"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
)

// TestTicketTextVectorFollowsMessages checks that a ticket's text vector (what q searches)
// follows its conversation: messages stored before the ticket, after it, edited, deleted;
// a phrase never spans two messages; a thread past the indexed size stops growing.
func TestTicketTextVectorFollowsMessages(t *testing.T) {
	st := testenv.Store(t)
	ctx := context.Background()
	db := st.DB()
	a, err := searchdata.Generate(ctx, db, searchdata.Spec{Tag: "tv", Contacts: 1, Users: 1, Teams: 1})
	require.NoError(t, err)
	msg := func(id, text string) {
		db.MustExec(`INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, status, sent_at, text)
		             VALUES ($1, $2, $3, 'cnv_tv_x', $1, 'inbound', 'received', now(), $4)`, id, a.ID, a.ChannelID, text)
	}
	found := func(q string) bool {
		t.Helper()
		ts, err := st.SearchTickets(ctx, a.ID, store.TicketQuery{Text: q}, nil, 10)
		require.NoError(t, err)
		return len(ts) == 1
	}
	db.MustExec(`INSERT INTO conversations (id, account_id, channel_id, thread_key, workflow_id, thread_hash)
	             VALUES ('cnv_tv_x', $1, $2, 'x', 'x', decode(md5('x'), 'hex'))`, a.ID, a.ChannelID)
	msg("m1", "my toaster smokes")
	db.MustExec(`INSERT INTO tickets (id, account_id, conversation_id, channel_id, subject) VALUES ('tkt_tv_x', $1, 'cnv_tv_x', $2, 'Kitchen')`, a.ID, a.ChannelID)
	require.True(t, found("toaster"), "a message stored before its ticket")
	msg("m2", "burnt bread everywhere")
	require.True(t, found("everywhere"), "a message stored after its ticket")
	require.True(t, found("kitchen toaster bread"), "subject and messages make one text")
	require.True(t, found(`"burnt bread"`))
	require.False(t, found(`"smokes burnt"`), "a phrase does not span two messages")
	require.False(t, found(`"kitchen my"`), "nor the subject and a message")

	db.MustExec(`UPDATE messages SET text = 'my kettle leaks' WHERE id = 'm1'`)
	require.False(t, found("toaster"), "an edited message's old words")
	require.True(t, found("kettle"))
	db.MustExec(`DELETE FROM messages WHERE id = 'm2'`)
	require.False(t, found("bread"), "a deleted message's words")
	require.True(t, found("kettle"))

	// A thread past 800,000 indexed bytes stops growing instead of failing the insert.
	big := strings.Repeat("lorem ipsum dolor sit amet ", 3700) // 99,900 bytes
	for i := range 9 {
		msg("big"+string(rune('a'+i)), big)
	}
	msg("late", big+"unfindable sentinel")
	require.False(t, found("sentinel"), "text past the cap is not indexed")
	var bytes int
	require.NoError(t, db.GetContext(ctx, &bytes, `SELECT text_vector_bytes FROM tickets WHERE id = 'tkt_tv_x'`))
	require.LessOrEqual(t, bytes, 800000)

	// Deleting the account cascades through conversations, tickets and messages.
	db.MustExec(`DELETE FROM accounts WHERE id = $1`, a.ID)
}

// TestTicketSearchPlansEachQuery checks that searches run as unnamed statements: a named
// (cached) one would switch to a generic plan after five runs, planning a rare word as if
// it were common (walking every ticket) or the reverse.
func TestTicketSearchPlansEachQuery(t *testing.T) {
	f := newSearchFixture(t, "")
	db := f.st.DB()
	db.SetMaxOpenConns(1) // one session, whose prepared statements the check below sees
	for range 8 {
		_, err := f.st.SearchTickets(context.Background(), f.acc, store.TicketQuery{Text: "lamp"}, nil, 10)
		require.NoError(t, err)
		_, err = f.st.CountTicketQueries(context.Background(), f.acc, []store.TicketQuery{{Text: "lamp"}})
		require.NoError(t, err)
	}
	var named int
	require.NoError(t, db.Get(&named, `SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%text_vector @@%' AND statement NOT LIKE '%pg_prepared_statements%'`))
	require.Zero(t, named, "a search is a cached prepared statement")
}
