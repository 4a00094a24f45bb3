package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/routedesk/routedesk/domain"
)

// Ticket sort orders; SortNewest (ticket ids are time-ordered) is the default.
const (
	SortNewest      = "newest"
	SortOldest      = "oldest"
	SortCreatedAsc  = "created_at"
	SortCreatedDesc = "-created_at"
	SortUpdatedAsc  = "updated_at"
	SortUpdatedDesc = "-updated_at"
	// SortSLADue is the next SLA deadline first; tickets with none running come last.
	SortSLADue        = "sla_due"
	minTrigramPattern = 3 // shorter text cannot use a trigram index
)

// TicketSorts are the sort orders SearchTickets knows.
var TicketSorts = []string{SortNewest, SortOldest, SortCreatedDesc, SortCreatedAsc, SortUpdatedDesc, SortUpdatedAsc, SortSLADue}

// TicketQuery is a resolved ticket search: every set field narrows the result (lists
// match any of their values, Tags all of them); the zero value matches every ticket.
type TicketQuery struct {
	// Text is searched in websearch_to_tsquery syntax in ticket subjects, descriptions and
	// message texts, and as a substring (or close spelling) of the contact's name, email and phone.
	Text          string
	Status        []string
	StatusNot     []string
	Assignees     []string // user ids
	Unassigned    bool     // no assignee (or, with Assignees, one of them)
	Teams         []string
	NoTeam        bool
	Channels      []string
	Priorities    []string
	Tags          []string
	RoutingStates []string
	ContactID     string
	Sources       []string
	// CreatedFrom/UpdatedFrom are inclusive, CreatedTo/UpdatedTo exclusive; zero: unbounded.
	CreatedFrom, CreatedTo, UpdatedFrom, UpdatedTo time.Time
	Sort                                           string
}

// SLADueOrder is the sort key of SortSLADue: the deadline, or NoSLADue when none runs.
const SLADueOrder = "COALESCE(t.sla_due_at, '9999-12-31T00:00:00Z'::timestamptz)"

// NoSLADue is the deadline SortSLADue sorts a ticket without one by (its cursor carries it).
var NoSLADue = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// TicketSortTime is the time a sort order pages t by: its creation, update or SLA deadline
// (NoSLADue without one); the zero time for the id orders.
func TicketSortTime(sort string, t domain.Ticket) time.Time {
	switch sort {
	case SortCreatedAsc, SortCreatedDesc:
		return t.CreatedAt
	case SortUpdatedAsc, SortUpdatedDesc:
		return t.UpdatedAt
	case SortSLADue:
		if t.SLA != nil && t.SLA.DueAt != nil {
			return *t.SLA.DueAt
		}
		return NoSLADue
	}
	return time.Time{}
}

// TicketCursor is where a page of a search ends: the last ticket's id and, when sorted
// by a time, that time.
type TicketCursor struct {
	At time.Time
	ID string
}

// sqlArgs numbers the arguments of a query as it is built; lang is the account's search
// language, passed as a value so the planner estimates a text match from the index statistics.
type sqlArgs struct {
	args []any
	lang string
}

func (a *sqlArgs) add(v any) string {
	a.args = append(a.args, v)
	return fmt.Sprintf("$%d", len(a.args))
}

// conditions are q's WHERE terms on tickets t of the account at $1.
func (q TicketQuery) conditions(a *sqlArgs) []string {
	where := []string{"t.account_id = $1"}
	in := func(col string, vs []string) {
		if len(vs) > 0 {
			where = append(where, col+" = ANY("+a.add(vs)+"::text[])")
		}
	}
	orNull := func(col string, vs []string, none bool) {
		switch {
		case none && len(vs) > 0:
			where = append(where, "("+col+" IS NULL OR "+col+" = ANY("+a.add(vs)+"::text[]))")
		case none:
			where = append(where, col+" IS NULL")
		default:
			in(col, vs)
		}
	}
	in("t.status", q.Status)
	if len(q.StatusNot) > 0 {
		where = append(where, "t.status <> ALL("+a.add(q.StatusNot)+"::text[])")
	}
	orNull("t.assignee_user_id", q.Assignees, q.Unassigned)
	orNull("t.assignee_team_id", q.Teams, q.NoTeam)
	in("t.channel_id", q.Channels)
	in("t.priority", q.Priorities)
	in("t.routing_state", q.RoutingStates)
	in("t.source", q.Sources)
	if len(q.Tags) > 0 {
		where = append(where, "t.tags @> "+a.add(q.Tags)+"::text[]")
	}
	if q.ContactID != "" {
		where = append(where, "t.contact_id = "+a.add(q.ContactID))
	}
	for _, r := range []struct {
		col, op string
		at      time.Time
	}{{"t.created_at", ">=", q.CreatedFrom}, {"t.created_at", "<", q.CreatedTo}, {"t.updated_at", ">=", q.UpdatedFrom}, {"t.updated_at", "<", q.UpdatedTo}} {
		if !r.at.IsZero() {
			where = append(where, r.col+" "+r.op+" "+a.add(r.at))
		}
	}
	if strings.TrimSpace(q.Text) != "" {
		where = append(where, textMatches(a, q.Text))
	}
	return where
}

