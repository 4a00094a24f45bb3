// Package testenv gives tests real dependencies: a throw-away PostgreSQL
// database and an embedded Temporal server, each cleaned up with the test.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// BaseURL is the PostgreSQL server tests use: $TEST_DATABASE_URL, else the local default.
func BaseURL() string {
	if v := os.Getenv("TEST_DATABASE_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Integration skips t in the unit tier (`go test -short`, make test-unit), which runs without PostgreSQL
// or a Temporal server; every helper here that needs one of them calls it.
func Integration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs PostgreSQL or Temporal (skipped by -short)")
	}
}

// DatabaseURL returns the URL of a new, empty database that is dropped when the test ends.
// The database itself is created by whoever opens it (store.Open creates missing databases).
func DatabaseURL(t testing.TB) string {
	t.Helper()
	Integration(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "routedesk_test_" + hex.EncodeToString(b)
	u, err := url.Parse(BaseURL())
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	t.Cleanup(func() { dropDatabase(t, name) })
	return u.String()
}

func dropDatabase(t testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, BaseURL())
	if err != nil {
		t.Logf("drop test database %s: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", pgx.Identifier{name}.Sanitize())); err != nil {
		t.Logf("drop test database %s: %v", name, err)
	}
}
