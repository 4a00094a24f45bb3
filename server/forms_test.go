package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

func formConfig(public bool) map[string]any {
	return map[string]any{
		"form_id": "contact-us",
		"fields": []map[string]any{
			{"name": "email", "label": "Email", "type": "email", "required": true},
			{"name": "name", "label": "Name"},
			{"name": "topic", "label": "Topic", "type": "select", "options": []string{"billing", "shipping"}, "required": true},
			{"name": "order", "label": "Order number", "type": "number"},
			{"name": "message", "label": "Message", "type": "textarea", "required": true},
			{"name": "utm_source", "type": "hidden", "hidden": true},
		},
		"subject_field": "topic", "description_field": "message",
		"public": public, "redirect_url": "https://example.com/thanks",
		"allowed_origins": []string{"https://www.example.com"}, "honeypot_field": "website", "rate_limit_per_minute": 3,
	}
}

func formChannel(t *testing.T, s *testenv.Stack, token string, public bool) string {
	t.Helper()
	return createChannel(t, s, token, map[string]any{"type": "form", "name": "Contact form", "config": formConfig(public),
		"ticket_defaults": map[string]any{"pipeline": "support", "status": "open"}})
}

func TestFormSubmissionBecomesTicketWithHiddenFieldsOffTheThread(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	form := formChannel(t, s, token, false)
	rule := s.Do(http.MethodPost, "/v1/rules", token, map[string]any{"name": "ads", "kind": "property",
		"when": `message.hidden.utm_source == "ads" && message.fields.topic == "billing"`, "set": map[string]any{"priority": "high"}})
	require.Equal(t, http.StatusCreated, rule.Status, string(rule.Body))
	key := s.Do(http.MethodPost, "/v1/channels/"+form+"/keys", token, nil).Map(t)["key"].(string)
	path := "/v1/channels/" + form + "/submissions"

	// Validation: unknown fields, required ones, types and options, each named.
	bad := s.Do(http.MethodPost, path, key, map[string]any{"external_id": "s-0", "fields": map[string]any{
		"email": "not-an-email", "topic": "refunds", "order": "12x", "pipeline": "sales", "status": "closed"}})
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status, string(bad.Body))
	require.Contains(t, string(bad.Body), `"fields.pipeline"`)
	require.Contains(t, string(bad.Body), `"fields.status"`)
	bad = s.Do(http.MethodPost, path, key, map[string]any{"external_id": "s-0", "fields": map[string]any{
		"email": "not-an-email", "topic": "refunds", "order": "12x"}})
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status, string(bad.Body))
	for _, want := range []string{`"fields.email"`, `"fields.topic"`, `"fields.order"`, `"fields.message","message":"is required"`, "billing, shipping"} {
		require.Contains(t, string(bad.Body), want)
	}
	require.Equal(t, http.StatusUnprocessableEntity, s.Do(http.MethodPost, path, key, map[string]any{"fields": map[string]any{}}).Status, "external_id required")
	require.Equal(t, http.StatusUnprocessableEntity, s.Do(http.MethodPost, path, key, map[string]any{"external_id": "s-0",
		"fields": map[string]any{"message": []string{"a"}}}).Status, "a list is no field value")
	require.Equal(t, 0, countMessages(t, s))

	sub := map[string]any{"external_id": "s-1", "page_url": "https://example.com/contact", "fields": map[string]any{
		"email": "ada@example.com", "name": "Ada", "topic": "billing", "order": 1234, "message": "I was charged twice.", "utm_source": "ads"}}
	ok := s.Do(http.MethodPost, path, key, sub)
	require.Equal(t, http.StatusAccepted, ok.Status, string(ok.Body))
	again := s.Do(http.MethodPost, path, key, sub)
	require.Equal(t, http.StatusOK, again.Status)
	require.Equal(t, true, again.Map(t)["duplicate"])

	ticket := waitTicket(t, s, token, "channel_id="+form)
	require.Equal(t, "billing", ticket["subject"])
	require.Equal(t, "I was charged twice.", ticket["description"])
	require.Equal(t, "support", ticket["pipeline"])
	require.Equal(t, "open", ticket["status"])
	require.Equal(t, "high", ticket["priority"], "the rule saw message.hidden and message.fields")

	thread := s.Do(http.MethodGet, "/v1/tickets/"+ticket["id"].(string)+"/messages", token, nil)
	require.Equal(t, http.StatusOK, thread.Status)
	body := string(thread.Body)
	require.Contains(t, body, `Email: ada@example.com\nName: Ada\nTopic: billing\nOrder number: 1234\nMessage: I was charged twice.`)
	require.NotContains(t, body, "utm_source")
	require.NotContains(t, body, "ads")

	var hidden string
	require.NoError(t, s.Store.DB().Get(&hidden, `SELECT hidden->>'utm_source' FROM submissions`))
	require.Equal(t, "ads", hidden, "hidden fields are stored with the submission")

	// A submission to a channel that is not a form, and with another channel's key.
	chat := createChannel(t, s, token, map[string]any{"type": "chat", "name": "Chat"})
	require.Equal(t, http.StatusUnprocessableEntity, s.Do(http.MethodPost, "/v1/channels/"+chat+"/submissions", token, sub).Status)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodPost, "/v1/channels/"+chat+"/submissions", key, sub).Status)
}

