package store_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/searchdata"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
)

// searchFixture is a small account whose tickets each test query picks out by name.
type searchFixture struct {
	st      *store.Store
	acc     string
	other   string
	tickets map[string]string // name → ticket id
	users   []string
}

func newSearchFixture(t *testing.T, language string) searchFixture {
	t.Helper()
	st := testenv.Store(t)
	ctx := context.Background()
	db := st.DB()
	a, err := searchdata.Generate(ctx, db, searchdata.Spec{Tag: "fx", Tickets: 0, Messages: 0, Contacts: 1, Users: 2, Teams: 1, Language: language})
	require.NoError(t, err)
	b, err := searchdata.Generate(ctx, db, searchdata.Spec{Tag: "other", Tickets: 0, Messages: 0, Contacts: 1, Users: 1, Teams: 1})
	require.NoError(t, err)
	f := searchFixture{st: st, acc: a.ID, other: b.ID, tickets: map[string]string{}, users: a.UserIDs}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	type tk struct {
		name, account, subject, status, priority, assignee, team, contactName, email, phone string
		tags                                                                                []string
		messages                                                                            []string
	}
	rows := []tk{
		{name: "lamp", subject: "The lamp flickers", status: "open", priority: "high", assignee: a.UserIDs[0], team: a.TeamIDs[0], tags: []string{"vip", "bug"},
			contactName: "Ada Lovelace", email: "ada@analytical.example", phone: "+46701234567", messages: []string{"It started yesterday evening", "Have you tried another bulb?"}},
		{name: "refund", subject: "Refund for order A123456", status: "closed", priority: "normal", tags: []string{"billing"},
			contactName: "Björn Öberg", email: "bjorn@fjall.example", phone: "+4631555000", messages: []string{"I was charged twice for the chair", "Refund issued"}},
		{name: "cafe", subject: "Question", status: "pending", priority: "low", assignee: a.UserIDs[1],
			contactName: "Chloé Dubois", email: "chloe@paris.example", messages: []string{"Le café était froid et la crème brûlée aussi"}},
		{name: "delivery", subject: "Where is my package", status: "new", priority: "urgent", team: a.TeamIDs[0], tags: []string{"shipping"},
			contactName: "Grace Hopper", email: "grace@navy.example", messages: []string{"The courier lost my delivery of lamps"}},
		{name: "foreign", account: b.ID, subject: "The lamp is broken", status: "open", priority: "normal", contactName: "Ada Lovelace", email: "ada@analytical.example",
			messages: []string{"lamp lamp lamp"}},
	}
	for i, r := range rows {
		acc, ch := a.ID, a.ChannelID
		if r.account != "" {
			acc, ch = b.ID, b.ChannelID
		}
		id := fmt.Sprintf("tkt_fx_%03d", i+1)
		ctc, cnv := fmt.Sprintf("ctc_fx_t%d", i), fmt.Sprintf("cnv_fx_t%d", i)
		db.MustExec(`INSERT INTO contacts (id, account_id, name, email, phone) VALUES ($1, $2, $3, $4, $5)`, ctc, acc, r.contactName, r.email, r.phone)
		db.MustExec(`INSERT INTO conversations (id, account_id, channel_id, thread_key, workflow_id, thread_hash) VALUES ($1, $2, $3, $1, $1, decode(md5($1), 'hex'))`, cnv, acc, ch)
		created := base.Add(time.Duration(len(rows)-i) * 24 * time.Hour) // the later rows are older
		db.MustExec(`INSERT INTO tickets (id, account_id, conversation_id, channel_id, contact_id, subject, status, priority, tags,
		                                  assignee_user_id, assignee_team_id, created_at, updated_at)
		             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULLIF($10, ''), NULLIF($11, ''), $12, $13)`,
			id, acc, cnv, ch, ctc, r.subject, r.status, r.priority, append([]string{}, r.tags...), r.assignee, r.team, created, created.Add(time.Duration(i)*time.Hour*100))
		for j, m := range r.messages {
			db.MustExec(`INSERT INTO messages (id, account_id, channel_id, conversation_id, external_id, direction, status, sent_at, text)
			             VALUES ($1, $2, $3, $4, $1, 'inbound', 'received', now(), $5)`, fmt.Sprintf("msg_fx_%d_%d", i, j), acc, ch, cnv, m)
		}
		f.tickets[r.name] = id
	}
	return f
}

func (f searchFixture) names(t *testing.T, q store.TicketQuery) []string {
	t.Helper()
	ts, err := f.st.SearchTickets(context.Background(), f.acc, q, nil, 100)
	require.NoError(t, err)
	var out []string
	for _, tk := range ts {
		for name, id := range f.tickets {
			if id == tk.ID {
				out = append(out, name)
			}
		}
	}
	return out
}

