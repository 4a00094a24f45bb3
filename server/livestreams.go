package server

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
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

// liveStreams counts the open agent event streams of one process, per user (or token) and in all, against their caps.
type liveStreams struct {
	perUser, perServer int

	mu      sync.Mutex
	open    int
	byUser  map[string]int
	refused *prometheus.CounterVec
}

func newLiveStreams(perUser, perServer int) *liveStreams {
	if perUser <= 0 {
		perUser = DefaultLiveStreamsPerUser
	}
	if perServer <= 0 {
		perServer = DefaultLiveStreamsPerServer
	}
	return &liveStreams{perUser: perUser, perServer: perServer, byUser: map[string]int{},
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "routedesk_live_streams_refused_total",
			Help: "Agent event streams (GET /v1/events) refused with 429 at a cap (scope: user or server)."}, []string{"scope"})}
}

// acquire takes a stream slot for who; it returns "" and a release func, or the cap that refused it ("user", "server").
func (s *liveStreams) acquire(who string) (refusedBy string, release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.byUser[who] >= s.perUser:
		s.refused.WithLabelValues("user").Inc()
		return "user", nil
	case s.open >= s.perServer:
		s.refused.WithLabelValues("server").Inc()
		return "server", nil
	}
	s.open++
	s.byUser[who]++
	var once sync.Once
	return "", func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.open--
			if s.byUser[who]--; s.byUser[who] <= 0 {
				delete(s.byUser, who)
			}
		})
	}
}

// count returns the number of open streams.
func (s *liveStreams) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open
}

// collectors are the live streams' metrics: open streams and streams refused at a cap.
func (s *liveStreams) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "routedesk_live_streams_open",
			Help: "Agent event streams (GET /v1/events, SSE) open on this process."}, func() float64 { return float64(s.count()) }),
		s.refused,
	}
}
