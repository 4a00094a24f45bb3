package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/workflows"
)

// conversationsFlags are the filters of `routedesk conversations`.
type conversationsFlags struct {
	WaitingLonger time.Duration
	ChannelType   string
	ReplyWindow   string
	RoutingState  string
	Query         string
	All           bool
	Limit         int
}

// bindConversations declares the filters of `routedesk conversations` on fs.
func bindConversations(fs *flag.FlagSet, f *conversationsFlags) {
	fs.DurationVar(&f.WaitingLonger, "waiting-longer", 0, "only conversations waiting for an agent for longer than this, e.g. 10m")
	fs.StringVar(&f.ChannelType, "channel-type", "", "only this channel type, e.g. messenger")
	fs.StringVar(&f.ReplyWindow, "reply-window", "", "only this reply window: open, human_agent_only, closed, none")
	fs.StringVar(&f.RoutingState, "routing-state", "", "only this routing state: routing, waiting_for_agent, unassigned, assigned")
	fs.StringVar(&f.Query, "query", "", "extra Temporal visibility query, ANDed with the filters")
	fs.BoolVar(&f.All, "all", false, "closed conversations too (default: running only)")
	fs.IntVar(&f.Limit, "limit", 100, "at most this many conversations")
}

// conversationsQuery is the Temporal visibility query of the filters at now:
// the same text works in the Temporal UI's search box and `temporal workflow list --query`.
func conversationsQuery(f conversationsFlags, now time.Time) string {
	terms := []string{`WorkflowType = "ConversationWorkflow"`}
	if !f.All {
		terms = append(terms, `ExecutionStatus = "Running"`)
	}
	if f.WaitingLonger > 0 {
		terms = append(terms, fmt.Sprintf(`%s = %q`, workflows.RoutingStateKey.GetName(), domain.RoutingWaitingForAgent),
			fmt.Sprintf(`%s < %q`, workflows.WaitingSinceKey.GetName(), now.Add(-f.WaitingLonger).UTC().Format(time.RFC3339)))
	}
	for _, kv := range [][2]string{
		{workflows.ChannelTypeKey.GetName(), f.ChannelType},
		{workflows.ReplyWindowKey.GetName(), f.ReplyWindow},
		{workflows.RoutingStateKey.GetName(), f.RoutingState},
	} {
		if kv[1] != "" {
			terms = append(terms, fmt.Sprintf("%s = %s", kv[0], strconv.Quote(kv[1])))
		}
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		terms = append(terms, "("+q+")")
	}
	return strings.Join(terms, " AND ")
}

// runConversations lists conversation workflows matching the filters, as
// the Temporal UI would, with the channel name decoded through the payload codec.
func runConversations(ctx context.Context, cfg *config, log *slog.Logger, stdout io.Writer) error {
	_, statErr := os.Stat(filepath.Join(cfg.DataDir, "secret.key"))
	codec, err := payloadCodec(cfg, statErr == nil) // without ROUTEDESK_SECRET_KEY: dev's key in the data dir
	if err != nil {
		return err
	}
	// The memo of a conversation is under the conversation's own key, kept in PostgreSQL.
	st, err := openStore(ctx, cfg, nil, false, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if codec, err = withKeyring(cfg, codec, st, statErr == nil); err != nil {
		return err
	}
	tc, err := dialTemporal(ctx, cfg, temporalAddress(cfg), log, nil, codec)
	if err != nil {
		return err
	}
	defer tc.Close()
	return listConversations(ctx, tc, codec.DataConverter(), cfg.Conversations, time.Now(), stdout)
}

// listConversations prints the query, then one line per matching conversation.
func listConversations(ctx context.Context, tc client.Client, dc converter.DataConverter, f conversationsFlags, now time.Time, w io.Writer) error {
	query := conversationsQuery(f, now)
	fmt.Fprintf(w, "query: %s\n", query)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKFLOW ID\tCHANNEL\tROUTING\tWAITING\tREPLY WINDOW\tTICKET\tASSIGNEE")
	var next []byte
	n := 0
	for n < f.Limit {
		resp, err := tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: next, PageSize: int32(min(f.Limit-n, 1000))})
		if err != nil {
			return fmt.Errorf("list conversations (%s): %w", query, err)
		}
		for _, ex := range resp.GetExecutions() {
			if n >= f.Limit {
				break
			}
			n++
			sa := ex.GetSearchAttributes().GetIndexedFields()
			keyword := func(name string) string {
				var s string
				if p, ok := sa[name]; ok {
					_ = converter.GetDefaultDataConverter().FromPayload(p, &s)
				}
				return orDash(s)
			}
			channel := keyword(workflows.ChannelTypeKey.GetName())
			if p, ok := ex.GetMemo().GetFields()[workflows.MemoChannelName]; ok {
				var name string
				if dc.FromPayload(p, &name) == nil && name != "" {
					channel += " “" + name + "”"
				}
			}
			waiting := "-"
			if p, ok := sa[workflows.WaitingSinceKey.GetName()]; ok {
				var since time.Time
				if converter.GetDefaultDataConverter().FromPayload(p, &since) == nil {
					waiting = now.Sub(since).Round(time.Second).String()
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ex.GetExecution().GetWorkflowId(), channel,
				keyword(workflows.RoutingStateKey.GetName()), waiting, keyword(workflows.ReplyWindowKey.GetName()),
				keyword(workflows.TicketIDKey.GetName()), keyword(workflows.AssigneeIDKey.GetName()))
		}
		if next = resp.GetNextPageToken(); len(next) == 0 {
			break
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print conversations: %w", err)
	}
	fmt.Fprintf(w, "%d conversation(s)\n", n)
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
