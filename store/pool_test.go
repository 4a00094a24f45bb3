package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
)

func TestOpenPoolSizesThePool(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	ctx := context.Background()
	st, err := store.OpenPool(ctx, testenv.DatabaseURL(t), nil, store.Pool{MaxConns: 2, MaxIdleConns: 1, MaxConnIdleTime: time.Minute})
	require.NoError(t, err)
	defer st.Close()
	require.Equal(t, 2, st.DB().Stats().MaxOpenConnections)

	// Five concurrent sleepers on a pool of two: never more than two connections open.
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.DB().ExecContext(ctx, `SELECT pg_sleep(0.2)`)
			require.NoError(t, err)
		}()
	}
	wg.Wait()
	stats := st.DB().Stats()
	require.LessOrEqual(t, stats.OpenConnections, 2)
	require.Positive(t, stats.WaitCount, "callers waited for the two connections")
	require.LessOrEqual(t, stats.Idle, 1)
}

func TestPoolValidateNamesTheVariable(t *testing.T) {
	require.NoError(t, store.DefaultPool().Validate())
	require.ErrorContains(t, store.Pool{MaxConns: -1}.Validate(), "ROUTEDESK_DB_MAX_CONNS")
	require.ErrorContains(t, store.Pool{MaxConns: 2, MaxIdleConns: 3}.Validate(), "ROUTEDESK_DB_MAX_IDLE_CONNS")
	require.ErrorContains(t, store.Pool{MaxConnLifetime: -time.Second}.Validate(), "ROUTEDESK_DB_MAX_CONN_LIFETIME")
	require.ErrorContains(t, store.Pool{MaxConnIdleTime: -time.Second}.Validate(), "ROUTEDESK_DB_MAX_CONN_IDLE_TIME")
	_, err := store.OpenPool(context.Background(), "postgres://nobody@127.0.0.1:1/x", nil, store.Pool{MaxConns: -1})
	require.ErrorContains(t, err, "ROUTEDESK_DB_MAX_CONNS", "checked before connecting")
}
