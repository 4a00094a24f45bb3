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

// TestPlanErasureStopsTheContactsPendingDeliveries: planning an erasure marks
// the contact's undelivered messages failed ("contact erased"), so no redrive
// hands them to a workflow the erasure has stopped (which brought the contact
// back), and tells until when an attempt already under way may still land;
// other contacts' pending deliveries stay pending, and a plan with nothing
// pending has no wait.
func TestPlanErasureStopsTheContactsPendingDeliveries(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	accept := func(thread, email string) string {
		a, err := st.AcceptInbound(ctx, store.Inbound{AccountID: acc.ID, ChannelID: ch.ID, ThreadKey: thread, ExternalID: thread,
			Author: domain.Author{Email: email, Name: "N"}, Text: "hello", SentAt: time.Now()}, testenv.ConversationIDs(t).ID)
		require.NoError(t, err)
		return a.MessageID
	}
	vera, other := accept("t:vera", "vera@erase.example"), accept("t:other", "other@erase.example")
	contact, err := st.UpsertContact(ctx, acc.ID, ch.ID, domain.Author{Email: "vera@erase.example", Name: "Vera"})
	require.NoError(t, err)

	planned := time.Now()
	p, err := st.PlanErasure(ctx, acc.ID, contact.ContactID, "er_1")
	require.NoError(t, err)
	require.Len(t, p.ConversationIDs, 1)
	require.WithinDuration(t, planned.Add(store.ErasureDeliveryGrace), p.DeliveriesSettleAt, 2*time.Second)

	failed, err := st.Deliveries(ctx, acc.ID, store.DeliveryFailed, store.Page{Limit: 10})
	require.NoError(t, err)
	require.Len(t, failed, 1)
	require.Equal(t, vera, failed[0].MessageID)
	require.Equal(t, "contact erased", failed[0].Reason)
	claimed, err := st.ClaimUndelivered(ctx, 0, time.Minute, 10)
	require.NoError(t, err)
	require.Len(t, claimed, 1, "the erased contact's message is never claimed")
	require.Equal(t, other, claimed[0].MessageID)

	again, err := st.PlanErasure(ctx, acc.ID, contact.ContactID, "er_1")
	require.NoError(t, err)
	require.True(t, again.DeliveriesSettleAt.IsZero(), "nothing was pending the second time: no wait")
}
