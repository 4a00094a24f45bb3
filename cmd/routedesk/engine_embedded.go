//go:build !slim

package main

import (
	"context"

	"github.com/routedesk/routedesk/devtemporal"
	"github.com/routedesk/routedesk/workflows"
)

// startEmbedded starts devtemporal's server: the dev build links the Temporal server and UI packages.
func startEmbedded(ctx context.Context, o engineOptions) (engine, error) {
	return devtemporal.Start(ctx, devtemporal.Options{
		DBPath: o.DBPath, IP: o.IP, FrontendPort: o.FrontendPort, UIPort: o.UIPort, Namespace: o.Namespace,
		SearchAttributes: workflows.SearchAttributes(), Logger: o.Logger, CodecEndpoint: o.CodecEndpoint,
	})
}
