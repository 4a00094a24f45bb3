// Command routedesk is the help-desk channel orchestrator: one binary with
// the subcommands dev (everything in one process), server (HTTP API),
// worker (Temporal worker) and migrate (apply database migrations).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/routedesk/routedesk/internal/egress"
	"github.com/routedesk/routedesk/store"
)

const usage = `routedesk — help-desk channel orchestrator

Usage:
  routedesk dev      everything in one process: migrations, embedded Temporal + Web UI, worker, API
  routedesk server   the HTTP API
  routedesk worker   the Temporal worker
  routedesk migrate  apply database migrations (and register Temporal search attributes) and exit
  routedesk temporal only the embedded Temporal server and its Web UI, for server and worker processes
  routedesk conversations  list conversation workflows by state, e.g. --waiting-longer 10m, --channel-type messenger --reply-window human_agent_only
  routedesk versions  count the open conversation runs that may predate each workflow change (see README, Workflow versions)
  routedesk healthcheck  exit 0 when the API on ROUTEDESK_HTTP_ADDR answers /readyz with 200, else 1
  routedesk version  print the version and exit

Run "routedesk <command> -h" for the settings; each flag also reads an environment variable.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "routedesk: "+oneLine(err))
		os.Exit(1)
	}
}

// run dispatches a subcommand; it returns when the command ends or a signal stops it.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	if args[0] == "version" || args[0] == "-version" || args[0] == "--version" {
		printVersion(stdout)
		return nil
	}
	commands := map[string]func(context.Context, *config, *slog.Logger, io.Writer) error{
		"dev": runDev, "server": runServer, "worker": runWorker, "migrate": runMigrate,
		"temporal": runTemporal, "healthcheck": runHealthcheck, "conversations": runConversations,
		"versions": runVersions,
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q (see routedesk -h)", args[0])
	}
	var cfg config
	fs := flag.NewFlagSet("routedesk "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard) // a bad flag is one line, not the whole flag list
	bind(fs, &cfg)
	if args[0] == "conversations" {
		bindConversations(fs, &cfg.Conversations)
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintf(stdout, "Usage of routedesk %s:\n", args[0])
			fs.PrintDefaults()
			return nil
		}
		return fmt.Errorf("%w (see routedesk %s -h, or routedesk -h)", err, args[0])
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see routedesk %s -h)", fs.Arg(0), args[0])
	}
	allowed, err := egress.ParseNetworks(cfg.OutboundAllowedNetworks)
	if err != nil {
		return fmt.Errorf("ROUTEDESK_OUTBOUND_ALLOWED_NETWORKS: %w", err)
	}
	if args[0] == "dev" {
		allowed = append(allowed, egress.Loopback...) // local relays and the chat demo
	}
	egress.Set(egress.Policy{Allowed: allowed})
	if len(badEnv) > 0 {
		return errors.New("bad environment: " + strings.Join(badEnv, "; "))
	}
	log, err := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return cmd(ctx, &cfg, log, stdout)
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("ROUTEDESK_LOG_LEVEL: %q is not debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("ROUTEDESK_LOG_FORMAT: %q is not text or json", format)
}

// oneLine turns an error into the one line the user reads, with advice for
// the failures a newcomer meets first.
func oneLine(err error) string {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	if errors.Is(err, store.ErrUnreachable) {
		msg += " — start PostgreSQL (e.g. `pg_ctlcluster 15 main start`, `sudo systemctl start postgresql`" +
			" or `docker compose up -d postgres`) or point DATABASE_URL at a running server"
	}
	return msg
}
