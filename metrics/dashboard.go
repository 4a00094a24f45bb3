package metrics

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Pieces of PromQL that hold no metric names: strings, label matchers,
// ranges and grouping labels; labelValues keeps only label_values' metric.
var (
	promStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	labelValues  = regexp.MustCompile(`label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)[^)]*\)`)
	promKeywords = []string{"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"}
)

// QueryMetrics returns the metric names a PromQL expression (or a Grafana
// label_values query) reads; function names, keywords and Grafana variables are not names.
func QueryMetrics(expr string) []string {
	e := labelValues.ReplaceAllString(expr, "$1")
	for _, re := range []*regexp.Regexp{promStrings, promMatchers, promRanges, promGrouping} {
		e = re.ReplaceAllString(e, " ")
	}
	var out []string
	for _, loc := range promIdent.FindAllStringIndex(e, -1) {
		name := e[loc[0]:loc[1]]
		rest := strings.TrimLeft(e[loc[1]:], " \t\n")
		switch {
		case loc[0] > 0 && (e[loc[0]-1] == '$' || e[loc[0]-1] == '.' || (e[loc[0]-1] >= '0' && e[loc[0]-1] <= '9')):
			continue // a Grafana variable, or part of a number (1e3)
		case strings.HasPrefix(rest, "("), slices.Contains(promKeywords, strings.ToLower(name)):
			continue
		}
		out = append(out, name)
	}
	return out
}

// DashboardQueries returns every query of a Grafana dashboard: each target's
// expr and each template variable's query, keyed by where it is.
func DashboardQueries(dashboard []byte) (map[string]string, error) {
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string          `json:"name"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(dashboard, &d); err != nil {
		return nil, fmt.Errorf("parse dashboard: %w", err)
	}
	out := map[string]string{}
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			out[fmt.Sprintf("panel %q target %s", p.Title, t.RefID)] = t.Expr
		}
	}
	for _, v := range d.Templating.List {
		var q struct {
			Query string `json:"query"`
		}
		var s string
		if json.Unmarshal(v.Query, &s) != nil {
			_ = json.Unmarshal(v.Query, &q)
			s = q.Query
		}
		out[fmt.Sprintf("variable %q", v.Name)] = s
	}
	return out, nil
}

// Exported returns the series names g exports: each family's name and, for
// histograms and summaries, its _bucket, _sum and _count series.
func Exported(g prometheus.Gatherer) (map[string]bool, error) {
	families, err := g.Gather()
	if err != nil {
		return nil, fmt.Errorf("gather: %w", err)
	}
	out := map[string]bool{}
	for _, f := range families {
		out[f.GetName()] = true
		switch f.GetType().String() {
		case "HISTOGRAM", "GAUGE_HISTOGRAM":
			out[f.GetName()+"_bucket"], out[f.GetName()+"_sum"], out[f.GetName()+"_count"] = true, true, true
		case "SUMMARY":
			out[f.GetName()+"_sum"], out[f.GetName()+"_count"] = true, true
		}
	}
	return out, nil
}

// UnknownMetrics lists, per query of the dashboard, the metric names it reads
// that exported does not have; a query that names no metric is listed too.
func UnknownMetrics(dashboard []byte, exported map[string]bool) ([]string, error) {
	queries, err := DashboardQueries(dashboard)
	if err != nil {
		return nil, err
	}
	var out []string
	for where, q := range queries {
		names := QueryMetrics(q)
		if len(names) == 0 {
			out = append(out, where+": names no metric")
		}
		for _, n := range names {
			if !exported[n] {
				out = append(out, where+": "+n)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