// textMatches is the condition text puts on tickets t of the account at $1: the full-text
// vector of their subject, description and messages (tickets.text_vector) matches it as a
// query in the account's search language, or their contact does by trigrams (read once
// through the trigram index into an array). The planner walks the sort index and checks
// each ticket when the words are common, or reads the GIN index when they are rare.
func textMatches(a *sqlArgs, text string) string {
	tsq := "websearch_to_tsquery(" + a.add(a.lang) + "::regconfig, routedesk_unaccent(" + a.add(text) + "))"
	parts := []string{"t.text_vector @@ " + tsq}
	var contact []string
	if trimmed := strings.TrimSpace(text); len([]rune(trimmed)) >= minTrigramPattern {
		contact = append(contact, "search_text LIKE '%' || lower(routedesk_unaccent("+a.add(escapeLike(trimmed))+")) || '%'")
		if nameLike(trimmed) { // close spellings of a name; an address or number must match as written
			contact = append(contact, "lower(routedesk_unaccent("+a.add(trimmed)+")) <% search_name")
		}
	}
	if d := phoneDigits(text); len(d) >= 4 {
		contact = append(contact, "search_text LIKE "+a.add("%"+d+"%"))
	}
	if len(contact) > 0 {
		parts = append(parts, "t.contact_id = ANY(ARRAY(SELECT id FROM contacts WHERE account_id = $1 AND ("+strings.Join(contact, " OR ")+")))")
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// nameLike reports whether text reads as a name: letters, spaces, hyphens and apostrophes.
func nameLike(text string) bool {
	return !strings.ContainsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsSpace(r) && r != '-' && r != '\'' && r != '’'
	})
}

// escapeLike quotes LIKE's wildcards and escape character.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// phoneDigits is the digits of text when it reads as a phone number (digits, spaces,
// + - . ( ) only), else "".
func phoneDigits(text string) string {
	var b strings.Builder
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' || r == '-' || r == '.' || r == '(' || r == ')' || unicode.IsSpace(r):
		default:
			return ""
		}
	}
	return b.String()
}

// order is q's ORDER BY and the keyset condition after cur (nil: the first page).
func (q TicketQuery) order(a *sqlArgs, cur *TicketCursor) (orderBy, after string) {
	col, desc := "", true
	switch q.Sort {
	case SortOldest:
		desc = false
	case SortCreatedAsc, SortCreatedDesc:
		col, desc = "t.created_at", q.Sort == SortCreatedDesc
	case SortUpdatedAsc, SortUpdatedDesc:
		col, desc = "t.updated_at", q.Sort == SortUpdatedDesc
	case SortSLADue:
		col, desc = SLADueOrder, false
	}
	dir, cmp := " ASC", ">"
	if desc {
		dir, cmp = " DESC", "<"
	}
	if col == "" {
		orderBy = "t.id" + dir
		if cur != nil {
			after = "t.id " + cmp + " " + a.add(cur.ID)
		}
		return orderBy, after
	}
	orderBy = col + dir + ", t.id" + dir
	if cur != nil {
		after = "(" + col + ", t.id) " + cmp + " (" + a.add(cur.At) + ", " + a.add(cur.ID) + ")"
	}
	return orderBy, after
}

// ticketSearchSQL is the query SearchTickets runs, and its arguments: the page of tickets
// first, then its joins, so the planner weighs reading a rare word's matches through the
// GIN index and sorting them against walking the sort index without the joins' cost.
func ticketSearchSQL(accountID, lang string, q TicketQuery, cur *TicketCursor, limit int) (string, []any) {
	a := &sqlArgs{lang: lang}
	a.add(accountID)
	where := q.conditions(a)
	orderBy, after := q.order(a, cur)
	if after != "" {
		where = append(where, after)
	}
	page := fmt.Sprintf("SELECT * FROM tickets t WHERE %s ORDER BY %s LIMIT %s", strings.Join(where, " AND "), orderBy, a.add(limit))
	return strings.Replace(ticketSelect, "FROM tickets t\n", "FROM ("+page+") t\n", 1) + " ORDER BY " + orderBy, a.args
}

