package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
)

func TestThreadByMessageIDsBoundsAndSkipsUnstorableIDs(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	_, err := st.AcceptInbound(ctx, store.Inbound{AccountID: acc.ID, ChannelID: ch.ID, ThreadKey: "mail:root",
		ExternalID: "root@example.com", Text: "hi", SentAt: time.Now()}, testenv.ConversationIDs(t).ID)
	require.NoError(t, err)

	// A References header of an mbox export can be anything: thousands of ids, NUL, broken UTF-8.
	refs := []string{"bad\x00id@example.com", "\xff\xfe@example.com"}
	for i := range 5000 {
		refs = append(refs, fmt.Sprintf("old-%d@example.com", i))
	}
	key, ok, err := st.ThreadByMessageIDs(ctx, ch.ID, append(refs, "root@example.com"))
	require.NoError(t, err, "unstorable ids are skipped, not sent to PostgreSQL")
	require.True(t, ok)
	require.Equal(t, "mail:root", key)

	_, ok, err = st.ThreadByMessageIDs(ctx, ch.ID, append([]string{"root@example.com"}, refs...))
	require.NoError(t, err)
	require.False(t, ok, "only the newest ids (the end of References) are looked at")
}
