package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// InTx runs fn in a transaction as the store's own methods do, for the external tests.
func (s *Store) InTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error { return s.inTx(ctx, fn) }

// TimelineSQL is the timeline's query, for the external tests to explain.
const TimelineSQL = timelineSQL
