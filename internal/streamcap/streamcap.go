// Package streamcap counts a process's open long-lived streams (server-sent events), per key and in all, against caps.
package streamcap

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Caps counts the open streams of one process, per key (a visitor, a user) and in all, against their caps.
type Caps struct {
	// PerKey and PerServer are the caps.
	PerKey, PerServer int
	keyScope          string

	mu      sync.Mutex
	open    int
	byKey   map[string]int
	refused *prometheus.CounterVec
}

// New returns caps of perKey streams per key and perServer in all; a refusal is counted in refused under the
// label scope keyScope (the per-key cap) or "server".
func New(perKey, perServer int, keyScope string, refused *prometheus.CounterVec) *Caps {
	return &Caps{PerKey: perKey, PerServer: perServer, keyScope: keyScope, byKey: map[string]int{}, refused: refused}
}

// Acquire takes a stream slot for key; it returns "" and a release func (safe to call twice), or the cap that
// refused it (the key scope or "server").
func (c *Caps) Acquire(key string) (refusedBy string, release func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.byKey[key] >= c.PerKey:
		c.refused.WithLabelValues(c.keyScope).Inc()
		return c.keyScope, nil
	case c.open >= c.PerServer:
		c.refused.WithLabelValues("server").Inc()
		return "server", nil
	}
	c.open++
	c.byKey[key]++
	var once sync.Once
	return "", func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.open--
			if c.byKey[key]--; c.byKey[key] <= 0 {
				delete(c.byKey, key)
			}
		})
	}
}

// Open returns the number of open streams.
func (c *Caps) Open() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

// Collectors are the open-streams gauge (name, help) and the refusals counter.
func (c *Caps) Collectors(openName, openHelp string) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: openName, Help: openHelp}, func() float64 { return float64(c.Open()) }),
		c.refused,
	}
}
