package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/workflows"
)

func TestClaimUndeliveredLeasesBacksOffAndFails(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		a, err := st.AcceptInbound(ctx, store.Inbound{AccountID: acc.ID, ChannelID: ch.ID, ThreadKey: fmt.Sprintf("t:%d", i),
			ExternalID: fmt.Sprint(i), Text: "x", SentAt: time.Now()}, testenv.ConversationIDs(t).ID)
		require.NoError(t, err)
		ids = append(ids, a.MessageID)
	}

	first, err := st.ClaimUndelivered(ctx, 0, time.Minute, 2)
	require.NoError(t, err)
	require.Len(t, first, 2)
	require.Equal(t, ids[:2], []string{first[0].MessageID, first[1].MessageID}, "oldest first")
	require.Equal(t, 1, first[0].Attempts)
	require.Equal(t, "t:0", first[0].ThreadKey)
	second, err := st.ClaimUndelivered(ctx, 0, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, second, 1, "leased messages are not claimed again")
	require.Equal(t, ids[2], second[0].MessageID)

	// A retry in the past is due again, with its attempts counted; a refunded one is not counted.
	require.NoError(t, st.RetryDeliveryAt(ctx, ids[0], "boom", time.Now().Add(-time.Second), false))
	require.NoError(t, st.RetryDeliveryAt(ctx, ids[1], "down", time.Now().Add(-time.Second), true))
	again, err := st.ClaimUndelivered(ctx, 0, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, again, 2)
	require.Equal(t, 2, again[0].Attempts)
	require.Equal(t, 1, again[1].Attempts)

	// Failed messages are listed with their reason and never claimed; a requeue resets them.
	require.NoError(t, st.FailDelivery(ctx, ids[0], "refused"))
	failed, err := st.Deliveries(ctx, acc.ID, store.DeliveryFailed, store.Page{Limit: 10})
	require.NoError(t, err)
	require.Len(t, failed, 1)
	require.Equal(t, "refused", failed[0].Reason)
	require.Equal(t, ch.ID, failed[0].ChannelID)
	require.Equal(t, "chat", failed[0].ChannelType)
	require.Equal(t, 2, failed[0].Attempts)
	pending, err := st.Deliveries(ctx, acc.ID, store.DeliveryPending, store.Page{Limit: 10})
	require.NoError(t, err)
	require.Len(t, pending, 2)
	n, err := st.PendingDeliveries(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)

	d, err := st.RequeueDelivery(ctx, acc.ID, ids[0])
	require.NoError(t, err)
	require.Equal(t, store.DeliveryPending, d.State)
	require.Zero(t, d.Attempts)
	require.NoError(t, st.MarkDelivered(ctx, ids[0]))
	_, err = st.RequeueDelivery(ctx, acc.ID, ids[0])
	require.ErrorIs(t, err, domain.ErrConflict)
	_, err = st.RequeueDelivery(ctx, "acc_other", ids[1])
	require.ErrorIs(t, err, domain.ErrNotFound)
}

func TestLegacyWorkflowIDIsReplacedOnlyWhenTemporalCannotTakeIt(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	legacy := func(channelID, key string) string { return "conv:" + channelID + ":" + key } // ids before the encoding
	in := store.Inbound{AccountID: acc.ID, ChannelID: ch.ID, ThreadKey: "t:café", ExternalID: "1", Text: "x", SentAt: time.Now()}
	a, err := st.AcceptInbound(ctx, in, legacy)
	require.NoError(t, err)
	require.False(t, workflows.ValidWorkflowID(a.WorkflowID))

	in.ExternalID = "2"
	b, err := st.AcceptInbound(ctx, in, testenv.ConversationIDs(t).ID)
	require.NoError(t, err)
	require.Equal(t, a.ConversationID, b.ConversationID)
	require.Equal(t, testenv.ConversationIDs(t).ID(ch.ID, "t:café"), b.WorkflowID, "a stored id Temporal refuses is replaced")

	// A valid stored id is kept even when the function would now give another.
	in = store.Inbound{AccountID: acc.ID, ChannelID: ch.ID, ThreadKey: "t:100%", ExternalID: "3", Text: "x", SentAt: time.Now()}
	c, err := st.AcceptInbound(ctx, in, legacy)
	require.NoError(t, err)
	in.ExternalID = "4"
	d, err := st.AcceptInbound(ctx, in, testenv.ConversationIDs(t).ID)
	require.NoError(t, err)
	require.Equal(t, "conv:"+ch.ID+":t:100%", c.WorkflowID)
	require.Equal(t, c.WorkflowID, d.WorkflowID, "an existing conversation keeps its stored workflow id")

	id, err := st.RepairWorkflowID(ctx, c.ConversationID, "not-the-stored-one", "x")
	require.NoError(t, err)
	require.Equal(t, c.WorkflowID, id)
}

func TestLongThreadKeysOfWideCharactersShareAConversation(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	key := "t:" + strings.Repeat("𝄞", 1000) // 4,000 bytes: more than a btree index row may hold
	in := store.Inbound{AccountID: acc.ID, ChannelID: ch.ID, ThreadKey: key, ExternalID: "1", Text: "x", SentAt: time.Now()}
	a, err := st.AcceptInbound(ctx, in, testenv.ConversationIDs(t).ID)
	require.NoError(t, err)
	in.ExternalID = "2"
	b, err := st.AcceptInbound(ctx, in, testenv.ConversationIDs(t).ID)
	require.NoError(t, err)
	require.Equal(t, a.ConversationID, b.ConversationID, "the same thread key is the same conversation")
	in.ThreadKey, in.ExternalID = key+"x", "3"
	c, err := st.AcceptInbound(ctx, in, testenv.ConversationIDs(t).ID)
	require.NoError(t, err)
	require.NotEqual(t, a.ConversationID, c.ConversationID, "another thread key is another conversation")
}
