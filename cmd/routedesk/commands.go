package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/payloadcodec"
	"github.com/routedesk/routedesk/privacy"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/worker"
)

// runMigrate applies pending migrations and exits.
func runMigrate(ctx context.Context, cfg *config, log *slog.Logger, _ io.Writer) error {
	st, err := openStore(ctx, cfg, nil, true, log)
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	return migrateSearchAttributes(ctx, cfg, log)
}

func temporalAddress(cfg *config) string {
	if cfg.TemporalAddress == "" {
		return "127.0.0.1:7233"
	}
	return cfg.TemporalAddress
}

// deps are what server and worker processes share: the store, metrics and a Temporal client.
type deps struct {
	store    *store.Store
	tel      *telemetry
	temporal client.Client
	codec    *payloadcodec.Codec
}

// connect opens the store (which must be migrated) and dials the configured
// Temporal cluster; close releases both.
func connect(ctx context.Context, cfg *config, log *slog.Logger) (d deps, close func(), err error) {
	box, err := secretBox(cfg, false)
	if err != nil {
		return d, nil, err
	}
	if d.codec, err = payloadCodec(cfg, false); err != nil {
		return d, nil, err
	}
	if d.store, err = openStore(ctx, cfg, box, false, log); err != nil {
		return d, nil, err
	}
	if d.codec, err = withKeyring(cfg, d.codec, d.store, false); err != nil {
		_ = d.store.Close()
		return d, nil, err
	}
	if d.tel, err = newTelemetry(); err != nil {
		_ = d.store.Close()
		return d, nil, err
	}
	if d.temporal, err = dialTemporal(ctx, cfg, temporalAddress(cfg), log, d.tel.temporal, d.codec); err != nil {
		_ = d.tel.close()
		_ = d.store.Close()
		return d, nil, err
	}
	return d, func() {
		d.temporal.Close()
		_ = d.tel.close()
		_ = d.store.Close()
	}, nil
}

// runServer serves the HTTP API against an existing Temporal cluster.
func runServer(ctx context.Context, cfg *config, log *slog.Logger, _ io.Writer) error {
	d, closeDeps, err := connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeDeps()
	registerSearchAttributes(ctx, d.temporal, cfg, log)
	return serveAPI(ctx, cfg, d.store, d.temporal, d.codec, d.tel, log, nil, nil)
}

