package chat

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/routedesk/routedesk/internal/streamcap"
)

// Default caps on open event streams (Limits.StreamsPerVisitor, Limits.StreamsPerServer).
const (
	// DefaultStreamsPerVisitor allows a visitor a few tabs of one site at once.
	DefaultStreamsPerVisitor = 5
	// DefaultStreamsPerServer bounds the goroutines and PostgreSQL reads one process spends on streams.
	DefaultStreamsPerServer = 2000
)

// streamRetryAfter is the Retry-After, in seconds, of a stream refused at a cap: open streams end within streamLife.
const streamRetryAfter = 30

func newStreams(perVisitor, perServer int) *streamcap.Caps {
	if perVisitor <= 0 {
		perVisitor = DefaultStreamsPerVisitor
	}
	if perServer <= 0 {
		perServer = DefaultStreamsPerServer
	}
	return streamcap.New(perVisitor, perServer, "visitor", prometheus.NewCounterVec(prometheus.CounterOpts{Name: "routedesk_chat_streams_refused_total",
		Help: "Chat event streams refused with 429 at a cap (scope: visitor or server)."}, []string{"scope"}))
}

// Collectors are the chat channel's metrics: open event streams and streams refused at a cap.
func (c *Channel) Collectors() []prometheus.Collector {
	return c.streams.Collectors("routedesk_chat_streams_open", "Chat event streams (SSE) open on this process.")
}
