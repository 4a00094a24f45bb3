package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
)

func setup(t *testing.T) (*store.Store, domain.Account, domain.Channel) {
	t.Helper()
	st := testenv.Store(t)
	ctx := context.Background()
	acc, _, err := st.CreateAccount(ctx, "Acme", domain.TierStarter, false)
	require.NoError(t, err)
	ch, err := st.CreateChannel(ctx, acc.ID, store.ChannelWrite{Type: "chat", Name: "Chat", Redacted: []byte(`{}`), Full: []byte(`{}`)})
	require.NoError(t, err)
	return st, acc, ch
}

func TestOpenCreatesTheDatabaseAndMigrationsAreIdempotent(t *testing.T) {
	url := testenv.DatabaseURL(t)
	ctx := context.Background()
	st, err := store.Open(ctx, url, nil)
	require.NoError(t, err, "Open creates the missing database")
	defer st.Close()
	require.Error(t, st.CheckSchema(ctx), "a fresh database has pending migrations")
	n, err := st.Migrate(ctx)
	require.NoError(t, err)
	require.Positive(t, n)
	n, err = st.Migrate(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "a second run applies nothing")
	require.NoError(t, st.CheckSchema(ctx))
}

func TestOpenUnreachableNamesTheURL(t *testing.T) {
	_, err := store.Open(context.Background(), "postgres://postgres:hunter2@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", nil)
	require.ErrorIs(t, err, store.ErrUnreachable)
	require.Contains(t, err.Error(), "127.0.0.1:1")
	require.NotContains(t, err.Error(), "hunter2", "the password is redacted")
}

func TestAcceptInboundDeduplicatesByExternalID(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	in := store.Inbound{AccountID: acc.ID, ChannelID: ch.ID, ThreadKey: "t:1", ExternalID: "m1", Text: "hi", SentAt: time.Now()}
	a1, err := st.AcceptInbound(ctx, in, testenv.ConversationIDs(t).ID)
	require.NoError(t, err)
	require.False(t, a1.Duplicate)
	require.Equal(t, testenv.ConversationIDs(t).ID(ch.ID, "t:1"), a1.WorkflowID)

	in.ThreadKey = "t:other" // a redelivery never moves a message to another thread
	a2, err := st.AcceptInbound(ctx, in, testenv.ConversationIDs(t).ID)
	require.NoError(t, err)
	require.True(t, a2.Duplicate)
	require.Equal(t, a1.MessageID, a2.MessageID)
	require.Equal(t, a1.ConversationID, a2.ConversationID)

	var conversations int
	require.NoError(t, st.DB().Get(&conversations, `SELECT count(*) FROM conversations`))
	require.Equal(t, 1, conversations, "the duplicate made no conversation")
}

func TestAcceptInboundConcurrentRedeliveries(t *testing.T) {
	st, acc, ch := setup(t)
	var wg sync.WaitGroup
	results := make([]store.Accepted, 10)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := st.AcceptInbound(context.Background(), store.Inbound{AccountID: acc.ID, ChannelID: ch.ID, ThreadKey: "t", ExternalID: "same", Text: "x", SentAt: time.Now()}, testenv.ConversationIDs(t).ID)
			require.NoError(t, err)
			results[i] = a
		}()
	}
	wg.Wait()
	fresh := 0
	for _, r := range results {
		require.Equal(t, results[0].MessageID, r.MessageID)
		if !r.Duplicate {
			fresh++
		}
	}
	require.Equal(t, 1, fresh)
}

// TestAcceptInboundConcurrentFirstMessagesMakeOneConversation: the first
// messages of one new conversation arriving at once (two servers, one thread)
// are all stored, in one conversation; the race on the new conversation's row
// is never an error (it surfaced as a 500 on the workflow id index).
func TestAcceptInboundConcurrentFirstMessagesMakeOneConversation(t *testing.T) {
	st, acc, ch := setup(t)
	ids := testenv.ConversationIDs(t).ID
	for round := range 20 {
		thread := fmt.Sprintf("new-thread-%d", round)
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make([]store.Accepted, 8)
		errs := make([]error, len(results))
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = st.AcceptInbound(context.Background(), store.Inbound{AccountID: acc.ID, ChannelID: ch.ID,
					ThreadKey: thread, ExternalID: fmt.Sprintf("%s-m%d", thread, i), Text: "x", SentAt: time.Now()}, ids)
			}()
		}
		close(start)
		wg.Wait()
		for i, r := range results {
			require.NoError(t, errs[i], "round %d, message %d", round, i)
			require.Equal(t, results[0].ConversationID, r.ConversationID, "round %d: one conversation", round)
			require.False(t, r.Duplicate)
		}
	}
}

func TestUpsertContactFindsByEmailAndVisitorID(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	c1, err := st.UpsertContact(ctx, acc.ID, ch.ID, domain.Author{Email: "Ada@Example.com", Name: "Ada"})
	require.NoError(t, err)
	require.True(t, c1.IsNew)
	c2, err := st.UpsertContact(ctx, acc.ID, ch.ID, domain.Author{Email: "ada@example.com", ExternalUserID: "v-1"})
	require.NoError(t, err)
	require.False(t, c2.IsNew)
	require.Equal(t, c1.ContactID, c2.ContactID)
	c3, err := st.UpsertContact(ctx, acc.ID, ch.ID, domain.Author{ExternalUserID: "v-1"})
	require.NoError(t, err)
	require.Equal(t, c1.ContactID, c3.ContactID, "the visitor id was linked to the contact")
	_, err = st.UpsertContact(ctx, acc.ID, ch.ID, domain.Author{})
	var invalid *domain.ValidationError
	require.ErrorAs(t, err, &invalid)

	// Another account's contact with the same email is another contact.
	other, _, err := st.CreateAccount(ctx, "Other", domain.TierStarter, false)
	require.NoError(t, err)
	otherCh, err := st.CreateChannel(ctx, other.ID, store.ChannelWrite{Type: "chat", Name: "Chat", Redacted: []byte(`{}`), Full: []byte(`{}`)})
	require.NoError(t, err)
	c4, err := st.UpsertContact(ctx, other.ID, otherCh.ID, domain.Author{Email: "ada@example.com"})
	require.NoError(t, err)
	require.NotEqual(t, c1.ContactID, c4.ContactID)
}

