package server_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/server"
)

// Issue 22, defect 6: an upload that stalls is the client's fault: 408
// problem+json, logged at INFO, on the import upload (its own idle timeout),
// the messages route and a webhook (the server's read timeout) alike; before,
// the stalled read was taken for an unavailable dependency (503, ERROR).
func TestStalledUploadIs408LoggedAtInfo(t *testing.T) {
	a := newLightAPI(t, server.Config{UploadIdleTimeout: 300 * time.Millisecond}, func(srv *http.Server) {
		srv.ReadTimeout = 600 * time.Millisecond
	})
	ch := a.do(t, http.MethodPost, "/v1/channels", map[string]any{"type": "chat", "name": "Chat"})
	require.Equal(t, http.StatusCreated, ch.Status, string(ch.Body))
	id := ch.Map(t)["id"].(string)
	for _, c := range []struct{ path, ctype, first string }{
		{"/v1/channels/" + id + "/imports?format=ndjson", "application/x-ndjson", `{"external_id":"a","thread_id":"t","text":"x"}` + "\n"},
		{"/v1/channels/" + id + "/messages", "application/json", `{"external_id":"slow","text":"`},
		{"/webhooks/messenger", "application/json", `{"object":"page","entry":[`},
	} {
		pr, pw := io.Pipe()
		req, err := http.NewRequest(http.MethodPost, a.URL+c.path, pr)
		require.NoError(t, err)
		req.ContentLength = 10_000
		req.Header.Set("Authorization", "Bearer "+a.Token)
		req.Header.Set("Content-Type", c.ctype)
		go func() { _, _ = pw.Write([]byte(c.first)) }() // and then nothing
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err, c.path)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_ = pw.Close()
		require.Equal(t, http.StatusRequestTimeout, resp.StatusCode, "%s: %s\n%v", c.path, b, a.Logs.records(t))
		require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
		require.Less(t, time.Since(start), 10*time.Second)
	}
	requests := 0
	for _, rec := range a.Logs.records(t) {
		require.NotEqual(t, "ERROR", rec["level"], "%v", rec)
		require.NotEqual(t, "dependency unavailable", rec["msg"], "%v", rec)
		if rec["msg"] == "http request" && rec["status"] == float64(http.StatusRequestTimeout) {
			require.Equal(t, "INFO", rec["level"])
			requests++
		}
	}
	require.Equal(t, 3, requests)
}

