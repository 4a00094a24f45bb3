package main

import (
	"context"
	"log/slog"

	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/worker"
)

// registerSearchAttributes adds routedesk's search attributes to the
// namespace if they are missing. migrate, server and worker all call it, so
// whichever starts first on a fresh cluster makes deliveries possible; a
// failure (e.g. Temporal Cloud, where attributes are added in its console) is
// logged with what to add, and the process goes on.
func registerSearchAttributes(ctx context.Context, tc client.Client, cfg *config, log *slog.Logger) {
	if err := worker.EnsureSearchAttributes(ctx, tc, cfg.TemporalNamespace); err != nil {
		log.Warn("could not register search attributes; add them to the namespace yourself"+
			" (Keyword: ChannelType, ChannelId, AccountId, TicketId, AssigneeId, RoutingState, ReplyWindow, TicketStatus; Datetime: WaitingSince, SlaDueAt; Bool: SlaBreached)",
			"namespace", cfg.TemporalNamespace, "error", err)
		return
	}
	log.Info("search attributes registered", "namespace", cfg.TemporalNamespace)
}

// migrateSearchAttributes registers the search attributes from `routedesk
// migrate` when TEMPORAL_ADDRESS names a cluster; without it migrate touches PostgreSQL only.
func migrateSearchAttributes(ctx context.Context, cfg *config, log *slog.Logger) error {
	if cfg.TemporalAddress == "" {
		log.Info("TEMPORAL_ADDRESS is not set: search attributes are left to server and worker")
		return nil
	}
	tc, err := dialTemporal(ctx, cfg, cfg.TemporalAddress, log, nil, nil)
	if err != nil {
		return err
	}
	defer tc.Close()
	registerSearchAttributes(ctx, tc, cfg, log)
	return nil
}
