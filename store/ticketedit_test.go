package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/migrations"
	"github.com/routedesk/routedesk/secrets"
	"github.com/routedesk/routedesk/store"
)

// TestMigrationMapsPriorities: migration 00230 maps free-text priorities as domain.LegacyTicketPriority
// does (channel defaults too), and the column then refuses a priority outside the vocabulary.
func TestMigrationMapsPriorities(t *testing.T) {
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
	_, err = p.UpTo(ctx, 201)
	require.NoError(t, err)
	_, err = st.DB().Exec(`INSERT INTO accounts (id, name, tier) VALUES ('a', 'A', 'starter')`)
	require.NoError(t, err)
	_, err = st.DB().Exec(`INSERT INTO channels (id, account_id, type, name, config, ticket_defaults) VALUES
		('ch_1', 'a', 'chat', 'Chat', '{}', '{"priority": "Critical"}'), ('ch_2', 'a', 'chat', 'Chat 2', '{}', '{"priority": ""}')`)
	require.NoError(t, err)
	olds := []string{"", "low", "Normal", " HIGH ", "urgent", "critical", "emergency", "medium", "vip", "P1", "hög"}
	for i, old := range olds {
		_, err = st.DB().Exec(`INSERT INTO tickets (id, account_id, subject, priority, workflow_id) VALUES ($1, 'a', 's', $2, $1)`, fmt.Sprint("t", i), old)
		require.NoError(t, err)
	}
	_, err = p.Up(ctx)
	require.NoError(t, err)
	for i, old := range olds {
		var got string
		require.NoError(t, st.DB().Get(&got, `SELECT priority FROM tickets WHERE id = $1`, fmt.Sprint("t", i)))
		require.Equal(t, domain.LegacyTicketPriority(old), got, "%q", old)
	}
	var defaults []string
	require.NoError(t, st.DB().Select(&defaults, `SELECT ticket_defaults->>'priority' FROM channels ORDER BY id`))
	require.Equal(t, []string{"urgent", ""}, defaults)
	_, err = st.DB().Exec(`UPDATE tickets SET priority = 'vip' WHERE id = 't0'`)
	require.ErrorContains(t, err, "tickets_priority_vocabulary")
	_, err = st.DB().Exec(`INSERT INTO tickets (id, account_id, subject, workflow_id) VALUES ('t_new', 'a', 's', 'wf_new')`)
	require.NoError(t, err)
	var def string
	require.NoError(t, st.DB().Get(&def, `SELECT priority FROM tickets WHERE id = 't_new'`))
	require.Equal(t, "normal", def)
}
