package server

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/store"
)

// FuzzTicketQuery feeds any query string to the ticket list's parser: it answers valid
// filters or a validation error (a 422 naming the field), never panics, and what it
// accepts resolves to a store query and pages with cursors that read back.
func FuzzTicketQuery(f *testing.F) {
	for _, seed := range []string{"", "q=lamp", "q=%22charged+twice%22+-card", "status=open,new&status_not=closed",
		"assignee_id=me,none&team_id=none", "created_after=2024-05-01&updated_before=2024-05-01T12:00:00Z",
		"sort=-updated_at&cursor=LXVwZGF0ZWRfYXR8MTcxNDU2NDgwMDAwMDAwMHx0a3RfMQ", "q=%00", "q=%ff%fe", "colour=red",
		"limit=0", "view=mine&tags=vip,,b2b", "q=a&q=b", "cursor=dGt0XzE"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // checkParams answers 422 before the handler runs
		}
		p, err := parseTicketParams(q, ticketQuery)
		if err != nil {
			var invalid *domain.ValidationError
			if !errors.As(err, &invalid) {
				t.Fatalf("%q: %v is not a validation error", raw, err)
			}
			return
		}
		if !utf8.ValidString(p.filters.Q) || strings.ContainsRune(p.filters.Q, 0) || utf8.RuneCountInString(p.filters.Q) > maxSearchRunes {
			t.Fatalf("%q: accepted q %q", raw, p.filters.Q)
		}
		sq, err := p.filters.query(domain.Principal{AccountID: "acc_1", UserID: "usr_1", Role: domain.RoleAgent})
		if err != nil {
			t.Fatalf("%q: valid filters do not resolve: %v", raw, err)
		}
		cur, err := decodeTicketCursor(sq.Sort, p.cursor)
		if err != nil {
			return
		}
		if cur != nil {
			tk := domain.Ticket{ID: cur.ID, CreatedAt: cur.At, UpdatedAt: cur.At, SLA: &domain.TicketSLA{DueAt: &cur.At}}
			again, err := decodeTicketCursor(sq.Sort, encodeTicketCursor(sq.Sort, tk))
			if err != nil || again.ID != cur.ID || !again.At.Equal(cur.At) {
				t.Fatalf("%q: cursor %+v does not read back: %+v, %v", raw, cur, again, err)
			}
		}
	})
}

func TestTicketCursorRoundTrip(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 30, 0, 123456000, time.UTC)
	for _, sort := range store.TicketSorts {
		c := encodeTicketCursor(sort, domain.Ticket{ID: "tkt_0193abc", CreatedAt: at, UpdatedAt: at, SLA: &domain.TicketSLA{DueAt: &at}})
		got, err := decodeTicketCursor(sort, c)
		if err != nil || got.ID != "tkt_0193abc" || (timeSort(sort) && !got.At.Equal(at)) {
			t.Fatalf("%s: %+v, %v", sort, got, err)
		}
		for _, other := range store.TicketSorts {
			if other != sort && (timeSort(other) || timeSort(sort)) {
				if _, err := decodeTicketCursor(other, c); err == nil {
					t.Fatalf("a %s cursor read as %s", sort, other)
				}
			}
		}
	}
}
