package main

import (
	"flag"
	"time"

	"github.com/routedesk/routedesk/store"
)

type (
	intFlag      func(p *int, env, name string, def int, help string)
	durationFlag func(p *time.Duration, env, name string, def time.Duration, help string)
)

// bindScaleOut declares the settings of processes that scale out: the
// PostgreSQL pool and the listen address of `routedesk temporal`.
func bindScaleOut(fs *flag.FlagSet, cfg *config, integer intFlag, duration durationFlag) {
	def := store.DefaultPool()
	integer(&cfg.Pool.MaxConns, "ROUTEDESK_DB_MAX_CONNS", "db-max-conns", def.MaxConns, "most PostgreSQL connections this process opens (0 = unlimited)")
	integer(&cfg.Pool.MaxIdleConns, "ROUTEDESK_DB_MAX_IDLE_CONNS", "db-max-idle-conns", def.MaxIdleConns, "most idle PostgreSQL connections kept open")
	duration(&cfg.Pool.MaxConnLifetime, "ROUTEDESK_DB_MAX_CONN_LIFETIME", "db-max-conn-lifetime", def.MaxConnLifetime, "a PostgreSQL connection is replaced after this long (0 = never)")
	duration(&cfg.Pool.MaxConnIdleTime, "ROUTEDESK_DB_MAX_CONN_IDLE_TIME", "db-max-conn-idle-time", def.MaxConnIdleTime, "an idle PostgreSQL connection is closed after this long (0 = never)")
	integer(&cfg.TemporalHistoryShards, "ROUTEDESK_TEMPORAL_HISTORY_SHARDS", "temporal-history-shards", 1,
		"dev, temporal: history shards of the embedded Temporal server, 1–1024; fixed when its database is created (a later value is ignored)")
	fs.StringVar(&cfg.TemporalIP, "temporal-ip", envOr("ROUTEDESK_TEMPORAL_IP", "127.0.0.1"), "temporal: IP the embedded Temporal frontend and UI listen on ($ROUTEDESK_TEMPORAL_IP)")
}
