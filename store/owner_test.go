package store_test

import (
	"context"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/mailaddr"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/migrations"
	"github.com/routedesk/routedesk/secrets"
	"github.com/routedesk/routedesk/store"
)

// TestMailboxSQLMatchesGo: the SQL function the migration and the user-email check use gives the
// same mailbox as Go's mailaddr.Mailbox, which every write and the SMTP listener use.
func TestMailboxSQLMatchesGo(t *testing.T) {
	st := testenv.Store(t)
	for _, a := range []string{"support@acme.test", "Support@ACME.Test", "support+billing@acme.test", "su.pport+x+y@acme.test",
		"+tag@acme.test", "John.Doe@gmail.com", "j.o.h.n+news@GoogleMail.com", `"a@b"@example.com`, "Ünïcode@Example.com", "no-at-sign", ".+x@gmail.com"} {
		var got string
		require.NoError(t, st.DB().Get(&got, `SELECT routedesk_mailbox($1)`, a))
		require.Equal(t, mailaddr.Mailbox(a), got, a)
	}
}

// TestMigrationKeepsTheOldestOwner: rows that already claim one identity twice (allowed before
// 00080: one email address or calling number in two accounts) do not fail the migration: the oldest
// keeps it, the others are disconnected with status_reason claimed_by_another_channel, and existing
// email channels count as verified.
func TestMigrationKeepsTheOldestOwner(t *testing.T) {
	ctx := context.Background()
	key, err := secrets.ParseKey(testenv.TestKey)
	require.NoError(t, err)
	box, err := secrets.NewBox(key)
	require.NoError(t, err)
	st, err := store.Open(ctx, testenv.DatabaseURL(t), box)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, st.DB().DB, migrations.FS)
	require.NoError(t, err)
	_, err = p.UpTo(ctx, 71)
	require.NoError(t, err)
	_, err = st.DB().Exec(`INSERT INTO accounts (id, name, tier) VALUES ('a', 'A', 'starter'), ('b', 'B', 'starter')`)
	require.NoError(t, err)
	_, err = st.DB().Exec(`INSERT INTO channels (id, account_id, type, name, config, external_key, created_at) VALUES
		('ch_old', 'a', 'email', 'Old', '{"address":"Support@Acme.test"}', 'support@acme.test', now() - interval '2 days'),
		('ch_new', 'b', 'email', 'New', '{"address":"support+x@acme.test"}', 'support+x@acme.test', now() - interval '1 day'),
		('ch_solo', 'b', 'email', 'Solo', '{"address":"Sales@Acme.test"}', 'sales@acme.test', now()),
		('ch_tel1', 'a', 'calling', 'Line', '{"phone_number":"+46850001234"}', '+46850001234', now() - interval '2 days'),
		('ch_tel2', 'b', 'calling', 'Line', '{"phone_number":"+46850001234"}', '+46850001234', now() - interval '1 day')`)
	require.NoError(t, err)
	_, err = p.Up(ctx)
	require.NoError(t, err)

	type row struct {
		ID           string  `db:"id"`
		Status       string  `db:"status"`
		Reason       string  `db:"status_reason"`
		Key          string  `db:"external_key"`
		VerifiedBy   string  `db:"verified_by"`
		Disconnected *string `db:"disconnected_at"`
	}
	var rows []row
	require.NoError(t, st.DB().Select(&rows, `SELECT id, status, status_reason, external_key, verified_by, disconnected_at::text FROM channels ORDER BY id`))
	got := map[string]row{}
	for _, r := range rows {
		got[r.ID] = r
	}
	require.Equal(t, "connected", got["ch_old"].Status)
	require.Equal(t, "support@acme.test", got["ch_old"].Key)
	require.Equal(t, "migration", got["ch_old"].VerifiedBy)
	require.Equal(t, "disconnected", got["ch_new"].Status)
	require.Equal(t, "claimed_by_another_channel", got["ch_new"].Reason)
	require.NotNil(t, got["ch_new"].Disconnected)
	require.Equal(t, "connected", got["ch_solo"].Status)
	require.Equal(t, "connected", got["ch_tel1"].Status)
	require.Equal(t, "disconnected", got["ch_tel2"].Status)
}
