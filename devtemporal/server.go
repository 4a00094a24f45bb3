// Package devtemporal runs an embedded Temporal server (SQLite persistence)
// and the Temporal Web UI for `routedesk dev` and the project's tests.
// It is the only package of routedesk that imports go.temporal.io/server.
package devtemporal

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

const clusterName = "active"

// HistoryCacheSize is how many workflows' mutable state the history service
// keeps cached (history.cacheHostLevelMaxSize; Options.DynamicConfig overrides it).
const HistoryCacheSize = 1000

// Options configures an embedded Temporal server.
type Options struct {
	DBPath           string                              // SQLite file; "" = in-memory (ephemeral, for tests)
	IP               string                              // address the frontend and UI listen on; default "127.0.0.1"
	FrontendPort     int                                 // gRPC frontend port; 0 = pick a free port
	UIPort           int                                 // web UI port; 0 = pick a free port; -1 = no UI
	Namespace        string                              // namespace created if missing; default "default"
	SearchAttributes map[string]enumspb.IndexedValueType // custom search attributes registered on the namespace
	Logger           *slog.Logger                        // receives server logs at warn and above; nil = discard
	DynamicConfig    map[string]any                      // extra dynamic config values by key, overriding the dev defaults
	CodecEndpoint    string                              // codec endpoint URL the UI decodes payloads through; "" = none
	HistoryShards    int32                               // history shards of a new database (default 1); an existing database keeps its own
}

// Server is a running embedded Temporal server and, optionally, its web UI.
type Server struct {
	temporal  temporal.Server
	logger    serverLogger
	ui        *uiServer
	frontend  string
	namespace string

	stopOnce sync.Once
	stopErr  error
}

// Start starts the server, registers the namespace and its search attributes,
// starts the UI, and returns once the frontend answers; ctx bounds startup only.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	started := time.Now()
	if net.ParseIP(opts.IP) == nil {
		return nil, fmt.Errorf("start temporal server: IP %q is not an IP address", opts.IP)
	}

	frontendPort, err := pickPort(opts.IP, opts.FrontendPort)
	if err != nil {
		return nil, fmt.Errorf("temporal frontend: %w", err)
	}
	uiPort := -1
	if opts.UIPort != -1 {
		if uiPort, err = pickPort(opts.IP, opts.UIPort); err != nil {
			return nil, fmt.Errorf("temporal ui: %w", err)
		}
	}

	sqlCfg, err := sqlConfig(opts.DBPath)
	if err != nil {
		return nil, err
	}
	if opts.DBPath != "" {
		if err := prepareDatabaseFile(sqlCfg); err != nil {
			return nil, fmt.Errorf("prepare temporal database: %w", err)
		}
	}
	if err := createNamespace(sqlCfg, clusterName, opts.Namespace, opts.SearchAttributes); err != nil {
		return nil, err
	}

	frontend := net.JoinHostPort(dialHost(opts.IP), strconv.Itoa(frontendPort))
	cfg, err := serverConfig(opts.IP, frontendPort, frontend, sqlCfg, opts.HistoryShards)
	if err != nil {
		return nil, err
	}
	logger := newServerLogger(opts.Logger)
	dc := dynamicConfig(opts.DynamicConfig)
	ts, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(staticHosts(frontend, cfg)),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dc),
	)
	if err != nil {
		return nil, fmt.Errorf("create temporal server: %w", err)
	}
	if err := ts.Start(); err != nil {
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	s := &Server{temporal: ts, logger: logger, frontend: frontend, namespace: opts.Namespace}

	c, err := dialReady(ctx, client.Options{
		HostPort:  frontend,
		Namespace: opts.Namespace,
		Logger:    sdklog.NewStructuredLogger(warnOnly(opts.Logger)),
	})
	if err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	logger.quiet.Store(false)
	added, err := ensureSearchAttributes(ctx, c, opts.Namespace, opts.SearchAttributes)
	c.Close()
	if err != nil {
		_ = s.Stop()
		return nil, err
	}
	settleSearchAttributeCache(dc, opts, added)

	if uiPort != -1 {
		if s.ui, err = startUI(ctx, opts.IP, uiPort, frontend, opts.Namespace, opts.CodecEndpoint); err != nil {
			_ = s.Stop()
			return nil, err
		}
	}
	opts.Logger.Debug("embedded temporal server started", "frontend", frontend, "ui", s.UIAddress(), "took", time.Since(started))
	return s, nil
}

// FrontendAddress returns the host:port of the gRPC frontend.
func (s *Server) FrontendAddress() string { return s.frontend }

// UIAddress returns the host:port of the web UI, or "" when the UI is disabled.
func (s *Server) UIAddress() string {
	if s.ui == nil {
		return ""
	}
	return s.ui.addr
}

// Namespace returns the namespace the server was started with.
func (s *Server) Namespace() string { return s.namespace }

