package testenv

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"time"
)

// SSEEvent is one Server-Sent Event as a test reads it.
type SSEEvent struct {
	ID, Event, Data string
	// At is when the event was read.
	At time.Time
}

// OpenSSE GETs url with the headers and, on a 200 text/event-stream answer, returns its events as they arrive
// (the channel closes when the stream ends or ctx does); otherwise nil and the answer's status and Retry-After.
func OpenSSE(ctx context.Context, url string, header map[string]string) (events <-chan SSEEvent, status int, retryAfter string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, "", err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, "", err
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		_ = resp.Body.Close()
		return nil, resp.StatusCode, resp.Header.Get("Retry-After"), nil
	}
	out := make(chan SSEEvent, 1000)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev SSEEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					ev.At = time.Now()
					select {
					case out <- ev:
					case <-ctx.Done():
						return
					}
				}
				ev = SSEEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.Event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return out, http.StatusOK, "", nil
}
