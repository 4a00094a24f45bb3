package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// healthcheckTimeout bounds `routedesk healthcheck` as a whole.
const healthcheckTimeout = 5 * time.Second

// runHealthcheck asks the API on ROUTEDESK_HTTP_ADDR for /readyz and fails
// unless it answers 200: the health check of the distroless image, which has no curl.
func runHealthcheck(ctx context.Context, cfg *config, _ *slog.Logger, stdout io.Writer) error {
	url := "http://" + dialable(cfg.HTTPAddr) + "/readyz"
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: ROUTEDESK_HTTP_ADDR=%q: %w", cfg.HTTPAddr, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: GET %s answered %d: %s", url, resp.StatusCode, body)
	}
	fmt.Fprintf(stdout, "ready: %s\n", body)
	return nil
}

// dialable turns a listen address into one to dial: an unspecified host (0.0.0.0, ::, empty) becomes loopback.
func dialable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
