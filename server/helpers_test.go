package server_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/routedesk/routedesk/server"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func httptestServer(t *testing.T, s *server.Server) string {
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}
