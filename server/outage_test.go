package server_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/secrets"
	"github.com/routedesk/routedesk/server"
	"github.com/routedesk/routedesk/store"
)

// TestPostgresOutageIs503 stops a throw-away PostgreSQL under the API:
// ingest answers 503 with Retry-After (not 500), /readyz answers 503 naming
// PostgreSQL and nothing about where it runs, and after a restart the same
// request is accepted.
func TestPostgresOutageIs503(t *testing.T) {
	if testing.Short() {
		t.Skip("runs its own PostgreSQL cluster")
	}
	pg := testenv.ThrowawayPostgres(t)
	ctx := context.Background()
	key, err := secrets.ParseKey(testenv.TestKey)
	require.NoError(t, err)
	box, err := secrets.NewBox(key)
	require.NoError(t, err)
	st, err := store.Open(ctx, pg.DatabaseURL("routedesk_outage"), box)
	require.NoError(t, err)
	defer st.Close()
	_, err = st.Migrate(ctx)
	require.NoError(t, err)
	acc, token, err := st.CreateAccount(ctx, "Outage", "starter", false)
	require.NoError(t, err)
	ch, err := st.CreateChannel(ctx, acc.ID, store.ChannelWrite{Type: "chat", Name: "c", Redacted: []byte(`{}`), Full: []byte(`{}`)})
	require.NoError(t, err)
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	defer tc.Close()
	hs := httptestServer(t, server.New(st, tc, server.Config{ConversationIDs: testenv.ConversationIDs(t), TaskQueue: "outage"}, quietLog(), nil, nil))

	pg.Stop()
	msg := map[string]any{"external_id": "during-outage", "thread_id": "t", "text": "hello?"}
	r := testenv.Do(t, hs, http.MethodPost, "/v1/channels/"+ch.ID+"/messages", token, msg)
	requireProblem(t, r, http.StatusServiceUnavailable, "")
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After is a number of seconds")
	require.Positive(t, secs)

	ready := testenv.Do(t, hs, http.MethodGet, "/readyz", "", nil)
	require.Equal(t, http.StatusServiceUnavailable, ready.Status, string(ready.Body))
	require.Equal(t, "unavailable", ready.Map(t)["checks"].(map[string]any)["postgres"])
	body := string(ready.Body)
	for _, secret := range []string{strconv.Itoa(pg.Port()), "127.0.0.1", "routedesk_outage", "user=", "postgres@", "dial", "refused"} {
		require.NotContains(t, body, secret, "/readyz tells unauthenticated callers no internals")
	}
	require.Contains(t, body, "postgresql", "the failing dependency is named")

	pg.Start()
	r = testenv.Do(t, hs, http.MethodPost, "/v1/channels/"+ch.ID+"/messages", token, msg)
	require.Less(t, r.Status, 300, "accepted after the restart: %d %s", r.Status, r.Body)
	var n int
	require.NoError(t, st.DB().Get(&n, `SELECT count(*) FROM messages`))
	require.Equal(t, 1, n, "the message is stored once")
}
