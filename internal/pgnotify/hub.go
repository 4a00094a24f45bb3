// Package pgnotify fans PostgreSQL NOTIFY payloads out to the subscribers of this process, listening on one
// pooled connection only while someone subscribes (the chat widget's hub, generalised to carry payloads).
package pgnotify

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
)

// queue is how many undelivered messages a subscriber may have; beyond, a message is replaced by a bare wake-up.
const queue = 64

// Hub listens on one NOTIFY channel. A payload is "key" or "key|message": subscribers of key receive message
// ("" for a bare wake-up; also sent to all after the listening connection was lost, since notifications may be lost).
type Hub struct {
	db      *sqlx.DB
	log     *slog.Logger
	channel string

	mu     sync.Mutex
	subs   map[string]map[chan string]struct{}
	cancel context.CancelFunc
}

// New returns a hub for the NOTIFY channel (a plain identifier).
func New(db *sqlx.DB, channel string, log *slog.Logger) *Hub {
	return &Hub{db: db, log: log, channel: channel, subs: map[string]map[chan string]struct{}{}}
}

// Notify sends key|message (message may be empty) to every process's subscribers of key.
func Notify(ctx context.Context, db *sqlx.DB, channel, key, message string) error {
	payload := key
	if message != "" {
		payload += "|" + message
	}
	if _, err := db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Subscribe returns a channel receiving the messages for key and the function that ends the subscription.
func (h *Hub) Subscribe(key string) (<-chan string, func()) {
	ch := make(chan string, queue)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[key] == nil {
		h.subs[key] = map[chan string]struct{}{}
	}
	h.subs[key][ch] = struct{}{}
	if h.cancel == nil {
		ctx, cancel := context.WithCancel(context.Background())
		h.cancel = cancel
		go h.listen(ctx)
	}
	return ch, func() { h.unsubscribe(key, ch) }
}

func (h *Hub) unsubscribe(key string, ch chan string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[key], ch)
	if len(h.subs[key]) == 0 {
		delete(h.subs, key)
	}
	if len(h.subs) == 0 && h.cancel != nil {
		h.cancel()
		h.cancel = nil
	}
}

// deliver sends message to key's subscribers, or a wake-up to all when all is set.
func (h *Hub) deliver(key, message string, all bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, set := range h.subs {
		if !all && k != key {
			continue
		}
		for ch := range set {
			select {
			case ch <- message:
			default: // full: the subscriber re-reads on the wake-ups already queued
			}
		}
	}
}

// listen LISTENs until ctx ends, reconnecting with backoff (1 s doubling to 30 s); subscribers are woken after each reconnect.
func (h *Hub) listen(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := h.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		h.log.WarnContext(ctx, "notifications: listening failed, retrying", "channel", h.channel, "error", err, "backoff", backoff)
		h.deliver("", "", true)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (h *Hub) listenOnce(ctx context.Context) error {
	conn, err := h.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("notifications: connect: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("notifications: driver connection is a %T, not pgx", dc)
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+h.channel); err != nil {
			return fmt.Errorf("notifications: listen: %w", err)
		}
		h.deliver("", "", true) // anything sent before LISTEN took effect
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				// The connection is in an unknown state (a cancelled wait may leave it mid-protocol): never reuse it.
				_ = pc.Close(context.Background())
				return fmt.Errorf("notifications: wait: %w", err)
			}
			key, msg, _ := strings.Cut(n.Payload, "|")
			h.deliver(key, msg, false)
		}
	})
}
