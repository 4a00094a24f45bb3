package messenger

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/routedesk/routedesk/domain"
)

// TestSendFiles: a reply's text goes out, then each file uploaded with a Send API message of its own.
func TestSendFiles(t *testing.T) {
	var mu sync.Mutex
	var kinds []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		mu.Lock()
		kinds = append(kinds, r.URL.Path+" "+mt)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"recipient_id":"psid","message_id":"m_1"}`)
	}))
	t.Cleanup(srv.Close)
	ch := New(nil, graph.New(srv.URL), nil)
	_, err := ch.Send(context.Background(), channels.Reply{Config: &Config{PageAccessToken: "tok"}, MessageID: "msg_1",
		Customer: domain.Author{ExternalUserID: "psid"}, Text: "Here you go",
		Attachments: []channels.Attachment{{Name: "a.pdf", ContentType: "application/pdf", Content: []byte("pdf")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds) != 2 || kinds[0] != "/v21.0/me/messages application/json" || kinds[1] != "/v21.0/me/messages multipart/form-data" {
		t.Fatalf("calls %v", kinds)
	}
}
