package store

import (
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"
)

var pgTypes = pgtype.NewMap()

// textArray scans a PostgreSQL text[] through database/sql.
type textArray []string

// Scan implements sql.Scanner.
func (a *textArray) Scan(src any) error {
	var out []string
	if err := pgTypes.SQLScanner(&out).Scan(src); err != nil {
		return fmt.Errorf("scan text[]: %w", err)
	}
	*a = out
	return nil
}
