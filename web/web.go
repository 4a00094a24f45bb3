// Package web holds the admin console's static assets (HTML, ES modules, CSS),
// embedded in the binary so `routedesk dev` serves it with no build step.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
)

//go:embed console
var assets embed.FS

// HasConsoleAsset reports whether the console has a file or folder at name ("" is its index).
func HasConsoleAsset(name string) bool {
	if name == "" {
		return true
	}
	_, err := fs.Stat(assets, path.Join("console", name))
	return err == nil
}

// Console serves the console's assets; mount it with the /console/ prefix stripped.
func Console() http.Handler {
	sub, err := fs.Sub(assets, "console")
	if err != nil {
		panic(err) // the embedded directory is fixed at build time
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// The console talks to its own origin only: no CDN, no external calls.
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
