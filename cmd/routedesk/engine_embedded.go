//go:build !slim

package main

import (
	"context"
	"fmt"

	"github.com/routedesk/routedesk/devtemporal"
	"github.com/routedesk/routedesk/workflows"
)

// startEmbedded starts devtemporal's server: the dev build links the Temporal server and UI packages.
func startEmbedded(ctx context.Context, o engineOptions) (engine, error) {
	if o.HistoryShards < 1 || o.HistoryShards > maxHistoryShards {
		return nil, fmt.Errorf("ROUTEDESK_TEMPORAL_HISTORY_SHARDS=%d must be between 1 and %d", o.HistoryShards, maxHistoryShards)
	}
	return devtemporal.Start(ctx, devtemporal.Options{
		DBPath: o.DBPath, IP: o.IP, FrontendPort: o.FrontendPort, UIPort: o.UIPort, Namespace: o.Namespace,
		SearchAttributes: workflows.SearchAttributes(), Logger: o.Logger, CodecEndpoint: o.CodecEndpoint,
		HistoryShards: int32(o.HistoryShards),
	})
}

// maxHistoryShards bounds ROUTEDESK_TEMPORAL_HISTORY_SHARDS: more shards than
// this on one SQLite file only add per-shard overhead.
const maxHistoryShards = 1024
