package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
	"github.com/routedesk/routedesk/internal/pgnotify"
	"github.com/routedesk/routedesk/internal/streamcap"
	"github.com/routedesk/routedesk/store"
)

// Agent event stream timing and retention.
const (
	// liveStreamLife ends a stream after ten minutes; the console reconnects with Last-Event-ID and its token is checked again.
	liveStreamLife = 10 * time.Minute
	// liveHeartbeat keeps proxies from closing an idle stream.
	liveHeartbeat = 15 * time.Second
	// liveKeep is how long events are kept for catching up.
	liveKeep = 24 * time.Hour
	// livePruneEvery is how often a server prunes old events, stream tickets and presence.
	livePruneEvery = 10 * time.Minute
	// streamTicketLife is how long a stream ticket opens streams.
	streamTicketLife = time.Minute
	// livePage is how many events one read returns.
	livePage = 500
	// liveChannel is the PostgreSQL NOTIFY channel of the agents' streams (the migration's live_emit sends on it too).
	liveChannel = "routedesk_live"
)

// live is the agent event streams' shared state: the NOTIFY hub, the caps and the pruning clock.
type live struct {
	hub       *pgnotify.Hub
	streams   *streamcap.Caps
	lastPrune atomic.Int64
	shutdowns sync.Map // *http.Server → chan struct{}
	// closed ends every open stream (CloseStreams).
	closed    chan struct{}
	closeOnce sync.Once
}

// CloseStreams ends this server's open event streams (GET /v1/events) and refuses none later; call it before
// closing a server that is not shut down with http.Server.Shutdown (httptest), whose Close waits for them.
func (s *Server) CloseStreams() { s.live.closeOnce.Do(func() { close(s.live.closed) }) }

func newLive(s *Server) *live {
	var db *sqlx.DB
	if s.store != nil { // nil only where a test builds the route table alone
		db = s.store.DB()
	}
	return &live{closed: make(chan struct{}), hub: pgnotify.New(db, liveChannel, s.log), streams: newLiveStreams(s.cfg.LiveStreamsPerUser, s.cfg.LiveStreamsPerServer)}
}

func (l *live) collectors() []prometheus.Collector {
	return l.streams.Collectors("routedesk_live_streams_open", "Agent event streams (GET /v1/events, SSE) open on this process.")
}

// streamTicket is the answer of POST /v1/events/tickets.
type streamTicket struct {
	Ticket    string    `json:"ticket"`
	ExpiresAt time.Time `json:"expires_at"`
}

// liveRoutes are the agent event stream's and presence's routes of the route table.
func (s *Server) liveRoutes() []route {
	return []route{
		{method: http.MethodGet, path: "/v1/events", tag: "live", summary: "The account's live events as server-sent events (text/event-stream): ticket.created, ticket.changed, message.created, note.created, the caller's notification, and presence; resumes after Last-Event-ID (or after); a token, or a stream ticket in ticket for EventSource", auth: authAny, guards: []gin.HandlerFunc{s.authenticateStream}, status: 200, query: []string{"after", "ticket"}, problems: []int{http.StatusTooManyRequests}, handler: s.events},
		{method: http.MethodPost, path: "/v1/events/tickets", tag: "live", summary: "Issue a stream ticket: a one-minute credential for GET /v1/events?ticket=… (EventSource cannot send an Authorization header, and a URL may be logged)", auth: authAny, response: streamTicket{}, status: 201, handler: s.issueStreamTicket},
		{method: http.MethodPost, path: "/v1/tickets/:id/presence", tag: "live", summary: "Say the caller is viewing the ticket (for 30 s), typing a reply (for 6 s) or has left; answers who else is on it; the others' streams get a presence event", auth: authAny, request: presenceRequest{}, response: httpx.List[store.Presence]{}, status: 200, handler: s.postPresence},
		{method: http.MethodGet, path: "/v1/tickets/:id/presence", tag: "live", summary: "Who else is viewing the ticket now, and who is typing", auth: authAny, response: httpx.List[store.Presence]{}, status: 200, handler: s.getPresence},
	}
}

// authenticateStream admits a stream ticket (?ticket=) as EventSource's credential, or a bearer token.
func (s *Server) authenticateStream(c *gin.Context) {
	if t := c.Query("ticket"); t != "" {
		if _, bearer := httpx.Bearer(c); !bearer {
			p, err := s.store.RedeemStreamTicket(c.Request.Context(), t)
			if errors.Is(err, domain.ErrNotFound) {
				httpx.WriteProblem(c, http.StatusUnauthorized, "the stream ticket is not valid or has expired: issue another with POST /v1/events/tickets")
				return
			}
			if err != nil {
				s.fail(c, err)
				return
			}
			c.Set(principalKey, p)
			c.Next()
			return
		}
	}
	s.authenticate(c)
}

func (s *Server) issueStreamTicket(c *gin.Context) {
	s.live.prune(c, s.store)
	t, exp, err := s.store.IssueStreamTicket(c.Request.Context(), principal(c).TokenID, streamTicketLife)
	s.respond(c, http.StatusCreated, streamTicket{Ticket: t, ExpiresAt: exp}, err)
}

