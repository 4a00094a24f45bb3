package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestWorkerServesMetricsAndLiveness(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "routedesk_task_queue_backlog", Help: "test"})
	reg.MustRegister(g)
	g.Set(7)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	addr, err := serveWorkerMetrics(t.Context(), "127.0.0.1:0", reg, log)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		t.Helper()
		c := &http.Client{Timeout: 5 * time.Second}
		resp, err := c.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "routedesk_task_queue_backlog 7") {
		t.Errorf("/metrics = %d %q", code, body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, _ := get("/v1/channels"); code != 404 {
		t.Errorf("the metrics listener serves nothing else, got %d", code)
	}
	if addr, err := serveWorkerMetrics(t.Context(), "", reg, log); addr != "" || err != nil {
		t.Errorf("empty address: %q, %v", addr, err)
	}
	if _, err := serveWorkerMetrics(t.Context(), "256.0.0.1:1", reg, log); err == nil || !strings.Contains(err.Error(), "ROUTEDESK_METRICS_ADDR") {
		t.Errorf("a bad address must fail the start-up naming the setting, got %v", err)
	}
}
