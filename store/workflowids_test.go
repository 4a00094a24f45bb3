package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
)

// percentEncoded is the conversation workflow id of the releases that
// percent-encoded thread keys ("conv:<channel>:<key>", '%' and bytes outside
// 0x20–0x7E as %XX, keys encoding to over 200 bytes as "sha256-<hex>").
func percentEncoded(channelID, key string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c < 0x20 || c > 0x7E || c == '%' || (i == 0 && strings.HasPrefix(key, "sha256-")) {
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0x0F])
		} else {
			b.WriteByte(c)
		}
		if b.Len() > 200 {
			sum := sha256.Sum256([]byte(key))
			return "conv:" + channelID + ":sha256-" + hex.EncodeToString(sum[:])
		}
	}
	return "conv:" + channelID + ":" + b.String()
}

// Issue 31, point 4: a conversation stored before the keyed workflow ids,
// whose thread key holds a literal %XX and whose id is that key in clear,
// never collides with a new thread whose key percent-encodes to the same text:
// the new thread gets a keyed id and its own conversation, no unique violation.
// With the percent encoder as the new ids, the same scenario fails (the defect).
func TestOldPercentWorkflowIDsNeverCollideWithNewOnes(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	ids := testenv.ConversationIDs(t).ID
	inClear := func(channelID, key string) string { return "conv:" + channelID + ":" + key } // ids before any encoding
	accept := func(key, ext string, id store.WorkflowIDFor) (store.Accepted, error) {
		return st.AcceptInbound(ctx, store.Inbound{AccountID: acc.ID, ChannelID: ch.ID, ThreadKey: key, ExternalID: ext, Text: "x", SentAt: time.Now()}, id)
	}

	// Rows from before: a literal %XX kept in clear, and a key as the percent encoder wrote it.
	oldLiteral, err := accept("t:caf%C3%A9", "old-1", inClear)
	require.NoError(t, err)
	require.Equal(t, "conv:"+ch.ID+":t:caf%C3%A9", oldLiteral.WorkflowID)
	oldEncoded, err := accept("t:x%y", "old-2", percentEncoded)
	require.NoError(t, err)
	require.Equal(t, "conv:"+ch.ID+":t:x%25y", oldEncoded.WorkflowID)

	// The defect the keyed ids remove: "t:café" percent-encodes to the stored "t:caf%C3%A9".
	require.Equal(t, oldLiteral.WorkflowID, percentEncoded(ch.ID, "t:café"))
	_, err = accept("t:café", "enc-1", percentEncoded)
	require.Error(t, err, "the percent encoder gives the new thread the old row's workflow id")

	// Keyed ids: each new thread is its own conversation with an id no old one can hold.
	for i, key := range []string{"t:café", "t:x%25y", "t:caf%25C3%25A9"} {
		a, err := accept(key, "new-"+key, ids)
		require.NoError(t, err, key)
		require.NotEqual(t, oldLiteral.ConversationID, a.ConversationID, key)
		require.NotEqual(t, oldEncoded.ConversationID, a.ConversationID, key)
		require.Equal(t, ids(ch.ID, key), a.WorkflowID, key)
		require.Regexp(t, `^conv:`+ch.ID+`:[0-9a-f]{32}$`, a.WorkflowID, "%d: no '%%' and no ':' after the channel part", i)
	}

	// The old rows keep their stored ids when their threads write again.
	again, err := accept("t:caf%C3%A9", "old-3", ids)
	require.NoError(t, err)
	require.Equal(t, oldLiteral.ConversationID, again.ConversationID)
	require.Equal(t, oldLiteral.WorkflowID, again.WorkflowID)
	again, err = accept("t:x%y", "old-4", ids)
	require.NoError(t, err)
	require.Equal(t, oldEncoded.WorkflowID, again.WorkflowID)

	var n int
	require.NoError(t, st.DB().Get(&n, `SELECT count(*) FROM conversations WHERE channel_id = $1`, ch.ID))
	require.Equal(t, 5, n)
}
