package redelivery

import (
	"context"
	"sync"
	"time"
)

// Delivery window defaults (Config.Window, WindowExpiry).
const (
	// DefaultWindow is how many conversations one server lets be
	// signalled and not yet opened (no ticket) at a time.
	DefaultWindow = 48
	// DefaultWindowExpiry frees a window slot whose conversation has
	// no ticket after this long (a slow or blocked workflow must not hold the
	// window shut).
	DefaultWindowExpiry = 10 * time.Second
	// pacingCheck is how often the slots held are checked against the tickets made.
	pacingCheck = 50 * time.Millisecond
)

// window is the admission control between accepting a message (stored in
// PostgreSQL, always fast) and handing it to Temporal: at most size
// messages are signalled to their workflow and not yet through the opening
// (their conversation has no ticket). A request delivers its message itself
// while there is room and no older message waits; otherwise the message
// stays stored and the redrive loop delivers it as slots free up, oldest
// first. So a burst never floods the engine with signal-with-starts whose
// workflow tasks then time out behind each other; ticket creation keeps
// its full rate and the backlog waits in PostgreSQL.
type window struct {
	size   int
	expiry time.Duration

	mu      sync.Mutex
	running bool                // the redrive loop is there to deliver what requests defer
	queued  bool                // messages wait in PostgreSQL: requests do not overtake them
	held    map[string]heldSlot // message id → its slot
	freed   chan struct{}       // a slot was freed (capacity 1)
	wake    chan struct{}       // a request deferred a message (capacity 1)
	opened  func(ctx context.Context, conversationIDs []string) ([]string, error)
}

type heldSlot struct {
	conversationID string
	since          time.Time
	delivered      bool // signalled; until then the slot is an attempt in progress
}

func newWindow(size int, expiry time.Duration, opened func(context.Context, []string) ([]string, error)) *window {
	if size <= 0 {
		size = DefaultWindow
	}
	if expiry <= 0 {
		expiry = DefaultWindowExpiry
	}
	return &window{size: size, expiry: expiry, held: map[string]heldSlot{}, opened: opened,
		freed: make(chan struct{}, 1), wake: make(chan struct{}, 1)}
}

// admit takes a slot for a request's own delivery of a message; false means
// the request leaves the message to the redrive loop (no room, or older
// messages wait). Without a running redrive loop every request delivers.
func (p *window) admit(messageID, conversationID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running {
		return true // nothing would free the slot; done ignores the unknown message
	}
	if p.queued || len(p.held) >= p.size {
		p.queued = true
		return false
	}
	p.held[messageID] = heldSlot{conversationID: conversationID, since: time.Now()}
	return true
}

// free returns how many slots the redrive loop may fill now.
func (p *window) free() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(p.size-len(p.held), 0)
}

// take holds a slot for a message the redrive loop claimed.
func (p *window) take(messageID, conversationID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.held[messageID] = heldSlot{conversationID: conversationID, since: time.Now()}
}

// done ends a delivery attempt: a delivered message keeps its slot until its
// conversation has a ticket; a failed one frees it.
func (p *window) done(messageID string, delivered bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	h, ok := p.held[messageID]
	if !ok {
		return
	}
	if !delivered {
		delete(p.held, messageID)
		p.signal(p.freed)
		return
	}
	h.delivered, h.since = true, time.Now()
	p.held[messageID] = h
}

// setQueued records whether messages wait in PostgreSQL (the redrive loop's last claim).
func (p *window) setQueued(queued bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queued = queued
}

// deferred notes that a request left its message to the redrive loop, and wakes it.
func (p *window) deferred() { p.signal(p.wake) }

func (p *window) signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// run marks the redrive loop present and frees the slots of conversations
// that got their ticket (or expired) until ctx ends.
func (p *window) run(ctx context.Context) {
	p.mu.Lock()
	p.running = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.running = false
		p.mu.Unlock()
	}()
	t := time.NewTicker(pacingCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p.release(ctx)
	}
}

// release frees the slots whose conversation has a ticket, and the expired ones.
func (p *window) release(ctx context.Context) {
	p.mu.Lock()
	var ids []string
	seen := map[string]bool{}
	for _, h := range p.held {
		if h.delivered && !seen[h.conversationID] {
			seen[h.conversationID] = true
			ids = append(ids, h.conversationID)
		}
	}
	p.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	opened, err := p.opened(ctx, ids)
	if err != nil {
		opened = nil // the expiry below still frees slots
	}
	done := make(map[string]bool, len(opened))
	for _, id := range opened {
		done[id] = true
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.held)
	for id, h := range p.held {
		if h.delivered && (done[h.conversationID] || now.Sub(h.since) > p.expiry) {
			delete(p.held, id)
		}
	}
	if len(p.held) < n {
		p.signal(p.freed)
	}
}
