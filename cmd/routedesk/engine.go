package main

import (
	"context"
	"log/slog"
)

// engine is a running embedded Temporal server and Web UI (`routedesk dev`, `routedesk temporal`).
type engine interface {
	FrontendAddress() string
	UIAddress() string
	Stop() error
}

// engineOptions are the settings of the embedded Temporal server; routedesk's search attributes are always registered.
type engineOptions struct {
	DBPath        string
	IP            string
	FrontendPort  int
	UIPort        int
	Namespace     string
	Logger        *slog.Logger
	CodecEndpoint string
	HistoryShards int
}

// startEngine starts the embedded Temporal server of the dev build; the slim build answers errNoEngine.
func startEngine(ctx context.Context, o engineOptions) (engine, error) { return startEmbedded(ctx, o) }