// Issue 22, defect 11: the 400 net/http answers itself for a control byte in
// a header (before any handler runs) is problem+json when the API is served
// on server.ProblemListener, as cmd/routedesk does.
func TestNetHTTPErrorsAreProblemJSON(t *testing.T) {
	api := server.New(nil, nil, server.Config{}, quietLog(), nil, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(server.ProblemListener(ln)) }()
	t.Cleanup(func() { _ = srv.Close() })
	for _, raw := range []string{
		"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Evil: a\x01b\r\n\r\n",
		"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Evil: a\x00b\r\n\r\n",
		"GET /healthz HTTP/1.1\r\nHost: a\r\nX\x7fEvil: b\r\n\r\n",
		"GET /healthz HTTP/1.1\r\n\r\n",
		"GET /he\x01lthz HTTP/1.1\r\nHost: a\r\n\r\n",
	} {
		conn, err := net.Dial("tcp", ln.Addr().String())
		require.NoError(t, err)
		_, err = conn.Write([]byte(raw))
		require.NoError(t, err)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		require.NoError(t, err, "%q", raw)
		b, _ := io.ReadAll(resp.Body)
		conn.Close()
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%q: %s", raw, b)
		require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"), "%q: %s", raw, b)
		var p server.Problem
		require.NoError(t, json.Unmarshal(b, &p), string(b))
		require.Equal(t, http.StatusBadRequest, p.Status)
		require.NotEmpty(t, p.Detail)
	}
	// An ordinary request on the same listener is untouched.
	resp, err := http.Get("http://" + ln.Addr().String() + "/v1/nothing")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// publicForm connects a public form channel whose honeypot field is "website".
func publicForm(t *testing.T, a *lightAPI) string {
	t.Helper()
	r := a.do(t, http.MethodPost, "/v1/channels", map[string]any{"type": "form", "name": "Contact form", "config": formConfig(true)})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	return r.Map(t)["id"].(string)
}

// Issue 22, defect 11: a honeypot submission is answered exactly as a real
// one — same status, same fields, ids of the same form — and stores nothing.
func TestHoneypotIsAnsweredLikeARealSubmission(t *testing.T) {
	a := newLightAPI(t, server.Config{}, nil)
	form := publicForm(t, a)
	post := func(fields map[string]any) map[string]any {
		b, _ := json.Marshal(map[string]any{"fields": fields})
		r := rawDo(t, http.MethodPost, a.URL+"/forms/"+form, map[string]string{"Content-Type": "application/json"}, string(b))
		require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
		return r.Map(t)
	}
	real := post(map[string]any{"email": "ada@example.com", "topic": "billing", "message": "Hi"})
	spam := post(map[string]any{"email": "bot@example.com", "topic": "billing", "message": "pills", "website": "http://spam.example"})
	require.Equal(t, len(real), len(spam), "real %v, spam %v", real, spam)
	for k, v := range real {
		require.Contains(t, spam, k)
		if s, ok := v.(string); ok {
			other, _ := spam[k].(string)
			require.NotEmpty(t, other, k)
			require.Equal(t, s[:strings.IndexAny(s, "_:")], other[:strings.IndexAny(other, "_:")], "%s: %s vs %s", k, s, other)
			require.NotEqual(t, s, other)
		} else {
			require.Equal(t, v, spam[k], k)
		}
	}
	var n int
	require.NoError(t, a.Store.DB().Get(&n, `SELECT count(*) FROM messages`))
	require.Equal(t, 1, n)
	require.NoError(t, a.Store.DB().Get(&n, `SELECT count(*) FROM conversations WHERE id = $1`, spam["conversation_id"]))
	require.Zero(t, n)
}

// Issue 31, point 10: a public submission with a bad email and an unknown
// field is told of both in one answer (urlencoded and JSON alike).
func TestPublicFormNamesEveryBadField(t *testing.T) {
	a := newLightAPI(t, server.Config{}, nil)
	form := publicForm(t, a)
	html := url.Values{"email": {"not-an-email"}, "topic": {"refunds"}, "message": {"Hi"}, "coupon": {"FREE"}}.Encode()
	for _, r := range []struct{ ctype, body string }{
		{"application/x-www-form-urlencoded", html},
		{"application/json", `{"fields":{"email":"not-an-email","topic":"refunds","message":"Hi","coupon":"FREE","order":{"n":1}}}`},
	} {
		resp := rawDo(t, http.MethodPost, a.URL+"/forms/"+form, map[string]string{"Content-Type": r.ctype}, r.body)
		for _, field := range []string{"fields.email", "fields.topic", "fields.coupon"} {
			requireProblem(t, resp, http.StatusUnprocessableEntity, field)
		}
		if strings.Contains(r.body, "order") {
			requireProblem(t, resp, http.StatusUnprocessableEntity, "fields.order")
			require.Equal(t, 1, strings.Count(string(resp.Body), `"fields.order"`), string(resp.Body))
		}
	}
}

// Issue 22, defect 11: Meta's handshake echoes hub.challenge as plain text no browser sniffs.
func TestMessengerHandshakeIsNosniffPlainText(t *testing.T) {
	a := newLightAPI(t, server.Config{}, nil)
	r := a.do(t, http.MethodPost, "/v1/channels", map[string]any{"type": "messenger", "name": "Page",
		"config": map[string]any{"page_id": "4242", "page_access_token": "tok", "app_secret": "s", "verify_token": "v"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"v"}, "hub.challenge": {"<script>alert(1)</script>"}}
	resp := rawDo(t, http.MethodGet, a.URL+"/webhooks/messenger?"+q.Encode(), nil, "")
	require.Equal(t, http.StatusOK, resp.Status, string(resp.Body))
	require.Equal(t, "<script>alert(1)</script>", string(resp.Body))
	require.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
}
