package chat

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Event stream timing.
const (
	// streamLife ends a stream after ten minutes; EventSource reconnects (with Last-Event-ID) and the token is checked again.
	streamLife = 10 * time.Minute
	// heartbeat keeps proxies from closing an idle stream and is also a safety-net re-read.
	heartbeat = 15 * time.Second
	// lookBack re-reads recent messages on every wake: a reply becomes visible (sent) after later messages may have been sent.
	lookBack = 2 * time.Minute
)

// idFloor is the smallest message id created at t or later (ids are msg_ and a UUIDv7, whose first 12 hex digits are Unix milliseconds).
func idFloor(t time.Time) string { return fmt.Sprintf("msg_%012x", t.UnixMilli()) }

// events streams the visitor's new messages as Server-Sent Events (event: message, id: the message id) within
// a second of an agent's reply on any server process, starting after ?after= or Last-Event-ID.
func (c *Channel) events(v *visit) {
	gc, h := v.gc, v.h
	vis, ok := c.authenticate(v, true)
	if !ok {
		return
	}
	after := gc.Query("after")
	if last := gc.GetHeader("Last-Event-ID"); last != "" {
		after = last
	}
	if err := checkAfter(after); err != nil {
		h.Fail(gc, err)
		return
	}
	if c.hub == nil {
		h.Problem(gc, http.StatusServiceUnavailable, "live events are not available")
		return
	}
	refusedBy, release := c.streams.Acquire(vis.ID)
	switch refusedBy {
	case "visitor":
		tooMany(h, gc, streamRetryAfter, "this visitor already has "+strconv.Itoa(c.streams.PerKey)+" live streams open; close one")
		return
	case "server":
		tooMany(h, gc, streamRetryAfter, "this server has too many live streams open")
		return
	}
	defer release()
	wake, stop := c.hub.subscribe(vis.ID)
	defer stop()
	rc := http.NewResponseController(gc.Writer)
	_ = rc.SetWriteDeadline(time.Time{}) // the server's write timeout would cut the stream; streamLife bounds it instead
	w := gc.Writer
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	_ = rc.Flush()

	ctx := v.ctx()
	closing := c.shutdownSignal(gc.Request)
	seen := map[string]bool{}
	cursor, first := after, true
	end := time.NewTimer(streamLife)
	defer end.Stop()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		if err := c.pushNew(v, vis, &cursor, after, first, seen); err != nil {
			h.Log().WarnContext(ctx, "chat events: read messages", "visitor_id", vis.ID, "error", err)
			return
		}
		first = false
		select {
		case <-ctx.Done():
			return
		case <-end.C:
			return
		case <-closing: // the server shuts down: end the stream so in-flight requests can drain
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
			_ = rc.Flush()
		case <-wake:
		}
	}
}

// pushNew writes the messages not yet sent on this stream. The first pass sends only those after the
// client's after (and remembers earlier ones as seen); later passes re-read lookBack of history so a reply
// that became visible late is still sent once.
func (c *Channel) pushNew(v *visit, vis visitor, cursor *string, after string, first bool, seen map[string]bool) error {
	conv, err := conversationID(v.ctx(), v.db, vis)
	if err != nil || conv == "" {
		return err
	}
	from := idFloor(c.now().Add(-lookBack))
	if *cursor < from {
		from = *cursor
	}
	for {
		msgs, err := visibleMessages(v.ctx(), v.db, vis, conv, from, maxPage, v.linker(vis, c.now()))
		if err != nil {
			return err
		}
		for _, m := range msgs {
			from = m.ID
			if seen[m.ID] {
				continue
			}
			seen[m.ID] = true
			if m.ID > *cursor {
				*cursor = m.ID
			}
			if first && m.ID <= after {
				continue
			}
			data, _ := json.Marshal(m)
			if _, err := fmt.Fprintf(v.gc.Writer, "id: %s\nevent: message\ndata: %s\n\n", m.ID, data); err != nil {
				return nil // the visitor left
			}
		}
		_ = http.NewResponseController(v.gc.Writer).Flush()
		if len(msgs) < maxPage {
			return nil
		}
	}
}

// shutdownSignal returns a channel closed when the request's http.Server starts shutting down (nil without one):
// an open stream would otherwise hold Shutdown until its timeout.
func (c *Channel) shutdownSignal(r *http.Request) <-chan struct{} {
	srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server)
	if !ok {
		return nil
	}
	v, loaded := c.shutdowns.LoadOrStore(srv, make(chan struct{}))
	ch := v.(chan struct{})
	if !loaded {
		srv.RegisterOnShutdown(func() { close(ch) })
	}
	return ch
}
