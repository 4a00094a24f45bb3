package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestPublicFormRefusesUnknownFields: the public entry validates like the keyed one: unknown
// fields (a submitter's try at the ticket's pipeline or status among them) → 422 naming each.
func TestPublicFormRefusesUnknownFields(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "starter")
	form := formChannel(t, s, token, true)
	html := url.Values{"email": {"ada@example.com"}, "topic": {"billing"}, "message": {"Hi"}, "coupon": {"FREE"}, "pipeline": {"sales"}}.Encode()
	r := postPublic(t, s, http.MethodPost, "/forms/"+form, "application/x-www-form-urlencoded", html, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	require.Contains(t, string(r.Body), `"fields.coupon"`)
	require.Contains(t, string(r.Body), `"fields.pipeline"`)
	r = postPublic(t, s, http.MethodPost, "/forms/"+form, "application/json", `{"fields":{"email":"ada@example.com","topic":"billing","message":"Hi","status":"closed"}}`,
		map[string]string{"Origin": "https://www.example.com"})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), `"fields.status"`)
	require.Equal(t, 0, countMessages(t, s))
}
