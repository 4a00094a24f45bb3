//go:build slim

package main

import "context"

// startEmbedded refuses: the slim build (-tags slim, the production image) links no Temporal server code.
func startEmbedded(context.Context, engineOptions) (engine, error) { return nil, errNoEngine }