func postPublic(t *testing.T, s *testenv.Stack, method, path, contentType, body string, headers map[string]string) testenv.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, s.HTTP.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

func TestPublicFormUrlencodedJSONCORSHoneypotAndRateLimit(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	private := formChannel(t, s, token, false)
	form := formChannel(t, s, token, true)
	path := "/forms/" + form
	html := url.Values{"email": {"grace@example.com"}, "topic": {"shipping"}, "message": {"Where is it?"}, "utm_source": {"newsletter"}}.Encode()
	const urlencoded = "application/x-www-form-urlencoded"

	// A private form is not there for the public.
	require.Equal(t, http.StatusNotFound, postPublic(t, s, http.MethodPost, "/forms/"+private, urlencoded, html, nil).Status)
	require.Equal(t, http.StatusNotFound, postPublic(t, s, http.MethodPost, "/forms/nope", urlencoded, html, nil).Status)

	// A plain HTML form: stored, then a 303 to the thank-you page.
	r := postPublic(t, s, http.MethodPost, path, urlencoded, html, nil)
	require.Equal(t, http.StatusSeeOther, r.Status, string(r.Body))
	require.Equal(t, "https://example.com/thanks", r.Header.Get("Location"))

	// JSON from an allowed origin carries CORS headers; another origin is refused; the preflight answers.
	jsonBody := `{"fields":{"email":"linus@example.com","topic":"billing","message":"Invoice?"}}`
	r = postPublic(t, s, http.MethodPost, path, "application/json", jsonBody, map[string]string{"Origin": "https://www.example.com"})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	require.Equal(t, "https://www.example.com", r.Header.Get("Access-Control-Allow-Origin"))
	pre := postPublic(t, s, http.MethodOptions, path, "", "", map[string]string{"Origin": "https://www.example.com", "Access-Control-Request-Method": "POST"})
	require.Equal(t, http.StatusNoContent, pre.Status, string(pre.Body))
	require.Equal(t, "https://www.example.com", pre.Header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, pre.Header.Get("Access-Control-Allow-Methods"), "POST")
	require.Equal(t, http.StatusForbidden, postPublic(t, s, http.MethodOptions, path, "", "", map[string]string{"Origin": "https://evil.example"}).Status)
	evil := postPublic(t, s, http.MethodPost, path, "application/json", jsonBody, map[string]string{"Origin": "https://evil.example"})
	require.Equal(t, http.StatusForbidden, evil.Status)
	require.Empty(t, evil.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, 2, countMessages(t, s))

	// Third request of the minute: the honeypot is answered like a success and stored nowhere.
	spam := url.Values{"email": {"bot@example.com"}, "topic": {"billing"}, "message": {"cheap pills"}, "website": {"http://spam.example"}}.Encode()
	r = postPublic(t, s, http.MethodPost, path, urlencoded, spam, nil)
	require.Equal(t, http.StatusSeeOther, r.Status, string(r.Body))
	require.Equal(t, 2, countMessages(t, s))

	// The fourth within the minute (rate_limit_per_minute: 3) is refused with Retry-After.
	r = postPublic(t, s, http.MethodPost, path, urlencoded, html, nil)
	require.Equal(t, http.StatusTooManyRequests, r.Status, string(r.Body))
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	require.NotEmpty(t, r.Header.Get("Retry-After"))
	// X-Forwarded-For from an untrusted peer does not make a new client.
	r = postPublic(t, s, http.MethodPost, path, urlencoded, html, map[string]string{"X-Forwarded-For": "203.0.113.7"})
	require.Equal(t, http.StatusTooManyRequests, r.Status, string(r.Body))
	require.Equal(t, 2, countMessages(t, s))

	var n int
	require.NoError(t, s.Store.DB().Get(&n, `SELECT count(*) FROM submissions WHERE hidden->>'utm_source' = 'newsletter'`))
	require.Equal(t, 1, n)
}
