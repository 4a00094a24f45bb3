package rules

import "sync"

// boundedCache is a concurrency-safe map that holds at most max entries,
// evicting an arbitrary one when full.
type boundedCache[V any] struct {
	mu  sync.RWMutex
	max int
	m   map[string]V
}

// newBoundedCache returns an empty cache holding at most max entries.
func newBoundedCache[V any](max int) *boundedCache[V] {
	return &boundedCache[V]{max: max, m: make(map[string]V)}
}

// get returns the value cached for key.
func (c *boundedCache[V]) get(key string) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	return v, ok
}

// put caches v under key, evicting an arbitrary entry if the cache is full.
func (c *boundedCache[V]) put(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		for k := range c.m { // Go randomises map iteration: this evicts a random entry.
			delete(c.m, k)
			break
		}
	}
	c.m[key] = v
}

// getOrCompute returns the cached value for key, computing and caching it on a miss.
func (c *boundedCache[V]) getOrCompute(key string, compute func(string) V) V {
	if v, ok := c.get(key); ok {
		return v
	}
	v := compute(key)
	c.put(key, v)
	return v
}
