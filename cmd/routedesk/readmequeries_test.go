package main

import (
	"context"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/internal/testenv"
)

var (
	// readmeViewRow is a row of the saved-views table of docs/operations.md (after its "| view | query |" header): | view | `query` … |.
	readmeViewRow = regexp.MustCompile("(?m)^\\| [^|`]+ \\| `([^`]+)`")
	// readmeQueryFlag is a --query '…' of a command in the docs.
	readmeQueryFlag = regexp.MustCompile(`--query '([^']+)'`)
	// readmeSearchBox is a query the docs give for the Temporal UI's search box.
	readmeSearchBox = regexp.MustCompile("search box \\(`([^`]+)`\\)")
	// readmeConversations is a `routedesk conversations` command line of the docs.
	readmeConversations = regexp.MustCompile(`(?m)^routedesk conversations ([^#\n]*)`)
	// readmePlaceholder is a placeholder time in a documented query: "<now − 10 min, RFC 3339>".
	readmePlaceholder = regexp.MustCompile(`"<now[^>]*RFC 3339>"`)
)

// shellWords splits a documented command line's arguments at spaces, keeping single-quoted text whole.
func shellWords(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if strings.HasPrefix(s, "'") {
			end := strings.Index(s[1:], "'")
			if end < 0 {
				return append(out, s[1:])
			}
			out = append(out, s[1:1+end])
			s = s[2+end:]
			continue
		}
		word, rest, _ := strings.Cut(s, " ")
		out = append(out, word)
		s = rest
	}
	return out
}

// docsText is README.md and every page under docs/, one after the other.
func docsText(t *testing.T) string {
	t.Helper()
	pages := []string{"../../README.md"}
	require.NoError(t, filepath.WalkDir("../../docs", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			pages = append(pages, p)
		}
		return err
	}))
	var b strings.Builder
	for _, p := range pages {
		raw, err := os.ReadFile(p)
		require.NoError(t, err)
		b.Write(raw)
		b.WriteString("\n\n")
	}
	return b.String()
}

// readmeQueries are the visibility queries the README and docs/ give ops, placeholders filled in.
func readmeQueries(t *testing.T) []string {
	t.Helper()
	text := docsText(t)
	var out []string
	_, views, ok := strings.Cut(text, "| view | query |")
	require.True(t, ok, "the saved-views table of docs/operations.md")
	views, _, _ = strings.Cut(views, "\n\n")
	for _, m := range readmeViewRow.FindAllStringSubmatch(views, -1) {
		out = append(out, m[1])
	}
	for _, re := range []*regexp.Regexp{readmeQueryFlag, readmeSearchBox} {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			if m[1] != "…" { // "--query '…'": any query of the reader's
				out = append(out, m[1])
			}
		}
	}
	now := time.Now()
	for _, m := range readmeConversations.FindAllStringSubmatch(text, -1) {
		var f conversationsFlags
		fs := flag.NewFlagSet("conversations", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		bindConversations(fs, &f)
		require.NoError(t, fs.Parse(shellWords(m[1])), m[0])
		out = append(out, conversationsQuery(f, now))
	}
	for i, q := range out {
		out[i] = readmePlaceholder.ReplaceAllString(q, `"`+now.Add(-10*time.Minute).UTC().Format(time.RFC3339)+`"`)
	}
	return out
}

// Issue 31, point 12: every visibility query the README and docs/ give (saved views,
// search-box examples, --query arguments, the `routedesk conversations` lines)
// is one the Temporal server with routedesk's search attributes accepts.
func TestReadmeVisibilityQueriesAreValid(t *testing.T) {
	queries := readmeQueries(t)
	require.GreaterOrEqual(t, len(queries), 10, "the documented queries were not found: %q", queries)
	srv := testenv.Temporal(t)
	tc, err := client.Dial(client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace()})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	list := func(q string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: q, PageSize: 10})
		return err
	}
	// The server does refuse what it cannot parse, so an accepted query is a valid one.
	require.Error(t, list(`RoutingState = "unassigned" AND`))
	require.Error(t, list(`RoutingStat = "unassigned"`))
	for _, q := range queries {
		require.NoError(t, list(q), "README query %q", q)
	}
	t.Logf("%d README queries accepted: %q", len(queries), queries)
}