// runWorker runs the Temporal worker until a signal stops it.
func runWorker(ctx context.Context, cfg *config, log *slog.Logger, _ io.Writer) error {
	d, closeDeps, err := connect(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeDeps()
	registerSearchAttributes(ctx, d.temporal, cfg, log)
	acts, err := newActivities(cfg, d.store, log, d.tel.registry)
	if err != nil {
		return err
	}
	startHealthAlerts(ctx, acts, d.store, log)
	worker.ImportPause = cfg.ImportPause
	worker.SetWorkflowCacheSize(cfg.WorkflowCacheSize)
	if _, err := serveWorkerMetrics(ctx, cfg.MetricsAddr, d.tel.registry, log); err != nil {
		return err
	}
	backlog := worker.NewBacklog(d.tel.registry, d.temporal, cfg.TemporalNamespace, cfg.TaskQueue, log.With("component", "backlog"))
	go backlog.Run(ctx)
	w := worker.New(d.temporal, cfg.TaskQueue, acts, cfg.ShutdownTimeout)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	log.Info("worker polling", "task_queue", cfg.TaskQueue, "namespace", cfg.TemporalNamespace)
	if err := privacy.EnsureRetentionSchedule(ctx, d.temporal, cfg.TaskQueue); err != nil {
		log.Warn("retention schedule", "error", err) // retried on the next start; the API shows no run meanwhile
	}
	<-ctx.Done()
	log.Info("stopping worker")
	w.Stop()
	return nil
}

// runDev runs everything in one process: migrations, the embedded Temporal
// server and Web UI (unless TEMPORAL_ADDRESS is set), the worker and the API,
// and prints the default account's admin token.
func runDev(ctx context.Context, cfg *config, log *slog.Logger, stdout io.Writer) error {
	if cfg.SMTPAddr == "" {
		cfg.SMTPAddr = "127.0.0.1:2525" // team email's SMTP listener is on in dev ("off" disables it)
	}
	if err := checkPortsFree(cfg); err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir %s: %w", cfg.DataDir, err)
	}
	if err := startPprof(cfg.PprofAddr, log); err != nil {
		return err
	}
	// Before the embedded Temporal server starts: its own system workers create
	// the process's shared workflow cache, whose size is fixed from then on.
	worker.SetWorkflowCacheSize(cfg.WorkflowCacheSize)
	box, err := secretBox(cfg, true)
	if err != nil {
		return err
	}
	codec, err := payloadCodec(cfg, true)
	if err != nil {
		return err
	}
	cfg.devMode = true
	st, err := openStore(ctx, cfg, box, true, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if codec, err = withKeyring(cfg, codec, st, true); err != nil {
		return err
	}

	address, uiAddress := cfg.TemporalAddress, ""
	if address == "" {
		srv, err := startEngine(ctx, engineOptions{
			DBPath:        filepath.Join(cfg.DataDir, "temporal.db"),
			FrontendPort:  cfg.DevTemporalPort,
			UIPort:        cfg.DevUIPort,
			Namespace:     cfg.TemporalNamespace,
			Logger:        log.With("component", "temporal-server"),
			CodecEndpoint: codecEndpoint(cfg),
			HistoryShards: cfg.TemporalHistoryShards,
		})
		if err != nil {
			return fmt.Errorf("start embedded Temporal: %w", err)
		}
		defer func() {
			if err := srv.Stop(); err != nil {
				log.Warn("stop embedded Temporal", "error", err)
			}
		}()
		address, uiAddress = srv.FrontendAddress(), srv.UIAddress()
		if cfg.TemporalUIURL == "" && uiAddress != "" {
			cfg.TemporalUIURL = "http://" + uiAddress
		}
		log.Info("embedded Temporal server running", "frontend", address, "ui", uiAddress, "db", filepath.Join(cfg.DataDir, "temporal.db"))
	}

	tel, err := newTelemetry()
	if err != nil {
		return err
	}
	defer tel.close()
	tc, err := dialTemporal(ctx, cfg, address, log, tel.temporal, codec)
	if err != nil {
		return err
	}
	defer tc.Close()

	if cfg.TemporalAddress != "" {
		registerSearchAttributes(ctx, tc, cfg, log)
	}
	token, err := ensureDevAccount(ctx, cfg, st)
	if err != nil {
		return err
	}
	acts, err := newActivities(cfg, st, log, tel.registry)
	if err != nil {
		return err
	}
	startHealthAlerts(ctx, acts, st, log)
	worker.ImportPause = cfg.ImportPause
	w := worker.New(tc, cfg.TaskQueue, acts, cfg.ShutdownTimeout)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	defer w.Stop()
	if err := privacy.EnsureRetentionSchedule(ctx, tc, cfg.TaskQueue); err != nil {
		log.Warn("retention schedule", "error", err)
	}

	var demo demoChat
	return serveAPI(ctx, cfg, st, tc, codec, tel, log, func(addr string) {
		demoURL := demo.ensure(ctx, addr, token, log)
		var b strings.Builder
		fmt.Fprintf(&b, "\nroutedesk dev is running\n")
		fmt.Fprintf(&b, "  API           http://%s\n", addr)
		if uiAddress != "" {
			fmt.Fprintf(&b, "  Temporal UI   http://%s/namespaces/%s/workflows\n", uiAddress, cfg.TemporalNamespace)
		}
		fmt.Fprintf(&b, "  Temporal      %s (namespace %s)\n", address, cfg.TemporalNamespace)
		if cfg.SMTPAddr != "off" {
			fmt.Fprintf(&b, "  SMTP          %s (mail to a connected email channel's address)\n", cfg.SMTPAddr)
		}
		fmt.Fprintf(&b, "  Admin token   %s\n", token)
		if demoURL != "" {
			fmt.Fprintf(&b, "  Chat demo     %s\n", demoURL)
		}
		fmt.Fprintf(&b, "\n  try: curl -H 'Authorization: Bearer %s' http://%s/v1/channels\n\n", token, addr)
		fmt.Fprint(stdout, b.String())
	}, demo.mount)
}

// ensureDevAccount creates the default account on first start and returns
// its admin token: ROUTEDESK_DEV_TOKEN when set, else the token kept in the data dir.
func ensureDevAccount(ctx context.Context, cfg *config, st *store.Store) (string, error) {
	tokenFile := filepath.Join(cfg.DataDir, "dev-token")
	acc, err := st.DefaultAccount(ctx)
	if errors.Is(err, domain.ErrNotFound) {
		var token string
		acc, token, err = st.CreateAccount(ctx, "Default", domain.TierEnterprise, true)
		if err != nil {
			return "", err
		}
		if cfg.DevToken == "" {
			if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
				return "", fmt.Errorf("keep dev token: %w", err)
			}
			return token, nil
		}
	} else if err != nil {
		return "", err
	}
	token := cfg.DevToken
	if token == "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			// The data dir was wiped but the database was not: issue a new token.
			token = store.NewToken()
			if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
				return "", fmt.Errorf("keep dev token: %w", err)
			}
		} else {
			token = strings.TrimSpace(string(b))
		}
	}
	if err := st.EnsureAdminToken(ctx, acc.ID, token); err != nil {
		return "", err
	}
	return token, nil
}
