package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	s := New(nil, nil, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc))
	require.Equal(t, "3.1.0", doc.OpenAPI)

	registered := map[string]bool{}
	for _, r := range s.Routes() {
		p := openAPIPath(r.Path)
		key := strings.ToLower(r.Method) + " " + p
		registered[key] = true
		require.Contains(t, doc.Paths, p, "route %s %s is not in /openapi.json", r.Method, r.Path)
		require.Contains(t, doc.Paths[p], strings.ToLower(r.Method), "route %s %s is not in /openapi.json", r.Method, r.Path)
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			require.True(t, registered[m+" "+p], "/openapi.json documents %s %s, which is not served", m, p)
		}
	}
	// Every documented request body has a schema with properties.
	var full map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &full))
	post := full["paths"].(map[string]any)["/v1/channels/{id}/messages"].(map[string]any)["post"].(map[string]any)
	schema := post["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	require.Contains(t, schema["properties"], "external_id")
}

func TestAPIContractRoutesExist(t *testing.T) {
	// The routes ../shared/API.md names that this server serves so far.
	s := New(nil, nil, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil)
	have := map[string]bool{}
	for _, r := range s.Routes() {
		have[r.Method+" "+r.Path] = true
	}
	for _, want := range []string{
		"GET /healthz", "GET /readyz", "GET /metrics", "GET /openapi.json",
		"POST /v1/accounts", "GET /v1/account/settings", "PATCH /v1/account/settings",
		"POST /v1/channels", "GET /v1/channels", "GET /v1/channels/:id", "PATCH /v1/channels/:id", "DELETE /v1/channels/:id",
		"POST /v1/channels/:id/messages", "POST /v1/channels/:id/keys", "GET /v1/channels/:id/keys", "DELETE /v1/channels/:id/keys/:key_id",
		"POST /v1/channels/:id/email",
		"GET /v1/messages/:id/attachments", "GET /v1/messages/:id/attachments/:n",
		"POST /v1/users", "GET /v1/users", "GET /v1/users/:id", "PATCH /v1/users/:id", "DELETE /v1/users/:id", "PUT /v1/users/:id/availability", "POST /v1/users/:id/tokens",
		"POST /v1/teams", "GET /v1/teams", "GET /v1/teams/:id", "PATCH /v1/teams/:id", "DELETE /v1/teams/:id",
		"POST /v1/contacts", "GET /v1/contacts", "GET /v1/contacts/:id", "PATCH /v1/contacts/:id",
		"POST /v1/rules", "GET /v1/rules", "GET /v1/rules/:id", "PATCH /v1/rules/:id", "DELETE /v1/rules/:id", "POST /v1/rules/validate", "POST /v1/rules/test",
		"GET /v1/tickets", "GET /v1/tickets/:id", "GET /v1/tickets/:id/messages", "PATCH /v1/tickets/:id", "POST /v1/tickets/:id/replies",
		"POST /v1/channels/:id/imports", "GET /v1/imports", "GET /v1/imports/:id", "DELETE /v1/imports/:id",
	} {
		require.True(t, have[want], want)
	}
}
