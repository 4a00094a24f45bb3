package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/workflows"
)

// changeMarker is what a run that took change ch's new code carries in TemporalChangeVersion.
func changeMarker(ch workflows.Change) string {
	return fmt.Sprintf("%s-%d", ch.ID, ch.Version)
}

// versionsQuery is the visibility query of the open conversation runs that may predate ch:
// they lack its marker (never took its new code) and can reach its code at all (ch.Scope).
func versionsQuery(ch workflows.Change) string {
	terms := []string{`WorkflowType = "ConversationWorkflow"`, `ExecutionStatus = "Running"`,
		fmt.Sprintf(`(TemporalChangeVersion IS NULL OR TemporalChangeVersion NOT IN (%s))`, strconv.Quote(changeMarker(ch)))}
	if ch.Scope != "" {
		terms = append(terms, "("+ch.Scope+")")
	}
	return strings.Join(terms, " AND ")
}

// runVersions prints, for every change in the workflow's version ledger, how many open
// conversation runs may still predate it (README: Workflow versions).
func runVersions(ctx context.Context, cfg *config, log *slog.Logger, stdout io.Writer) error {
	_, statErr := os.Stat(filepath.Join(cfg.DataDir, "secret.key"))
	codec, err := payloadCodec(cfg, statErr == nil) // without ROUTEDESK_SECRET_KEY: dev's key in the data dir
	if err != nil {
		return err
	}
	tc, err := dialTemporal(ctx, cfg, temporalAddress(cfg), log, nil, codec)
	if err != nil {
		return err
	}
	defer tc.Close()
	return countVersions(ctx, tc, workflows.Changes, stdout)
}

// countVersions prints one line per change: when it landed, whether it is retired, and the
// open runs that may predate it; then the query behind each count.
func countVersions(ctx context.Context, tc client.Client, changes []workflows.Change, w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANGE\tLANDED\tSTATE\tOPEN RUNS THAT MAY PREDATE IT")
	var queries []string
	for _, ch := range changes {
		state := "active"
		if ch.Retired {
			state = "retired"
		}
		if ch.AtEnd {
			fmt.Fprintf(tw, "%s\t%s\t%s\t0 (reached only as a run ends)\n", ch.ID, ch.Date, state)
			continue
		}
		q := versionsQuery(ch)
		resp, err := tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: q})
		if err != nil {
			return fmt.Errorf("count runs that may predate %s (%s): %w", ch.ID, q, err)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", ch.ID, ch.Date, state, resp.GetCount())
		queries = append(queries, ch.ID+": "+q)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print versions: %w", err)
	}
	fmt.Fprintln(w, "queries (the Temporal UI's search box takes them as they are):")
	for _, q := range queries {
		fmt.Fprintln(w, "  "+q)
	}
	return nil
}
