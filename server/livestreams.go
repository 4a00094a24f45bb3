package server

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/routedesk/routedesk/internal/streamcap"
)

// Default caps on open agent event streams (Config.LiveStreamsPerUser, Config.LiveStreamsPerServer).
const (
	// DefaultLiveStreamsPerUser allows an agent several console tabs at once.
	DefaultLiveStreamsPerUser = 10
	// DefaultLiveStreamsPerServer bounds the goroutines and PostgreSQL reads one process spends on agent streams.
	DefaultLiveStreamsPerServer = 2000
)

// liveRetryAfter is the Retry-After, in seconds, of a stream refused at a cap: open streams end within liveStreamLife.
const liveRetryAfter = 30

func newLiveStreams(perUser, perServer int) *streamcap.Caps {
	if perUser <= 0 {
		perUser = DefaultLiveStreamsPerUser
	}
	if perServer <= 0 {
		perServer = DefaultLiveStreamsPerServer
	}
	return streamcap.New(perUser, perServer, "user", prometheus.NewCounterVec(prometheus.CounterOpts{Name: "routedesk_live_streams_refused_total",
		Help: "Agent event streams (GET /v1/events) refused with 429 at a cap (scope: user or server)."}, []string{"scope"}))
}
