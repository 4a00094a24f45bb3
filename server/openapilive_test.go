package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/channels/registry"
	"github.com/routedesk/routedesk/channels/traits"
	"github.com/routedesk/routedesk/domain"
)

// probeConfig and probe are a channel type only this test registers.
type probeConfig struct {
	Token string `json:"token"`
}

func (*probeConfig) Type() channels.Type        { return "probe" }
func (*probeConfig) ApplyDefaults()             {}
func (*probeConfig) Check() []domain.FieldError { return nil }

type probe struct{}

type probeMessage struct {
	ID string `json:"id"`
}

func (probe) Type() channels.Type        { return "probe" }
func (probe) NewConfig() channels.Config { return &probeConfig{} }
func (probe) TierRequired() string       { return "" }
func (probe) Traits() traits.Traits      { return traits.Traits{} }
func (probe) Routes(r channels.Router, h channels.Host) {
	r.Handle(channels.Route{Method: http.MethodPost, Path: "/v1/channels/:id/probe", Auth: channels.AuthChannel, Tag: "inbound",
		Summary: "Probe messages (test only)", Request: probeMessage{}, Status: http.StatusAccepted, Problems: []int{http.StatusConflict},
		Handler: func(c *gin.Context) { c.Status(http.StatusAccepted) }})
}
func (probe) Send(context.Context, channels.Reply) (channels.Sent, error) {
	return channels.Sent{}, nil
}

// openAPIOf fetches the server's /openapi.json.
func openAPIOf(t *testing.T, s *Server) map[string]map[string]map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	var doc struct {
		Paths map[string]map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc))
	return doc.Paths
}

// Issue 31, point 3: /openapi.json documents the live router of its own
// server: a channel type registered after another server answered the
// document is in it; every served route is documented with the problem+json
// error responses its auth, parameters and body imply.
func TestOpenAPIDocumentsTheLiveRouter(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	first := New(nil, nil, Config{}, quiet, nil, nil)
	require.NotContains(t, openAPIOf(t, first), "/v1/channels/{id}/probe")

	reg, err := registry.New(registry.Deps{Log: quiet}).With(probe{})
	require.NoError(t, err)
	s := New(nil, nil, Config{Channels: reg}, quiet, nil, nil)
	paths := openAPIOf(t, s)
	require.Contains(t, paths, "/v1/channels/{id}/probe")
	require.Contains(t, paths["/v1/channels/{id}/probe"]["post"]["responses"], "409")

	// A route put on the engine some other way is documented too.
	s.engine.GET("/v1/late", func(c *gin.Context) { c.Status(http.StatusOK) })
	require.Contains(t, openAPIOf(t, s), "/v1/late")

	for _, r := range s.Routes() {
		p := openAPIPath(r.Path)
		op := paths[p][strings.ToLower(r.Method)]
		if r.Path == "/v1/late" {
			continue
		}
		require.NotNil(t, op, "%s %s is not documented", r.Method, r.Path)
		responses := op["responses"].(map[string]any)
		var statuses []int
		for code, resp := range responses {
			n, err := strconv.Atoi(code)
			require.NoError(t, err)
			if n < 400 {
				continue
			}
			statuses = append(statuses, n)
			content := resp.(map[string]any)["content"].(map[string]any)
			require.Contains(t, content, "application/problem+json", "%s %s %d", r.Method, r.Path, n)
		}
		want := []int{431, 500}
		if strings.ContainsAny(r.Path, ":*") {
			want = append(want, 404, 422)
		}
		if r.Auth != "" {
			want = append(want, 401)
		}
		if _, body := op["requestBody"]; body {
			want = append(want, 400, 408, 413, 422)
		}
		if rb, ok := op["requestBody"].(map[string]any); ok && rb["content"].(map[string]any)["application/json"] != nil {
			if schema := rb["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any); schema["properties"] != nil {
				want = append(want, 415)
			}
		}
		for _, st := range want {
			require.True(t, slices.Contains(statuses, st), "%s %s does not document %d (has %v)", r.Method, r.Path, st, statuses)
		}
	}
}
