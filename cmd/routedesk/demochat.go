package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// demoPath is where `routedesk dev` serves a page embedding the chat widget.
const demoPath = "/demo/chat"

var demoPage = template.Must(template.New("demo").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>routedesk chat demo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d2430}code,pre{background:#f3f4f6;border-radius:4px;padding:.1rem .3rem}pre{padding:.8rem;overflow-x:auto}</style>
</head><body>
<h1>routedesk chat demo</h1>
{{if .Channel}}<p>This page embeds the chat widget of channel <code>{{.Channel}}</code> with one script tag:</p>
<pre>&lt;script src="{{.Origin}}/widget.js" data-channel="{{.Channel}}" async&gt;&lt;/script&gt;</pre>
<p>Open the chat (bottom right) and send a message: a ticket appears in the <a href="/console/">console</a>'s queue.
Reply there and the answer shows up here within a second. Reload the page: the conversation stays.</p>
<script src="/widget.js" data-channel="{{.Channel}}" async></script>
{{else}}<p>There is no chat channel yet; restart <code>routedesk dev</code> to create one.</p>{{end}}
</body></html>`))

// demoHandler serves the demo page for the channel id channel returns (read per request).
func demoHandler(channel func() string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		ch := channel()
		if !strings.HasPrefix(ch, "ch_") {
			ch = ""
		}
		_ = demoPage.Execute(w, struct{ Channel, Origin string }{ch, scheme + "://" + r.Host})
	})
}

// demoChat is `routedesk dev`'s chat demo: /demo/chat embeds the widget of the default account's chat channel.
type demoChat struct{ channel atomic.Value }

// mount serves the demo page beside the API.
func (d *demoChat) mount(api http.Handler) http.Handler {
	page := demoHandler(func() string { s, _ := d.channel.Load().(string); return s })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == demoPath && r.Method == http.MethodGet {
			page.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// demoTimeout bounds each API call the demo makes at start-up.
const demoTimeout = 10 * time.Second

// ensure finds the default account's first connected chat channel through the API at addr, creating one when
// there is none, and returns the demo page's URL; a failure is logged and the demo left out ("").
func (d *demoChat) ensure(ctx context.Context, addr, token string, log *slog.Logger) string {
	base := "http://" + addr
	id, err := findChat(ctx, base, token)
	if err == nil && id == "" {
		id, err = createChat(ctx, base, token)
	}
	if err != nil {
		log.Warn("chat demo unavailable", "error", err)
		return ""
	}
	d.channel.Store(id)
	return base + demoPath
}

func demoCall(ctx context.Context, method, url, token string, body any, out any) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			return 0, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, url, &buf)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: decode %d answer: %w", method, url, resp.StatusCode, err)
	}
	return resp.StatusCode, nil
}

func findChat(ctx context.Context, base, token string) (string, error) {
	var list struct {
		Items []struct{ ID, Type, Status string } `json:"items"`
	}
	status, err := demoCall(ctx, http.MethodGet, base+"/v1/channels?limit=500", token, nil, &list)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("list channels: status %d", status)
	}
	for _, ch := range list.Items {
		if ch.Type == "chat" && ch.Status == "connected" {
			return ch.ID, nil
		}
	}
	return "", nil
}

func createChat(ctx context.Context, base, token string) (string, error) {
	var ch struct{ ID string }
	status, err := demoCall(ctx, http.MethodPost, base+"/v1/channels", token, map[string]any{"type": "chat", "name": "Website chat",
		"config": map[string]any{"accent_color": "#1f6feb", "greeting": "Hi! This is routedesk's demo chat. Ask anything; reply from the console."}}, &ch)
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated {
		return "", fmt.Errorf("create the demo chat channel: status %d", status)
	}
	return ch.ID, nil
}
