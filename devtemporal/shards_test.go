package devtemporal

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// clusterShards is the history shard count the running server reports.
func clusterShards(t *testing.T, srv *Server) int32 {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace()})
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := c.WorkflowService().GetClusterInfo(ctx, &workflowservice.GetClusterInfoRequest{})
	require.NoError(t, err)
	return info.GetHistoryShardCount()
}

// TestHistoryShardsAreFixedWhenTheDatabaseIsCreated: a new database gets the
// shards asked for; a later start with another count keeps the database's.
func TestHistoryShardsAreFixedWhenTheDatabaseIsCreated(t *testing.T) {
	integration(t)
	dbPath := filepath.Join(t.TempDir(), "temporal.db")
	first, err := Start(context.Background(), Options{DBPath: dbPath, UIPort: -1, Logger: testLogger(), HistoryShards: 4})
	require.NoError(t, err)
	require.EqualValues(t, 4, clusterShards(t, first))
	require.NoError(t, first.Stop())

	second := start(t, Options{DBPath: dbPath, UIPort: -1, HistoryShards: 16})
	require.EqualValues(t, 4, clusterShards(t, second), "the database keeps the count it was created with")

	fresh := start(t, Options{UIPort: -1})
	require.EqualValues(t, 1, clusterShards(t, fresh), "one shard by default")
}