func TestSearchTicketsText(t *testing.T) {
	f := newSearchFixture(t, "")
	cases := []struct {
		q    string
		want []string
	}{
		{"lamp", []string{"lamp"}},            // a subject word; the other account's lamp never shows
		{"bulb", []string{"lamp"}},            // a message word
		{"charged twice", []string{"refund"}}, // words of one message
		{`"twice for the chair"`, []string{"refund"}},
		{`"chair for twice"`, nil}, // a phrase keeps its order
		{"charged -chair", nil},    // exclusion
		{"flickers or courier", []string{"delivery", "lamp"}},
		{"cafe creme", []string{"cafe"}}, // accents folded both ways
		{"Crème", []string{"cafe"}},
		{"lovelace", []string{"lamp"}},         // contact name, by trigram
		{"Lovelace Ada", []string{"lamp"}},     // close enough (word similarity)
		{"bjorn", []string{"refund"}},          // Björn, accent folded
		{"navy.example", []string{"delivery"}}, // an email address
		{"070 123 4567", nil},                  // a national number is not the E.164 one
		{"70 123 45", []string{"lamp"}},        // phone digits
		{"A123456", []string{"refund"}},
		{"nosuchword", nil},
		{"%", nil}, {"_", nil}, {`\`, nil}, {"!!!", nil}, {"'", nil}, {`"`, nil}, {"-", nil}, {"or", nil},
	}
	for _, c := range cases {
		got := f.names(t, store.TicketQuery{Text: c.q})
		slices.Sort(got)
		require.Equal(t, c.want, got, "q=%q", c.q)
	}
	// The stemmed language of an account: english finds "lamps" by "lamp".
	simple := f.names(t, store.TicketQuery{Text: "lamps"})
	require.Equal(t, []string{"delivery"}, simple)
	en := newSearchFixture(t, "english")
	got := en.names(t, store.TicketQuery{Text: "lamp"})
	slices.Sort(got)
	require.Equal(t, []string{"delivery", "lamp"}, got, "english stems lamps to lamp")
}

func TestSearchTicketsFilters(t *testing.T) {
	f := newSearchFixture(t, "")
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		what string
		q    store.TicketQuery
		want []string
	}{
		{"all, newest first", store.TicketQuery{}, []string{"delivery", "cafe", "refund", "lamp"}},
		{"oldest", store.TicketQuery{Sort: store.SortOldest}, []string{"lamp", "refund", "cafe", "delivery"}},
		{"created, newest", store.TicketQuery{Sort: store.SortCreatedDesc}, []string{"lamp", "refund", "cafe", "delivery"}},
		{"updated, oldest", store.TicketQuery{Sort: store.SortUpdatedAsc}, []string{"lamp", "refund", "cafe", "delivery"}},
		{"status", store.TicketQuery{Status: []string{"open", "pending"}}, []string{"cafe", "lamp"}},
		{"status_not", store.TicketQuery{StatusNot: []string{"closed"}}, []string{"delivery", "cafe", "lamp"}},
		{"assignee", store.TicketQuery{Assignees: []string{f.users[0]}}, []string{"lamp"}},
		{"unassigned", store.TicketQuery{Unassigned: true}, []string{"delivery", "refund"}},
		{"assignee or unassigned", store.TicketQuery{Unassigned: true, Assignees: []string{f.users[1]}}, []string{"delivery", "cafe", "refund"}},
		{"no team", store.TicketQuery{NoTeam: true}, []string{"cafe", "refund"}},
		{"priority", store.TicketQuery{Priorities: []string{"urgent", "high"}}, []string{"delivery", "lamp"}},
		{"tags, all of", store.TicketQuery{Tags: []string{"vip", "bug"}}, []string{"lamp"}},
		{"tags, missing one", store.TicketQuery{Tags: []string{"vip", "billing"}}, nil},
		{"created range", store.TicketQuery{CreatedFrom: day(3), CreatedTo: day(5)}, []string{"delivery", "cafe"}},
		{"updated range", store.TicketQuery{UpdatedFrom: day(10)}, []string{"delivery", "cafe"}},
		{"text and filter", store.TicketQuery{Text: "lamp or refund", Status: []string{"closed"}}, []string{"refund"}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, f.names(t, c.q), c.what)
	}

	// Keyset pages of every sort give each ticket once, in order.
	for _, sort := range store.TicketSorts {
		var seen []string
		var cur *store.TicketCursor
		for range 10 {
			ts, err := f.st.SearchTickets(context.Background(), f.acc, store.TicketQuery{Sort: sort}, cur, 1)
			require.NoError(t, err)
			if len(ts) == 0 {
				break
			}
			seen = append(seen, ts[0].ID)
			cur = &store.TicketCursor{At: store.TicketSortTime(sort, ts[0]), ID: ts[0].ID}
		}
		all, err := f.st.SearchTickets(context.Background(), f.acc, store.TicketQuery{Sort: sort}, nil, 100)
		require.NoError(t, err)
		var want []string
		for _, tk := range all {
			want = append(want, tk.ID)
		}
		require.Equal(t, want, seen, sort)
	}

	counts, err := f.st.CountTicketQueries(context.Background(), f.acc, []store.TicketQuery{{}, {StatusNot: []string{"closed"}}, {Text: "lamp"}})
	require.NoError(t, err)
	require.Equal(t, []store.TicketCount{{Count: 4}, {Count: 3}, {Count: 1}}, counts)
	foreign, err := f.st.CountTicketQueries(context.Background(), f.other, []store.TicketQuery{{}})
	require.NoError(t, err)
	require.Equal(t, 1, foreign[0].Count)
}