// prune deletes expired live state at most every livePruneEvery per process.
func (l *live) prune(c *gin.Context, st *store.Store) {
	now := time.Now().UnixNano()
	last := l.lastPrune.Load()
	if now-last < int64(livePruneEvery) || !l.lastPrune.CompareAndSwap(last, now) {
		return
	}
	if err := st.PruneLive(c.Request.Context(), liveKeep); err != nil {
		l.lastPrune.Store(last)
	}
}

// streamer is one open stream's identity.
func streamer(p domain.Principal) string {
	if p.UserID != "" {
		return p.UserID
	}
	return "token:" + p.TokenID
}

// resumeAfter is the event id a stream resumes after: Last-Event-ID, else ?after=; ok false without either.
func resumeAfter(c *gin.Context) (int64, bool, error) {
	name, v := "Last-Event-ID", c.GetHeader("Last-Event-ID")
	if v == "" {
		name, v = "after", c.Query("after")
	}
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false, domain.Invalid(name, "must be the id of an event: a whole number")
	}
	return n, true, nil
}

// events streams the account's live events as Server-Sent Events (docs/API.md#live-events).
func (s *Server) events(c *gin.Context) {
	p := principal(c)
	if err := httpx.CheckQuery(c.Request.URL.Query(), "after", "ticket"); err != nil {
		s.fail(c, err)
		return
	}
	after, resume, err := resumeAfter(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	refusedBy, release := s.live.streams.Acquire(streamer(p))
	if refusedBy != "" {
		c.Header("Retry-After", strconv.Itoa(liveRetryAfter))
		detail := "this server has too many live streams open"
		if refusedBy == "user" {
			detail = "this user already has " + strconv.Itoa(s.live.streams.PerKey) + " live streams open; close one"
		}
		httpx.WriteProblem(c, http.StatusTooManyRequests, detail)
		return
	}
	defer release()
	s.live.prune(c, s.store)
	msgs, stop := s.live.hub.Subscribe(p.AccountID)
	defer stop()
	ctx := c.Request.Context()
	cursor, err := s.store.LiveCursor(ctx, p.AccountID)
	if err != nil {
		s.fail(c, err)
		return
	}
	reset := false
	if resume {
		kept, err := s.store.LiveEventKept(ctx, p.AccountID, after)
		if err != nil {
			s.fail(c, err)
			return
		}
		// An id the account no longer keeps (pruned, or never its own) cannot be caught up from: the client reloads.
		if reset = after > 0 && !kept; !reset {
			cursor = after
		}
	}
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetWriteDeadline(time.Time{}) // the server's write timeout would cut the stream; liveStreamLife bounds it instead
	w := c.Writer
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	kind := "ready"
	if reset {
		kind = "reset"
	}
	if _, err := fmt.Fprintf(w, "retry: 2000\n\nid: %d\nevent: %s\ndata: {\"last_event_id\":%d}\n\n", cursor, kind, cursor); err != nil {
		return
	}
	_ = rc.Flush()
	closing := s.live.shutdownSignal(c.Request)
	end := time.NewTimer(liveStreamLife)
	defer end.Stop()
	tick := time.NewTicker(liveHeartbeat)
	defer tick.Stop()
	self := streamer(p)
	for read := true; ; {
		if read {
			if err := s.pushLive(c, p, &cursor); err != nil {
				s.log.WarnContext(ctx, "live events: read", "account_id", p.AccountID, "error", err)
				return
			}
		}
		read = false
		var out string
		select {
		case <-ctx.Done():
			return
		case <-end.C:
			return
		case <-closing:
			return
		case <-s.live.closed:
			return
		case <-tick.C:
			out = ": ping\n\n"
		case m := <-msgs:
			var ev presenceEvent
			switch {
			case m == "":
				read = true
			case json.Unmarshal([]byte(m), &ev) == nil && ev.UserID != self:
				out = "event: presence\ndata: " + m + "\n\n"
			}
		}
		if out != "" {
			if _, err := fmt.Fprint(w, out); err != nil {
				return
			}
			_ = rc.Flush()
		}
	}
}

// pushLive writes the events after cursor, page by page, and moves cursor.
func (s *Server) pushLive(c *gin.Context, p domain.Principal, cursor *int64) error {
	for {
		evs, err := s.store.LiveEvents(c.Request.Context(), p.AccountID, p.UserID, *cursor, livePage)
		if err != nil {
			return err
		}
		for _, e := range evs {
			data, _ := json.Marshal(e)
			if _, err := fmt.Fprintf(c.Writer, "id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Kind, data); err != nil {
				return nil // the agent left
			}
			*cursor = e.ID
		}
		_ = http.NewResponseController(c.Writer).Flush()
		if len(evs) < livePage {
			return nil
		}
	}
}

// shutdownSignal returns a channel closed when the request's http.Server starts shutting down (nil without one).
func (l *live) shutdownSignal(r *http.Request) <-chan struct{} {
	srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server)
	if !ok {
		return nil
	}
	v, loaded := l.shutdowns.LoadOrStore(srv, make(chan struct{}))
	ch := v.(chan struct{})
	if !loaded {
		srv.RegisterOnShutdown(func() { close(ch) })
	}
	return ch
}
