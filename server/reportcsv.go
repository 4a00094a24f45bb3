package server

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/store"
)

// reportCSVHeader names the CSV columns: one row per bucket and group.
var reportCSVHeader = []string{"bucket_start", "bucket_end", "group_id", "group_name", "created", "solved",
	"first_response_count", "first_response_median_seconds", "first_response_p90_seconds",
	"resolution_count", "resolution_median_seconds", "resolution_p90_seconds",
	"first_response_business_count", "first_response_business_median_seconds", "first_response_business_p90_seconds",
	"resolution_business_count", "resolution_business_median_seconds", "resolution_business_p90_seconds",
	"sla_first_response_met", "sla_first_response_breached", "sla_resolution_met", "sla_resolution_breached", "sla_achieved_percent",
	"csat_responses", "csat_average_rating", "csat_satisfied_percent",
	// Added later, so earlier columns keep their places.
	"next_response_count", "next_response_median_seconds", "next_response_p90_seconds",
	"next_response_business_count", "next_response_business_median_seconds", "next_response_business_p90_seconds",
	"sla_next_response_met", "sla_next_response_breached"}

// writeReportCSV answers the report's buckets as RFC 4180 CSV with a header row; an empty
// cell is a figure with nothing to measure.
func writeReportCSV(c *gin.Context, rep store.Report) {
	names := map[string]string{}
	for _, g := range rep.Groups {
		names[g.ID] = g.Name
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="report-%s-%s.csv"`,
		rep.From.Format("20060102"), rep.To.Format("20060102")))
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.Write(reportCSVHeader) // a failed write is the client gone; Flush reports nothing to anyone
	for _, b := range rep.Buckets {
		m := b.ReportMetrics
		row := []string{b.Start.Format(time.RFC3339), b.End.Format(time.RFC3339), b.Group, csvSafe(names[b.Group]),
			csvCount(m.Created), csvCount(m.Solved)}
		for _, d := range []store.DurationStats{m.FirstResponse, m.Resolution, m.FirstResponseBusiness, m.ResolutionBusiness} {
			row = append(row, csvCount(d.Count), figure(d.MedianSeconds), figure(d.P90Seconds))
		}
		row = append(row, csvCount(m.SLA.FirstResponse.Met), csvCount(m.SLA.FirstResponse.Breached), csvCount(m.SLA.Resolution.Met),
			csvCount(m.SLA.Resolution.Breached), figure(m.SLA.AchievedPercent),
			csvCount(m.CSAT.Responses), figure(m.CSAT.AverageRating), figure(m.CSAT.SatisfiedPercent))
		for _, d := range []store.DurationStats{m.NextResponse, m.NextResponseBusiness} {
			row = append(row, csvCount(d.Count), figure(d.MedianSeconds), figure(d.P90Seconds))
		}
		row = append(row, csvCount(m.SLA.NextResponse.Met), csvCount(m.SLA.NextResponse.Breached))
		_ = w.Write(row)
	}
	w.Flush()
}

func csvCount(n int64) string { return strconv.FormatInt(n, 10) }

// figure formats a measured value exactly (shortest form), "" for none.
func figure(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// csvSafe keeps a name a spreadsheet would run as a formula (=, +, -, @) from being one.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}
