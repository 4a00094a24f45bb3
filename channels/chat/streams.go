package chat

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
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

// streams counts the open event streams of one process, per visitor and in all, against their caps.
type streams struct {
	perVisitor, perServer int

	mu      sync.Mutex
	open    int
	byVisit map[string]int
	refused *prometheus.CounterVec
}

func newStreams(perVisitor, perServer int) *streams {
	if perVisitor <= 0 {
		perVisitor = DefaultStreamsPerVisitor
	}
	if perServer <= 0 {
		perServer = DefaultStreamsPerServer
	}
	return &streams{perVisitor: perVisitor, perServer: perServer, byVisit: map[string]int{},
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "routedesk_chat_streams_refused_total",
			Help: "Chat event streams refused with 429 at a cap (scope: visitor or server)."}, []string{"scope"})}
}

// acquire takes a stream slot for visitor; it returns "" and a release func, or the cap that refused it ("visitor", "server").
func (s *streams) acquire(visitor string) (refusedBy string, release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.byVisit[visitor] >= s.perVisitor:
		s.refused.WithLabelValues("visitor").Inc()
		return "visitor", nil
	case s.open >= s.perServer:
		s.refused.WithLabelValues("server").Inc()
		return "server", nil
	}
	s.open++
	s.byVisit[visitor]++
	var once sync.Once
	return "", func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.open--
			if s.byVisit[visitor]--; s.byVisit[visitor] <= 0 {
				delete(s.byVisit, visitor)
			}
		})
	}
}

// Open returns the number of open streams.
func (s *streams) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open
}

// Collectors are the chat channel's metrics: open event streams and streams refused at a cap.
func (c *Channel) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "routedesk_chat_streams_open",
			Help: "Chat event streams (SSE) open on this process."}, func() float64 { return float64(c.streams.Open()) }),
		c.streams.refused,
	}
}
