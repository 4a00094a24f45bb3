//go:build slim

package main

import (
	"context"
	"errors"
)

// startEmbedded refuses: the slim build (-tags slim, the production image) links no Temporal server code.
func startEmbedded(context.Context, engineOptions) (engine, error) { return nil, errNoEngine }

// errNoEngine is the slim production build's answer where the embedded Temporal server is needed.
var errNoEngine = errors.New("this is the slim production build of routedesk, which has no embedded Temporal server: " +
	"set TEMPORAL_ADDRESS to a Temporal cluster, or build the dev binary (make build, or go build without -tags slim)")
