package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// runTemporal runs only the embedded Temporal server and its Web UI, with
// routedesk's namespace and search attributes, until a signal stops it: a
// Temporal cluster of one process for `server` and `worker` processes on one
// machine (tests, demos). Its SQLite database lives in the data dir, so a
// restart keeps every workflow.
func runTemporal(ctx context.Context, cfg *config, log *slog.Logger, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir %s (ROUTEDESK_DATA_DIR): %w", cfg.DataDir, err)
	}
	db := filepath.Join(cfg.DataDir, "temporal.db")
	srv, err := startEngine(ctx, engineOptions{
		DBPath:        db,
		IP:            cfg.TemporalIP,
		FrontendPort:  cfg.DevTemporalPort,
		UIPort:        cfg.DevUIPort,
		Namespace:     cfg.TemporalNamespace,
		Logger:        log.With("component", "temporal-server"),
		HistoryShards: cfg.TemporalHistoryShards,
	})
	if err != nil {
		return fmt.Errorf("start embedded Temporal (ports: ROUTEDESK_DEV_TEMPORAL_PORT, ROUTEDESK_DEV_UI_PORT): %w", err)
	}
	log.Info("embedded Temporal server running", "frontend", srv.FrontendAddress(), "ui", srv.UIAddress(), "db", db)
	fmt.Fprintf(stdout, "Temporal      %s (namespace %s)\n", srv.FrontendAddress(), cfg.TemporalNamespace)
	if ui := srv.UIAddress(); ui != "" {
		fmt.Fprintf(stdout, "Temporal UI   http://%s/namespaces/%s/workflows\n", ui, cfg.TemporalNamespace)
	}
	<-ctx.Done()
	log.Info("stopping embedded Temporal")
	return srv.Stop()
}