// Stop stops the UI and then the server; calling it again returns the first result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.logger.quiet.Store(true)
		if s.ui != nil {
			s.ui.stop()
		}
		if err := s.temporal.Stop(); err != nil {
			s.stopErr = fmt.Errorf("stop temporal server: %w", err)
		}
	})
	return s.stopErr
}

func (o Options) withDefaults() Options {
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.HistoryShards < 1 {
		o.HistoryShards = 1
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// serverConfig builds a single-node configuration: the frontend listens on
// ip:frontendPort, the other services on free loopback ports.
func serverConfig(ip string, frontendPort int, frontend string, sqlCfg *config.SQL, shards int32) (*config.Config, error) {
	cfg := &config.Config{}
	cfg.Global.Membership = config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: "127.0.0.1"}
	cfg.Persistence = config.Persistence{
		DefaultStore:     sqliteplugin.PluginName,
		VisibilityStore:  sqliteplugin.PluginName,
		NumHistoryShards: shards,
		DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
	}
	cfg.ClusterMetadata = &cluster.Config{
		EnableGlobalNamespace:    false,
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
		},
	}
	cfg.DCRedirectionPolicy = config.DCRedirectionPolicy{Policy: "noop"}
	cfg.Services = map[string]config.Service{
		string(primitives.FrontendService): {RPC: config.RPC{GRPCPort: frontendPort, BindOnIP: ip}},
	}
	for _, svc := range []primitives.ServiceName{primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		port, err := pickPort("127.0.0.1", 0)
		if err != nil {
			return nil, fmt.Errorf("temporal %s service: %w", svc, err)
		}
		cfg.Services[string(svc)] = config.Service{RPC: config.RPC{GRPCPort: port, BindOnLocalHost: true}}
	}
	cfg.Archival.History.State = "disabled"
	cfg.Archival.Visibility.State = "disabled"
	cfg.NamespaceDefaults.Archival.History.State = "disabled"
	cfg.NamespaceDefaults.Archival.Visibility.State = "disabled"
	cfg.PublicClient = config.PublicClient{HostPort: frontend}
	return cfg, nil
}

// staticHosts pins every service to its own address, so no membership ring is needed.
func staticHosts(frontend string, cfg *config.Config) map[primitives.ServiceName]static.Hosts {
	hosts := map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: static.SingleLocalHost(frontend),
	}
	for _, svc := range []primitives.ServiceName{primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Services[string(svc)].RPC.GRPCPort))
		hosts[svc] = static.SingleLocalHost(addr)
	}
	return hosts
}

// dynamicConfig returns the dev defaults overlaid with extra values, in a
// client whose values can change while the server runs.
func dynamicConfig(extra map[string]any) *dynamicconfig.MemoryClient {
	dc := dynamicconfig.NewMemoryClient()
	defaults := map[dynamicconfig.Key]any{
		// Newly added search attributes are usable at once (see settleSearchAttributeCache).
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
		// The dev UI lists workflows often.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// Mutable states of workflows kept in memory: about 11 KB of heap per open
		// conversation, some 90 MB at the former 8096; a miss reads
		// one row from the local SQLite file (docs/benchmarks.md, TestDevMemory).
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): HistoryCacheSize,
		// One partition per task queue: partitions spread a queue over matching
		// hosts, and there is one. With the default four, a burst spilled
		// workflow tasks into child partitions' backlogs that waiting pollers
		// did not drain for 40–47 s (TestChaosBacklogRecoveryAndBursts: ticket
		// creation stopped under 2× load); with one, no stall.
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
	}
	for k, v := range defaults {
		dc.OverrideValue(k, v)
	}
	for k, v := range extra {
		dc.OverrideValue(dynamicconfig.MakeKey(k), v)
	}
	return dc
}

// settleSearchAttributeCache turns off the refresh of the search-attribute
// cache on every read once it cannot miss anything: when every search
// attribute the caller named was in the database before the server started
// (createNamespace), every cache loaded them with its first read. The
// refresh reads the cluster metadata and the namespace from SQLite on each
// search-attribute check — the start, the upsert, every workflow task's
// history, every visibility write — about a tenth of the process's CPU per
// routed conversation (docs/benchmarks.md). It stays on when this start added
// attributes to an existing database, when the caller named none (it
// registers them later itself) or set it in Options.DynamicConfig; then an
// attribute added later is usable at once. Added later with the refresh
// off, an attribute becomes usable within a minute (the cache's lifetime).
func settleSearchAttributeCache(dc *dynamicconfig.MemoryClient, opts Options, added bool) {
	key := dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key()
	if added || len(opts.SearchAttributes) == 0 {
		return
	}
	for k := range opts.DynamicConfig {
		if dynamicconfig.MakeKey(k) == key {
			return
		}
	}
	dc.OverrideValue(key, false)
}