// SearchTickets returns up to limit of the account's tickets q matches, in q's order, after cur (nil: from the start).
func (s *Store) SearchTickets(ctx context.Context, accountID string, q TicketQuery, cur *TicketCursor, limit int) ([]domain.Ticket, error) {
	lang, err := s.searchLanguage(ctx, accountID, q)
	if err != nil {
		return nil, err
	}
	query, args := ticketSearchSQL(accountID, lang, q, cur, limit)
	var rows []ticketRow
	if err := s.db.SelectContext(ctx, &rows, query, customPlan(args)...); err != nil {
		return nil, fmt.Errorf("search tickets: %w", err)
	}
	out := make([]domain.Ticket, 0, len(rows))
	for _, r := range rows {
		t, err := r.ticket()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// TicketCount is how many tickets a query matches, counted up to a cap.
type TicketCount struct {
	Count int `json:"count"`
	// More is true when more tickets match than Count (the cap).
	More bool `json:"more"`
}

// MaxTicketCount is the most tickets CountTickets counts for one query; beyond, it answers More.
const MaxTicketCount = 10000

// ticketCountsSQL is one statement counting every query (a scalar subquery each, bounded by MaxTicketCount+1 rows).
func ticketCountsSQL(accountID, lang string, qs []TicketQuery) (string, []any) {
	a := &sqlArgs{lang: lang}
	a.add(accountID)
	cols := make([]string, len(qs))
	for i, q := range qs {
		cols[i] = fmt.Sprintf("(SELECT count(*) FROM (SELECT 1 FROM tickets t WHERE %s LIMIT %d) c%d)",
			strings.Join(q.conditions(a), " AND "), MaxTicketCount+1, i)
	}
	return "SELECT " + strings.Join(cols, ", "), a.args
}

// CountTicketQueries counts the account's tickets each query matches, in one statement.
func (s *Store) CountTicketQueries(ctx context.Context, accountID string, qs []TicketQuery) ([]TicketCount, error) {
	if len(qs) == 0 {
		return []TicketCount{}, nil
	}
	lang, err := s.searchLanguage(ctx, accountID, qs...)
	if err != nil {
		return nil, err
	}
	query, args := ticketCountsSQL(accountID, lang, qs)
	ns := make([]int, len(qs))
	dst := make([]any, len(qs))
	for i := range ns {
		dst[i] = &ns[i]
	}
	if err := s.db.QueryRowContext(ctx, query, customPlan(args)...).Scan(dst...); err != nil {
		return nil, fmt.Errorf("count tickets: %w", err)
	}
	out := make([]TicketCount, len(qs))
	for i, n := range ns {
		out[i] = TicketCount{Count: min(n, MaxTicketCount), More: n > MaxTicketCount}
	}
	return out, nil
}

// ExplainTicketSearch returns PostgreSQL's plan of the search (for tests and the benchmark).
func (s *Store) ExplainTicketSearch(ctx context.Context, accountID string, q TicketQuery, cur *TicketCursor, limit int) (string, error) {
	lang, err := s.searchLanguage(ctx, accountID, q)
	if err != nil {
		return "", err
	}
	query, args := ticketSearchSQL(accountID, lang, q, cur, limit)
	return s.explain(ctx, query, args)
}

// ExplainTicketCounts returns PostgreSQL's plan of CountTicketQueries.
func (s *Store) ExplainTicketCounts(ctx context.Context, accountID string, qs []TicketQuery) (string, error) {
	lang, err := s.searchLanguage(ctx, accountID, qs...)
	if err != nil {
		return "", err
	}
	query, args := ticketCountsSQL(accountID, lang, qs)
	return s.explain(ctx, query, args)
}

// customPlan runs a search with args through an unnamed statement, so PostgreSQL plans
// each one with its values (how many tickets a word matches decides between walking the
// sort index and reading the GIN index); a cached statement would switch to a generic plan.
func customPlan(args []any) []any {
	return append([]any{pgx.QueryExecModeCacheDescribe}, args...)
}

// searchLanguage is the account's text search configuration when one of qs searches text, else "simple".
func (s *Store) searchLanguage(ctx context.Context, accountID string, qs ...TicketQuery) (string, error) {
	if !slices.ContainsFunc(qs, func(q TicketQuery) bool { return strings.TrimSpace(q.Text) != "" }) {
		return "simple", nil
	}
	var lang string
	err := s.db.GetContext(ctx, &lang, `SELECT COALESCE((SELECT search_language::text FROM accounts WHERE id = $1), 'simple')`, accountID)
	if err != nil {
		return "", fmt.Errorf("search language: %w", err)
	}
	return lang, nil
}

func (s *Store) explain(ctx context.Context, query string, args []any) (string, error) {
	var lines []string
	if err := s.db.SelectContext(ctx, &lines, "EXPLAIN "+query, customPlan(args)...); err != nil {
		return "", fmt.Errorf("explain: %w", err)
	}
	return strings.Join(lines, "\n"), nil
}
