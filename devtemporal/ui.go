package devtemporal

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// uiServer is a running Temporal Web UI.
type uiServer struct {
	srv  *uiserver.Server
	addr string
	done chan struct{}
}

// startUI serves the Temporal Web UI on host:port against the given frontend
// and returns once the UI answers its health route; with a codec endpoint the
// UI decodes payloads through it (from the browser, without credentials).
func startUI(ctx context.Context, host string, port int, frontend, namespace, codecEndpoint string) (*uiServer, error) {
	// The UI server calls Logger.Fatal when it cannot listen: check first.
	if err := checkPortFree(host, port); err != nil {
		return nil, fmt.Errorf("temporal ui: %w", err)
	}
	srv := uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		TemporalGRPCAddress: frontend,
		Host:                host,
		Port:                port,
		EnableUI:            true,
		DefaultNamespace:    namespace,
		HideLogs:            true,
		DisableNewsFetch:    true,
		CORS:                uiconfig.CORS{CookieInsecure: true},
		Codec:               uiconfig.Codec{Endpoint: codecEndpoint},
	}))
	u := &uiServer{srv: srv, addr: net.JoinHostPort(dialHost(host), strconv.Itoa(port)), done: make(chan struct{})}
	go func() {
		defer close(u.done)
		_ = srv.Start()
	}()
	if err := u.waitHealthy(ctx); err != nil {
		srv.Stop()
		return nil, err
	}
	return u, nil
}

// waitHealthy polls the UI's /healthz route until it answers 200.
func (u *uiServer) waitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	hc := &http.Client{Timeout: time.Second}
	url := "http://" + u.addr + "/healthz"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("temporal ui health request: %w", err)
		}
		resp, err := hc.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for temporal ui at %s: %w (last error: %v)", u.addr, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop closes the UI's listener and waits for its serve loop to end.
func (u *uiServer) stop() {
	u.srv.Stop()
	select {
	case <-u.done:
	case <-time.After(5 * time.Second):
	}
}
