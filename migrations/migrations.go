// Package migrations holds routedesk's numbered SQL migrations, embedded in the binary.
package migrations

import "embed"

// FS holds the goose migration files (NNNNN_name.sql).
//
//go:embed *.sql
var FS embed.FS
