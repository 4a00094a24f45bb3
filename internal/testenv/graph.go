package testenv

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// GraphRequest is one request the fake Graph API received.
type GraphRequest struct {
	Method string
	Path   string
	Query  string
	Auth   string
	Body   map[string]any
}

// GraphFake is a fake Meta Graph API that records requests and answers
// success, or the error set with FailNext.
type GraphFake struct {
	URL      string
	mu       sync.Mutex
	requests []GraphRequest
	fail     []graphFailure
	// hanging makes every request wait, unanswered, until its caller gives up or the test ends.
	hanging bool
	closed  chan struct{}
	// templates are the message_templates listings by WhatsApp Business Account id.
	templates map[string]string
	// subscriptions are the subscribed_apps listings by page or business account id.
	subscriptions map[string]string
}

type graphFailure struct {
	status int
	body   string
}

// NewGraphFake starts a fake Graph API for the test.
func NewGraphFake(t testing.TB) *GraphFake {
	f := &GraphFake{closed: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(f.closed) }) // runs first: hanging requests end before the server closes
	f.URL = srv.URL
	return f
}

// FailNext makes the next request answer status with a Graph error body.
func (f *GraphFake) FailNext(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, graphFailure{status, body})
}

// ClearFailures drops the failures FailNext queued and not yet answered.
func (f *GraphFake) ClearFailures() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = nil
}

// SetTemplates makes GET /{version}/{wabaID}/message_templates answer body (a Graph listing: {"data": [...]}).
func (f *GraphFake) SetTemplates(wabaID, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.templates == nil {
		f.templates = map[string]string{}
	}
	f.templates[wabaID] = body
}

// SetSubscribedApps makes GET /{version}/{id}/subscribed_apps answer body (a Graph
// listing); unset, the object shows one app subscribed to messages.
func (f *GraphFake) SetSubscribedApps(id, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subscriptions == nil {
		f.subscriptions = map[string]string{}
	}
	f.subscriptions[id] = body
}

// Hang makes the fake stop answering (Graph unreachable) until Answer; requests are still recorded.
func (f *GraphFake) Hang() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hanging = true
}

// Answer makes a hanging fake answer again.
func (f *GraphFake) Answer() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hanging = false
}

// Requests returns what the fake received so far.
func (f *GraphFake) Requests() []GraphRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]GraphRequest(nil), f.requests...)
}

func (f *GraphFake) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	f.mu.Lock()
	f.requests = append(f.requests, GraphRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"), Body: body})
	var fail *graphFailure
	if len(f.fail) > 0 {
		fail = &f.fail[0]
		f.fail = f.fail[1:]
	}
	hanging := f.hanging
	listing, isListing := "", false
	if parts := strings.Split(r.URL.Path, "/"); r.Method == http.MethodGet && len(parts) == 4 && parts[3] == "message_templates" {
		listing, isListing = f.templates[parts[2]], true
		if listing == "" {
			listing = `{"data":[]}`
		}
	} else if r.Method == http.MethodGet && len(parts) == 4 && parts[3] == "subscribed_apps" {
		listing, isListing = f.subscriptions[parts[2]], true
		if listing == "" {
			listing = `{"data":[{"id":"1234","name":"routedesk","subscribed_fields":["messages","messaging_postbacks"]}]}`
		}
	} else if r.Method == http.MethodGet && len(parts) == 3 {
		listing, isListing = `{"id":"`+parts[2]+`"}`, true
	}
	f.mu.Unlock()
	if hanging {
		select {
		case <-r.Context().Done():
		case <-f.closed:
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if fail != nil {
		w.WriteHeader(fail.status)
		_, _ = io.WriteString(w, fail.body)
		return
	}
	if isListing {
		_, _ = io.WriteString(w, listing)
		return
	}
	if body["messaging_product"] == "whatsapp" {
		_, _ = io.WriteString(w, `{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.OUT"}]}`)
		return
	}
	_, _ = io.WriteString(w, `{"recipient_id":"psid","message_id":"m_OUT"}`)
}
