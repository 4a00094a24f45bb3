package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
)

// TestTransactionsRunAgainAfterADeadlock: two transactions lock two rows in
// opposite orders; PostgreSQL aborts one to break the deadlock, and the store
// runs it again instead of failing the request.
func TestTransactionsRunAgainAfterADeadlock(t *testing.T) {
	st, _, _ := setup(t)
	ctx := context.Background()
	require.NoError(t, st.InTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE deadlock_probe (id int PRIMARY KEY, v int NOT NULL); INSERT INTO deadlock_probe VALUES (1, 0), (2, 0)`)
		return err
	}))
	var runs atomic.Int32
	var wg sync.WaitGroup
	var holding sync.WaitGroup // the first run of each transaction holds its first row until both do
	holding.Add(2)
	errs := make([]error, 2)
	for i, order := range [][2]int{{1, 2}, {2, 1}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.InTx(ctx, func(tx *sqlx.Tx) error {
				run := runs.Add(1)
				if _, err := tx.ExecContext(ctx, `UPDATE deadlock_probe SET v = v + 1 WHERE id = $1`, order[0]); err != nil {
					return err
				}
				if run <= 2 {
					holding.Done()
					holding.Wait()
				}
				_, err := tx.ExecContext(ctx, `UPDATE deadlock_probe SET v = v + 1 WHERE id = $1`, order[1])
				return err
			})
		}()
	}
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.GreaterOrEqual(t, runs.Load(), int32(3), "one transaction was aborted by the deadlock and ran again")
	var sum int
	require.NoError(t, st.InTx(ctx, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &sum, `SELECT sum(v) FROM deadlock_probe`)
	}))
	require.Equal(t, 4, sum, "each transaction's two updates were kept exactly once")
}
