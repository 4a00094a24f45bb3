package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/domain"
)

// graphFake is an httptest Graph API: it records each call as "path kind" and fails the calls failAt names with a 500.
type graphFake struct {
	mu     sync.Mutex
	calls  []string
	failAt map[int]bool
}

func (f *graphFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	n := len(f.calls)
	call := r.URL.Path
	if strings.HasSuffix(r.URL.Path, "/media") {
		call += " upload"
	} else {
		var m struct{ Type string }
		_ = json.Unmarshal(body, &m)
		call += " " + m.Type
	}
	f.calls = append(f.calls, call)
	fail := f.failAt[n]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case fail:
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error":{"message":"busy","type":"OAuthException","code":2,"is_transient":true}}`)
	case strings.HasSuffix(r.URL.Path, "/media"):
		_, _ = fmt.Fprintf(w, `{"id":"media-%d"}`, n)
	default:
		_, _ = fmt.Fprintf(w, `{"messages":[{"id":"wamid.%d"}]}`, n)
	}
}

// memoryLog is a PartLog in memory.
type memoryLog map[string]string

func (l memoryLog) Sent(_ context.Context, part string) (string, bool, error) {
	id, ok := l[part]
	return id, ok, nil
}

func (l memoryLog) Record(_ context.Context, part, id string) error {
	l[part] = id
	return nil
}

// TestSendFiles: a reply's text goes out first, then each file is uploaded to the number's media
// store and sent as the media kind of its type; a send cut off by a transient failure sends, when
// retried, only the parts that did not go out.
func TestSendFiles(t *testing.T) {
	fake := &graphFake{failAt: map[int]bool{3: true}} // the second file's upload fails once
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	ch := New(graph.New(srv.URL))
	log := memoryLog{}
	r := channels.Reply{Config: &Config{PhoneNumberID: "1065", AccessToken: "tok"}, MessageID: "msg_1",
		Customer: domain.Author{ExternalUserID: "16505551234"}, Text: "Here you go", Parts: log,
		Attachments: []channels.Attachment{
			{N: 0, Name: "photo.png", ContentType: "image/png", Content: []byte("png")},
			{N: 1, Name: "invoice.pdf", ContentType: "application/pdf", Content: []byte("pdf")},
		}}
	if _, err := ch.Send(context.Background(), r); err == nil || channels.AsSendError(err) != nil {
		t.Fatalf("a Graph 500 mid-reply: %v, want a transient error", err)
	}
	sent, err := ch.Send(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/v21.0/1065/messages text", "/v21.0/1065/media upload", "/v21.0/1065/messages image",
		"/v21.0/1065/media upload", // failed
		"/v21.0/1065/media upload", "/v21.0/1065/messages document"}
	if strings.Join(fake.calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(fake.calls, "\n"), strings.Join(want, "\n"))
	}
	if sent.ProviderID != "wamid.0" || log["text"] != "wamid.0" || log["file:1"] != "wamid.5" {
		t.Fatalf("provider id %q, log %v", sent.ProviderID, log)
	}
}