// seqScan finds a sequential scan of a searched table in a plan.
var seqScan = regexp.MustCompile(`Seq Scan on (tickets|messages|contacts)\b`)

// TestTicketSearchUsesIndexes plans every search and filter on a generated dataset and
// fails when one reads tickets, messages or contacts sequentially.
func TestTicketSearchUsesIndexes(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a dataset")
	}
	st := testenv.Store(t)
	ctx := context.Background()
	a, err := searchdata.Generate(ctx, st.DB(), searchdata.Spec{Tag: "big", Tickets: 20000, Messages: 80000, Contacts: 8000, Users: 20, Teams: 5})
	require.NoError(t, err)
	_, err = searchdata.Generate(ctx, st.DB(), searchdata.Spec{Tag: "small", Tickets: 2000, Messages: 8000, Contacts: 800, Users: 5, Teams: 2})
	require.NoError(t, err)
	require.NoError(t, searchdata.Analyze(ctx, st.DB()))

	me := a.UserIDs[3]
	since := time.Now().AddDate(0, -1, 0)
	queries := map[string]store.TicketQuery{
		"all":                {},
		"all, oldest":        {Sort: store.SortOldest},
		"all, updated":       {Sort: store.SortUpdatedDesc},
		"all, created":       {Sort: store.SortCreatedAsc},
		"status":             {Status: []string{"pending"}},
		"open":               {StatusNot: []string{domain.TicketStatusClosed}},
		"mine":               {Assignees: []string{me}, StatusNot: []string{domain.TicketStatusClosed}},
		"unassigned":         {Unassigned: true, StatusNot: []string{domain.TicketStatusClosed}},
		"team":               {Teams: []string{a.TeamIDs[0]}},
		"no team":            {NoTeam: true},
		"channel":            {Channels: []string{a.ChannelID}},
		"priority":           {Priorities: []string{"urgent"}},
		"tags":               {Tags: []string{"vip"}},
		"created range":      {CreatedFrom: since},
		"updated range":      {UpdatedFrom: since, Sort: store.SortUpdatedDesc},
		"contact":            {ContactID: "ctc_big_17"},
		"word":               {Text: "lamp"},
		"common word":        {Text: "order"},
		"words":              {Text: "broken lamp"},
		"phrase":             {Text: `"charged twice"`},
		"exclusion":          {Text: "refund -card"},
		"name":               {Text: "Grace Hopper"},
		"email":              {Text: "example3.com"},
		"phone":              {Text: "4670001"},
		"word, open, sorted": {Text: "chair", StatusNot: []string{"closed"}, Sort: store.SortUpdatedDesc},
		"word and assignee":  {Text: "refund", Assignees: []string{me}},
	}
	for name, q := range queries {
		plan, err := st.ExplainTicketSearch(ctx, a.ID, q, nil, 50)
		require.NoError(t, err)
		require.False(t, seqScan.MatchString(plan), "%s reads a table sequentially:\n%s", name, plan)
		// The second page plans the keyset condition too.
		plan, err = st.ExplainTicketSearch(ctx, a.ID, q, &store.TicketCursor{At: since, ID: "tkt_big_000010000"}, 50)
		require.NoError(t, err)
		require.False(t, seqScan.MatchString(plan), "%s (a later page) reads a table sequentially:\n%s", name, plan)
	}
	// A word no ticket has is read through the GIN index, not by walking every ticket in order.
	for _, word := range []string{"A999999", "nosuchword"} {
		plan, err := st.ExplainTicketSearch(ctx, a.ID, store.TicketQuery{Text: word}, nil, 50)
		require.NoError(t, err)
		require.Contains(t, plan, "Bitmap Index Scan on tickets_text", "q=%s walks the tickets:\n%s", word, plan)
	}
	views := []store.TicketQuery{queries["mine"], queries["unassigned"], queries["status"], queries["open"], queries["word"]}
	plan, err := st.ExplainTicketCounts(ctx, a.ID, views)
	require.NoError(t, err)
	require.False(t, seqScan.MatchString(plan), "the view counts read a table sequentially:\n%s", plan)
}
