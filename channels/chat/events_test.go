package chat_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels/chat"
	"github.com/routedesk/routedesk/internal/testenv"
)

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	ID, Event string
	Data      map[string]any
	At        time.Time
}

// openEvents connects to the visitor's event stream and returns its events as they arrive.
func (e chatEnv) openEvents(ctx context.Context, token, after string) <-chan sseEvent {
	e.t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.s.HTTP.URL+"/chat/v1/"+e.ch+"/events?visitor_token="+token+"&after="+after, nil)
	require.NoError(e.t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	require.Equal(e.t, http.StatusOK, resp.StatusCode)
	require.Equal(e.t, "text/event-stream", resp.Header.Get("Content-Type"))
	out := make(chan sseEvent, 100)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					ev.At = time.Now()
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.Event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.Data)
			}
		}
	}()
	return out
}

func next(t *testing.T, events <-chan sseEvent, within time.Duration) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		require.True(t, ok, "the stream ended")
		return ev
	case <-time.After(within):
		t.Fatalf("no event within %s", within)
		return sseEvent{}
	}
}

func TestEventsPushAgentRepliesWithinOneSecond(t *testing.T) {
	e := newChatEnv(t, map[string]any{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tok, _ := e.session(e.ch, nil)
	other, _ := e.session(e.ch, nil)
	events := e.openEvents(ctx, tok, "") // opened before the conversation exists
	otherEvents := e.openEvents(ctx, other, "")

	m := e.send(e.ch, tok, "c-1", "hello?", http.StatusAccepted)
	ev := next(t, events, 2*time.Second)
	require.Equal(t, "message", ev.Event)
	require.Equal(t, m["id"], ev.ID)
	require.Equal(t, "inbound", ev.Data["direction"])

	ticket := e.ticketOf(m["id"].(string))
	var worst time.Duration
	for i, text := range []string{"Hi! Looking now.", "Found it."} {
		start := time.Now()
		e.reply(ticket["id"].(string), text)
		ev = next(t, events, 2*time.Second)
		took := ev.At.Sub(start)
		worst = max(worst, took)
		require.Equal(t, "outbound", ev.Data["direction"], i)
		require.Equal(t, text, ev.Data["text"])
		require.Less(t, took, time.Second, "reply %d reached the widget after %s", i, took)
	}
	t.Logf("agent reply → visitor's stream: at most %s", worst)

	// Another visitor's stream saw nothing of it.
	select {
	case ev := <-otherEvents:
		t.Fatalf("another visitor received %+v", ev)
	case <-time.After(300 * time.Millisecond):
	}

	// A reconnect with Last-Event-ID/after resumes after what was seen; a stream from the start replays all.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	resumed := e.openEvents(ctx2, tok, m["id"].(string))
	require.Equal(t, "Hi! Looking now.", next(t, resumed, 2*time.Second).Data["text"])
	require.Equal(t, "Found it.", next(t, resumed, 2*time.Second).Data["text"])

	r := e.call(http.MethodGet, "/chat/v1/"+e.ch+"/events?visitor_token=bad", "", nil)
	require.Equal(t, http.StatusUnauthorized, r.Status)
}

func TestEventStreamsEndWhenTheServerShutsDown(t *testing.T) {
	e := newChatEnv(t, map[string]any{})
	tok, _ := e.session(e.ch, nil)
	events := e.openEvents(context.Background(), tok, "")
	testenv.Eventually(t, 5*time.Second, "the stream open", func() bool { return e.s.Metric("routedesk_chat_streams_open") == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, e.s.HTTP.Config.Shutdown(ctx), "an open stream does not hold a graceful shutdown")
	require.Less(t, time.Since(start), 2*time.Second)
	select {
	case _, ok := <-events:
		require.False(t, ok, "the stream ended")
	case <-time.After(2 * time.Second):
		t.Fatal("the stream is still open")
	}
}

// TestEventStreamsAreCappedPerVisitor: one visitor holds at most chat.DefaultStreamsPerVisitor
// streams; the next is a 429 problem with Retry-After, another visitor is not held up, a closed
// stream frees its slot, and /metrics counts the open streams.
func TestEventStreamsAreCappedPerVisitor(t *testing.T) {
	e := newChatEnv(t, map[string]any{})
	tok, _ := e.session(e.ch, nil)
	other, _ := e.session(e.ch, nil)
	var cancels []context.CancelFunc
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	for range chat.DefaultStreamsPerVisitor {
		ctx, cancel := context.WithCancel(context.Background())
		cancels = append(cancels, cancel)
		e.openEvents(ctx, tok, "")
	}
	r := e.call(http.MethodGet, "/chat/v1/"+e.ch+"/events?visitor_token="+tok, "", nil)
	require.Equal(t, http.StatusTooManyRequests, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), "live streams open")
	require.NotEmpty(t, r.Header.Get("Retry-After"))
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.openEvents(ctx, other, "") // another visitor still gets one

	metrics := e.call(http.MethodGet, "/metrics", "", nil)
	require.Contains(t, string(metrics.Body), "routedesk_chat_streams_open "+strconv.Itoa(chat.DefaultStreamsPerVisitor+1))
	require.Contains(t, string(metrics.Body), `routedesk_chat_streams_refused_total{scope="visitor"} 1`)

	cancels[0]()
	require.Eventually(t, func() bool { return e.streamStatus(tok) == http.StatusOK }, 5*time.Second, 50*time.Millisecond,
		"a closed stream frees its slot")
}

// streamStatus opens the visitor's event stream, returns the status of its answer and closes it.
func (e chatEnv) streamStatus(token string) int {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.s.HTTP.URL+"/chat/v1/"+e.ch+"/events?visitor_token="+token, nil)
	require.NoError(e.t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	return resp.StatusCode
}
