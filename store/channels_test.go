package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
)

// TestChannelHistoryIsNeverCascaded: no statement that removes a channel row
// takes its conversations, tickets or messages along (migration 00007), and
// DeleteChannel disconnects a channel with history instead; an account's own
// removal still takes everything.
func TestChannelHistoryIsNeverCascaded(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	in, err := st.AcceptInbound(ctx, store.Inbound{AccountID: acc.ID, ChannelID: ch.ID, ThreadKey: "t:1", ExternalID: "m1",
		Text: "hi", SentAt: time.Now()}, testenv.ConversationIDs(t).ID)
	require.NoError(t, err)
	_, _, err = st.CreateTicket(ctx, store.NewTicket{AccountID: acc.ID, ConversationID: in.ConversationID, ChannelID: ch.ID, Status: "new"})
	require.NoError(t, err)

	_, err = st.DB().Exec(`DELETE FROM channels WHERE id = $1`, ch.ID)
	require.Error(t, err, "the foreign keys keep a channel with history from being removed")

	removed, err := st.DeleteChannel(ctx, acc.ID, ch.ID)
	require.NoError(t, err)
	require.False(t, removed)
	got, err := st.Channel(ctx, acc.ID, ch.ID)
	require.NoError(t, err)
	require.Equal(t, domain.ChannelDisconnected, got.Status)
	require.NotNil(t, got.DisconnectedAt)
	_, err = st.ConnectedChannel(ctx, acc.ID, ch.ID)
	require.ErrorIs(t, err, domain.ErrChannelDisconnected)

	empty, err := st.CreateChannel(ctx, acc.ID, store.ChannelWrite{Type: "chat", Name: "Empty", Redacted: []byte(`{}`), Full: []byte(`{}`)})
	require.NoError(t, err)
	removed, err = st.DeleteChannel(ctx, acc.ID, empty.ID)
	require.NoError(t, err)
	require.True(t, removed)
	_, err = st.Channel(ctx, acc.ID, empty.ID)
	require.ErrorIs(t, err, domain.ErrNotFound)

	// A message for the removed channel that was looked up just before the removal is a refusal, not a foreign-key error.
	_, err = st.AcceptInbound(ctx, store.Inbound{AccountID: acc.ID, ChannelID: empty.ID, ThreadKey: "t:late", ExternalID: "late",
		Text: "hi", SentAt: time.Now()}, testenv.ConversationIDs(t).ID)
	require.ErrorIs(t, err, domain.ErrChannelDisconnected)

	_, err = st.DB().Exec(`DELETE FROM accounts WHERE id = $1`, acc.ID)
	require.NoError(t, err, "removing an account still removes all of it")
	var left int
	require.NoError(t, st.DB().Get(&left, `SELECT (SELECT count(*) FROM tickets) + (SELECT count(*) FROM messages) + (SELECT count(*) FROM conversations)`))
	require.Zero(t, left)
}
