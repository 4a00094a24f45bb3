package chat

import (
	"html/template"
	"net/http"
	"strings"
)

// DemoPath is where `routedesk dev` serves a page embedding the widget.
const DemoPath = "/demo/chat"

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

// DemoHandler serves the demo page for the channel id channel returns (evaluated per request).
func DemoHandler(channel func() string) http.Handler {
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
