package server

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// Bounds of a ticket search.
const (
	maxSearchRunes   = 500 // q, in characters
	maxFilterValues  = 50  // values of one list filter
	maxFilterValueSz = 200 // characters of one filter value
)

// ticketFilters are the filters of GET /v1/tickets and of a saved view, by the same names.
// Lists match any of their values (tags: all of them).
type ticketFilters struct {
	Q          string   `json:"q,omitempty"`
	Status     []string `json:"status,omitempty"`
	StatusNot  []string `json:"status_not,omitempty"`
	AssigneeID []string `json:"assignee_id,omitempty"` // user ids, "me", "none"
	TeamID     []string `json:"team_id,omitempty"`     // team ids, "none"
	ChannelID  []string `json:"channel_id,omitempty"`
	Priority   []string `json:"priority,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	// RoutingState holds routing, waiting_for_agent, assigned or unassigned.
	RoutingState []string `json:"routing_state,omitempty"`
	ContactID    string   `json:"contact_id,omitempty"`
	// Source holds channel, api, import or integration.
	Source []string `json:"source,omitempty"`
	// The time bounds are RFC 3339 times or dates (midnight UTC); *_after inclusive, *_before exclusive.
	CreatedAfter  string `json:"created_after,omitempty"`
	CreatedBefore string `json:"created_before,omitempty"`
	UpdatedAfter  string `json:"updated_after,omitempty"`
	UpdatedBefore string `json:"updated_before,omitempty"`
	Sort          string `json:"sort,omitempty"`
}

// listFilters are ticketFilters' list parameters; the others take one value.
var listFilters = []string{"status", "status_not", "assignee_id", "team_id", "channel_id", "priority", "tags", "routing_state", "source"}

// ticketQuery lists the query parameters of GET /v1/tickets.
var ticketQuery = append([]string{"q", "status", "status_not", "assignee_id", "team_id", "channel_id", "priority", "tags",
	"routing_state", "contact_id", "source", "created_after", "created_before", "updated_after", "updated_before", "sort", "view"}, httpx.PageQuery...)

// viewTicketsQuery lists the query parameters of GET /v1/views/{id}/tickets.
var viewTicketsQuery = slices.DeleteFunc(slices.Clone(ticketQuery), func(k string) bool { return k == "view" })

// fields maps each filter's parameter name to its field.
func (f *ticketFilters) fields() (lists map[string]*[]string, single map[string]*string) {
	return map[string]*[]string{"status": &f.Status, "status_not": &f.StatusNot, "assignee_id": &f.AssigneeID, "team_id": &f.TeamID,
			"channel_id": &f.ChannelID, "priority": &f.Priority, "tags": &f.Tags, "routing_state": &f.RoutingState, "source": &f.Source},
		map[string]*string{"q": &f.Q, "contact_id": &f.ContactID, "created_after": &f.CreatedAfter, "created_before": &f.CreatedBefore,
			"updated_after": &f.UpdatedAfter, "updated_before": &f.UpdatedBefore, "sort": &f.Sort}
}

// ticketParams is a ticket list request: its filters, which of them it set, the view it names and its page.
type ticketParams struct {
	filters ticketFilters
	set     map[string]bool
	view    string
	limit   int
	cursor  string
}

// parseTicketParams reads a ticket list's query; allowed are the names it may carry. Unknown
// names, repeated single values and malformed values are a 422 naming the parameter.
func parseTicketParams(q url.Values, allowed []string) (ticketParams, error) {
	p := ticketParams{set: map[string]bool{}, limit: httpx.DefaultPageLimit}
	if err := httpx.CheckQuery(q, allowed...); err != nil {
		return p, err
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	lists, single := p.filters.fields()
	for _, k := range keys {
		vs := q[k]
		if dst, ok := lists[k]; ok {
			for _, v := range vs {
				for _, part := range strings.Split(v, ",") {
					if part = strings.TrimSpace(part); part != "" {
						*dst = append(*dst, part)
					}
				}
			}
			p.set[k] = len(*dst) > 0
			continue
		}
		if len(vs) > 1 {
			return p, domain.Invalid(k, "must be given once")
		}
		v := vs[0]
		switch k {
		case "view":
			p.view = v
		case "limit":
			if v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > httpx.MaxPageLimit {
					return p, domain.Invalid("limit", "must be a whole number from 1 to 500")
				}
				p.limit = n
			}
		case "cursor":
			p.cursor = v
		default:
			*single[k] = v
			p.set[k] = v != ""
		}
	}
	if err := p.filters.validate(""); err != nil {
		return p, err
	}
	if p.view != "" && !httpx.CursorID.MatchString(p.view) {
		return p, domain.Invalid("view", "is not a view id")
	}
	return p, nil
}

// validate checks every filter; prefix names the fields of a view's filters ("filters.").
func (f ticketFilters) validate(prefix string) error {
	if err := checkQueryText(f.Q); err != "" {
		return domain.Invalid(prefix+"q", err)
	}
	lists, _ := f.fields()
	for _, k := range listFilters {
		vs := *lists[k]
		if len(vs) > maxFilterValues {
			return domain.Invalid(prefix+k, "takes at most "+strconv.Itoa(maxFilterValues)+" values")
		}
		for _, v := range vs {
			if msg := filterValueProblem(v); msg != "" {
				return domain.Invalid(prefix+k, msg)
			}
		}
	}
	for _, v := range f.RoutingState {
		if !slices.Contains([]string{domain.RoutingRouting, domain.RoutingWaitingForAgent, domain.RoutingAssigned, domain.RoutingUnassigned}, v) {
			return domain.Invalid(prefix+"routing_state", "must be one of: routing, waiting_for_agent, assigned, unassigned")
		}
	}
	for _, v := range f.Source {
		if !slices.Contains([]string{"channel", "api", "import", "integration"}, v) {
			return domain.Invalid(prefix+"source", "must be one of: channel, api, import, integration")
		}
	}
	if msg := filterValueProblem(f.ContactID); f.ContactID != "" && msg != "" {
		return domain.Invalid(prefix+"contact_id", msg)
	}
	for k, v := range map[string]string{"created_after": f.CreatedAfter, "created_before": f.CreatedBefore, "updated_after": f.UpdatedAfter, "updated_before": f.UpdatedBefore} {
		if _, err := parseFilterTime(v); err != nil {
			return domain.Invalid(prefix+k, "must be an RFC 3339 time (2024-05-01T12:00:00Z) or a date (2024-05-01)")
		}
	}
	if f.Sort != "" && !slices.Contains(store.TicketSorts, f.Sort) {
		return domain.Invalid(prefix+"sort", "must be one of: "+strings.Join(store.TicketSorts, ", "))
	}
	return nil
}

// checkQueryText says what is wrong with a search text, or "".
func checkQueryText(q string) string {
	if !utf8.ValidString(q) {
		return "must be valid UTF-8"
	}
	if n := utf8.RuneCountInString(q); n > maxSearchRunes {
		return "must be at most " + strconv.Itoa(maxSearchRunes) + " characters"
	}
	if i := strings.IndexFunc(q, httpx.IsControl); i >= 0 {
		return "must not contain control characters"
	}
	return ""
}

// filterValueProblem says what is wrong with one filter value, or "".
func filterValueProblem(v string) string {
	if msg := checkQueryText(v); msg != "" {
		return msg
	}
	if utf8.RuneCountInString(v) > maxFilterValueSz {
		return "values must be at most " + strconv.Itoa(maxFilterValueSz) + " characters"
	}
	if strings.TrimSpace(v) == "" {
		return "values must not be blank"
	}
	return ""
}

// parseFilterTime reads an RFC 3339 time or a date; "" is the zero time.
func parseFilterTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, v)
}

// override returns f with the filters req sets replaced by req's (a view refined by a request).
func (f ticketFilters) override(req ticketFilters, set map[string]bool) ticketFilters {
	dl, ds := f.fields()
	sl, ss := req.fields()
	for k, dst := range dl {
		if set[k] {
			*dst = *sl[k]
		}
	}
	for k, dst := range ds {
		if set[k] {
			*dst = *ss[k]
		}
	}
	return f
}

// query resolves valid filters for the caller: "me" is the token's user, "none" no assignee or team.
func (f ticketFilters) query(p domain.Principal) (store.TicketQuery, error) {
	q := store.TicketQuery{Text: f.Q, Status: f.Status, StatusNot: f.StatusNot, Channels: f.ChannelID, Priorities: f.Priority,
		Tags: f.Tags, RoutingStates: f.RoutingState, ContactID: f.ContactID, Sources: f.Source, Sort: f.Sort}
	for _, v := range f.AssigneeID {
		switch v {
		case "none":
			q.Unassigned = true
		case "me":
			if p.UserID == "" {
				return q, domain.Invalid("assignee_id", "me needs a token bound to a user; this admin token has none")
			}
			q.Assignees = append(q.Assignees, p.UserID)
		default:
			q.Assignees = append(q.Assignees, v)
		}
	}
	for _, v := range f.TeamID {
		if v == "none" {
			q.NoTeam = true
		} else {
			q.Teams = append(q.Teams, v)
		}
	}
	q.CreatedFrom, _ = parseFilterTime(f.CreatedAfter) // validated
	q.CreatedTo, _ = parseFilterTime(f.CreatedBefore)
	q.UpdatedFrom, _ = parseFilterTime(f.UpdatedAfter)
	q.UpdatedTo, _ = parseFilterTime(f.UpdatedBefore)
	return q, nil
}

// timeSort reports whether a sort order pages by a time (its cursor carries one).
func timeSort(sort string) bool {
	return sort != "" && sort != store.SortNewest && sort != store.SortOldest
}

// encodeTicketCursor is the cursor after t: its id alone in id order (the format ticket
// cursors always had), else "sort|unix microseconds|id".
func encodeTicketCursor(sort string, t domain.Ticket) string {
	if !timeSort(sort) {
		return base64.RawURLEncoding.EncodeToString([]byte(t.ID))
	}
	at := store.TicketSortTime(sort, t)
	return base64.RawURLEncoding.EncodeToString([]byte(sort + "|" + strconv.FormatInt(at.UnixMicro(), 10) + "|" + t.ID))
}

// decodeTicketCursor reads a cursor encodeTicketCursor made for the same sort order.
func decodeTicketCursor(sort, v string) (*store.TicketCursor, error) {
	if v == "" {
		return nil, nil
	}
	bad := domain.Invalid("cursor", "is not a cursor this API returned for this sort order")
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, bad
	}
	parts := strings.Split(string(b), "|")
	if !timeSort(sort) {
		if len(parts) != 1 || !httpx.CursorID.Match(b) {
			return nil, bad
		}
		return &store.TicketCursor{ID: string(b)}, nil
	}
	if len(parts) != 3 || parts[0] != sort || !httpx.CursorID.MatchString(parts[2]) {
		return nil, bad
	}
	us, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || us < -62135596800000000 || us > 253402300799999999 { // years 1 to 9999
		return nil, bad
	}
	return &store.TicketCursor{At: time.UnixMicro(us).UTC(), ID: parts[2]}, nil
}

// searchTickets answers a page of the tickets the request's filters, refined from the view
// viewID ("": the request's ?view=, if any), match.
func (s *Server) searchTickets(c *gin.Context, viewID string, allowed []string) {
	p := principal(c)
	params, err := parseTicketParams(c.Request.URL.Query(), allowed)
	if err != nil {
		s.fail(c, err)
		return
	}
	filters := params.filters
	if viewID == "" {
		viewID = params.view
	}
	if viewID != "" {
		v, err := s.view(c, viewID)
		if err != nil {
			s.fail(c, err)
			return
		}
		filters = v.Filters.override(params.filters, params.set)
	}
	q, err := filters.query(p)
	if err != nil {
		s.fail(c, err)
		return
	}
	cur, err := decodeTicketCursor(q.Sort, params.cursor)
	if err != nil {
		s.fail(c, err)
		return
	}
	ts, err := s.store.SearchTickets(c.Request.Context(), p.AccountID, q, cur, params.limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := httpx.List[domain.Ticket]{Items: ts}
	if len(ts) == params.limit {
		next := encodeTicketCursor(q.Sort, ts[len(ts)-1])
		out.NextCursor = &next
	}
	c.JSON(http.StatusOK, out)
}