// A visitor id of 1,000 four-byte characters (4,000 bytes) is longer than a
// btree index row may be; it still identifies one contact, apart from its
// case and normalisation twins.
func TestUpsertContactWithLongAndTwinVisitorIDs(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	var b strings.Builder // incompressible, or PostgreSQL would compress it under the limit
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Len() < 4000 {
		b.WriteRune(0x10000 + rune(rng.IntN(0xFFFD)))
	}
	long := b.String()
	seen := map[string]string{}
	for _, id := range []string{long, long[:len(long)-4] + "\U0001F601", "Visitor-Case", "visitor-case", "caf\u00e9", "cafe\u0301"} {
		c, err := st.UpsertContact(ctx, acc.ID, ch.ID, domain.Author{ExternalUserID: id})
		require.NoError(t, err, "visitor id of %d bytes", len(id))
		require.True(t, c.IsNew, "visitor id %q is its own contact", id[:min(len(id), 16)])
		again, err := st.UpsertContact(ctx, acc.ID, ch.ID, domain.Author{ExternalUserID: id})
		require.NoError(t, err)
		require.Equal(t, c.ContactID, again.ContactID)
		require.NotContains(t, seen, c.ContactID)
		seen[c.ContactID] = id
		consent, err := st.ChannelUserConsent(ctx, acc.ID, ch.ID, id)
		require.NoError(t, err)
		require.Nil(t, consent)
	}
}

func TestUpsertContactConcurrentlyMakesOneContact(t *testing.T) {
	st, acc, ch := setup(t)
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := st.UpsertContact(context.Background(), acc.ID, ch.ID, domain.Author{Email: "race@example.com"})
			require.NoError(t, err)
			ids[i] = c.ContactID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		require.Equal(t, ids[0], id)
	}
}

func TestCreateTicketIsIdempotentPerConversation(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	a, err := st.AcceptInbound(ctx, store.Inbound{AccountID: acc.ID, ChannelID: ch.ID, ThreadKey: "t", ExternalID: "m", Text: "x", SentAt: time.Now()}, testenv.ConversationIDs(t).ID)
	require.NoError(t, err)
	nt := store.NewTicket{AccountID: acc.ID, ConversationID: a.ConversationID, ChannelID: ch.ID, Subject: "s", Pipeline: "support", Status: "new"}
	t1, created, err := st.CreateTicket(ctx, nt)
	require.NoError(t, err)
	require.True(t, created)
	t2, created, err := st.CreateTicket(ctx, nt)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, t1.ID, t2.ID)
	require.Equal(t, a.WorkflowID, t1.WorkflowID)
	require.Equal(t, "chat", t1.ChannelType)
	n, err := st.CountTickets(ctx, acc.ID)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	// Scoped by account: another account cannot read it.
	other, _, err := st.CreateAccount(ctx, "Other", domain.TierStarter, false)
	require.NoError(t, err)
	_, err = st.Ticket(ctx, other.ID, t1.ID)
	require.ErrorIs(t, err, domain.ErrNotFound)
}

func TestListTicketsPaginates(t *testing.T) {
	st, acc, ch := setup(t)
	ctx := context.Background()
	for i := range 5 {
		a, err := st.AcceptInbound(ctx, store.Inbound{AccountID: acc.ID, ChannelID: ch.ID, ThreadKey: fmt.Sprint(i), ExternalID: fmt.Sprint(i), Text: "x", SentAt: time.Now()}, testenv.ConversationIDs(t).ID)
		require.NoError(t, err)
		_, _, err = st.CreateTicket(ctx, store.NewTicket{AccountID: acc.ID, ConversationID: a.ConversationID, ChannelID: ch.ID})
		require.NoError(t, err)
	}
	var seen []string
	page := store.Page{Limit: 2}
	for {
		ts, err := st.ListTickets(ctx, acc.ID, store.TicketFilter{}, page)
		require.NoError(t, err)
		for _, tk := range ts {
			seen = append(seen, tk.ID)
		}
		if len(ts) < page.Limit {
			break
		}
		page.After = ts[len(ts)-1].ID
	}
	require.Len(t, seen, 5)
	for i := 1; i < len(seen); i++ {
		require.Negative(t, strings.Compare(seen[i], seen[i-1]), "newest first, no repeats")
	}
}

func TestAuthenticateStoresOnlyHashes(t *testing.T) {
	st := testenv.Store(t)
	ctx := context.Background()
	acc, token, err := st.CreateAccount(ctx, "Acme", domain.TierStarter, false)
	require.NoError(t, err)
	p, err := st.Authenticate(ctx, token)
	require.NoError(t, err)
	require.Equal(t, acc.ID, p.AccountID)
	require.Equal(t, domain.RoleAdmin, p.Role)
	var raw int
	require.NoError(t, st.DB().Get(&raw, `SELECT count(*) FROM api_tokens WHERE position($1::bytea in token_hash) > 0`, []byte(token)))
	require.Zero(t, raw, "the token itself is not stored")
	_, err = st.Authenticate(ctx, token+"x")
	require.ErrorIs(t, err, domain.ErrNotFound)
}
