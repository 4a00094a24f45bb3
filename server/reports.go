package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/store"
)

// maxReportDays bounds a report's range.
const maxReportDays = 366

// reportQuery documents GET /v1/reports' query parameters.
var reportQuery = []string{"from", "to", "interval", "tz", "group_by", "channel_id", "team_id", "format"}

// reportRoutes are the reports routes of the route table.
func (s *Server) reportRoutes() []route {
	return []route{
		{method: http.MethodGet, path: "/v1/reports", tag: "reports", summary: "The account's report over a range of at most 366 days (from, to: RFC 3339 dates or date-times; a date `to` is included), per day or ISO week (interval) in a time zone (tz, IANA), per channel, team or agent (group_by), filtered by channel_id and team_id: tickets created and solved, first response and resolution times (count, median, p90; calendar and business hours), SLA targets met and breached, CSAT; JSON, or CSV for Accept: text/csv or format=csv", auth: authAdmin, response: store.Report{}, responseTypes: []string{"text/csv"}, status: 200, query: reportQuery, handler: s.getReport},
	}
}

// getReport answers an account's report (docs/reports.md) as JSON, or as CSV for
// Accept: text/csv or ?format=csv.
func (s *Server) getReport(c *gin.Context) {
	q, asCSV, errs := parseReportQuery(c)
	if len(errs) > 0 {
		s.fail(c, &domain.ValidationError{Errors: errs})
		return
	}
	q.AccountID = principal(c).AccountID
	rep, err := s.store.Report(c.Request.Context(), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	if asCSV {
		writeReportCSV(c, rep)
		return
	}
	c.JSON(http.StatusOK, rep)
}

// parseReportQuery reads and checks the query; errors name the parameter.
func parseReportQuery(c *gin.Context) (store.ReportQuery, bool, []domain.FieldError) {
	var errs []domain.FieldError
	fail := func(field, format string, args ...any) {
		errs = append(errs, domain.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	errs = append(errs, httpx.UnknownQuery(c.Request.URL.Query(), reportQuery...)...)
	q := store.ReportQuery{Interval: c.DefaultQuery("interval", store.ReportDay), GroupBy: c.DefaultQuery("group_by", store.ReportGroupNone),
		ChannelID: c.Query("channel_id"), TeamID: c.Query("team_id"), Location: time.UTC}
	if !slices.Contains(store.ReportIntervals, q.Interval) {
		fail("interval", "must be one of %s", strings.Join(store.ReportIntervals, ", "))
	}
	if !slices.Contains(store.ReportGroups, q.GroupBy) {
		fail("group_by", "must be one of %s", strings.Join(store.ReportGroups, ", "))
	}
	for _, f := range [][2]string{{"channel_id", q.ChannelID}, {"team_id", q.TeamID}} {
		if len(f[1]) > 200 || strings.ContainsFunc(f[1], func(r rune) bool { return r < ' ' || r == 0x7f }) {
			fail(f[0], "is not an id")
		}
	}
	if tz := c.Query("tz"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil || strings.EqualFold(tz, "local") || len(tz) > 64 {
			fail("tz", "must be an IANA time zone such as Europe/Stockholm")
		} else {
			q.Location = loc
		}
	}
	format := c.Query("format")
	if format != "" && format != "json" && format != "csv" {
		fail("format", "must be json or csv")
	}
	asCSV := format == "csv" || format == "" && acceptsCSV(c.GetHeader("Accept"))
	var ok [2]bool
	q.From, ok[0] = reportTime(c.Query("from"), q.Location, false)
	q.To, ok[1] = reportTime(c.Query("to"), q.Location, true)
	for i, field := range []string{"from", "to"} {
		if !ok[i] {
			fail(field, "is required: an RFC 3339 date (2026-01-31) or date-time (2026-01-31T09:00:00Z)")
		}
	}
	if ok[0] && ok[1] {
		switch {
		case !q.To.After(q.From):
			fail("to", "must be after from")
		case q.To.After(q.From.AddDate(0, 0, maxReportDays)):
			fail("to", "is more than %d days after from", maxReportDays)
		}
	}
	slices.SortStableFunc(errs, func(a, b domain.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return q, asCSV, errs
}

// reportTime parses a date (midnight in loc; for the end of a range, the midnight after it, so
// the date is included) or an RFC 3339 date-time.
func reportTime(v string, loc *time.Location, end bool) (time.Time, bool) {
	if d, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
		if end {
			d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
		}
		return d, d.Year() >= 1970 && d.Year() < 10000
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	return t, err == nil && t.Year() >= 1970
}

// acceptsCSV reports whether an Accept header names text/csv before any JSON type.
func acceptsCSV(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.ToLower(strings.TrimSpace(mt)) {
		case "text/csv":
			return true
		case "application/json", "application/problem+json":
			return false
		}
	}
	return false
}
