package graph_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/stretchr/testify/require"
)

const testToken = "EAAG-super-secret-page-token-123"

// recordedRequest is one request as the fake Graph server saw it.
type recordedRequest struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     map[string]any
	RawBody  []byte
}

// fakeGraph is an httptest Graph server that records every request and answers with a canned reply.
type fakeGraph struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []recordedRequest
	status int
	body   string
	ctype  string
	// block, when set, makes the handler wait for the request context or the channel to close.
	block chan struct{}
}

func newFakeGraph(t *testing.T) *fakeGraph {
	t.Helper()
	f := &fakeGraph{t: t, status: http.StatusOK, ctype: "application/json"}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(func() {
		if f.block != nil {
			select {
			case <-f.block:
			default:
				close(f.block)
			}
		}
		f.srv.Close()
	})
	return f
}

func (f *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rec := recordedRequest{
		Method:   r.Method,
		Path:     r.URL.Path,
		RawQuery: r.URL.RawQuery,
		Header:   r.Header.Clone(),
		RawBody:  raw,
	}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &rec.Body)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, rec)
	status, body, ctype, block := f.status, f.body, f.ctype, f.block
	f.mu.Unlock()

	if block != nil {
		select {
		case <-block:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// reply sets the status and body returned to subsequent requests.
func (f *fakeGraph) reply(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status, f.body = status, body
}

// requests returns a copy of everything recorded so far.
func (f *fakeGraph) requests() []recordedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recordedRequest(nil), f.reqs...)
}

// only asserts exactly one request was recorded and returns it.
func (f *fakeGraph) only() recordedRequest {
	f.t.Helper()
	reqs := f.requests()
	require.Len(f.t, reqs, 1)
	return reqs[0]
}

func (f *fakeGraph) client() *graph.Client {
	return graph.New(f.srv.URL)
}

// decode unmarshals raw JSON for comparisons against recorded bodies.
func decode(t *testing.T, raw string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &m))
	return m
}
