package chat

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
)

// notifyChannel is the PostgreSQL NOTIFY channel a conversation's id is sent on when
// a visitor-visible message is added to it, so the SSE stream of any server process wakes.
const notifyChannel = "routedesk_chat"

// notify tells every server process that conversationID has a new visible message.
func notify(ctx context.Context, db *sqlx.DB, conversationID string) error {
	if _, err := db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, conversationID); err != nil {
		return fmt.Errorf("notify chat conversation: %w", err)
	}
	return nil
}

// hub fans PostgreSQL notifications out to the open event streams of this process.
// It listens (holding one pooled connection) only while some stream is open.
type hub struct {
	db  *sqlx.DB
	log *slog.Logger

	mu     sync.Mutex
	subs   map[string]map[chan struct{}]struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

func newHub(db *sqlx.DB, log *slog.Logger) *hub {
	return &hub{db: db, log: log, subs: map[string]map[chan struct{}]struct{}{}}
}

// subscribe returns a channel that receives a value when conversationID may have new messages, and the function that ends the subscription.
func (h *hub) subscribe(conversationID string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[conversationID] == nil {
		h.subs[conversationID] = map[chan struct{}]struct{}{}
	}
	h.subs[conversationID][ch] = struct{}{}
	if h.cancel == nil {
		ctx, cancel := context.WithCancel(context.Background())
		h.cancel, h.done = cancel, make(chan struct{})
		go h.listen(ctx, h.done)
	}
	return ch, func() { h.unsubscribe(conversationID, ch) }
}

func (h *hub) unsubscribe(conversationID string, ch chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs[conversationID], ch)
	if len(h.subs[conversationID]) == 0 {
		delete(h.subs, conversationID)
	}
	if len(h.subs) == 0 && h.cancel != nil {
		h.cancel()
		h.cancel = nil
	}
}

// wake signals the streams of conversationID, or all streams when it is "" (after a lost connection).
func (h *hub) wake(conversationID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, set := range h.subs {
		if conversationID != "" && id != conversationID {
			continue
		}
		for ch := range set {
			select {
			case ch <- struct{}{}:
			default: // already signalled
			}
		}
	}
}

// listen LISTENs until ctx ends, reconnecting with backoff (1 s doubling to 30 s); streams are woken after each reconnect.
func (h *hub) listen(ctx context.Context, done chan struct{}) {
	defer close(done)
	backoff := time.Second
	for ctx.Err() == nil {
		err := h.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		h.log.WarnContext(ctx, "chat notifications: listening failed, retrying", "error", err, "backoff", backoff)
		h.wake("")
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (h *hub) listenOnce(ctx context.Context) error {
	conn, err := h.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("chat notifications: connect: %w", err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("chat notifications: driver connection is a %T, not pgx", dc)
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
			return fmt.Errorf("chat notifications: listen: %w", err)
		}
		h.wake("") // anything added before LISTEN took effect
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				// The connection is in an unknown state (a cancelled wait may leave it mid-protocol): never reuse it.
				_ = pc.Close(context.Background())
				return fmt.Errorf("chat notifications: wait: %w", err)
			}
			h.wake(n.Payload)
		}
	})
	return err
}
