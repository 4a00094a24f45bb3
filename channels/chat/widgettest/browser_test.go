// Package widgettest drives the chat widget in headless Chromium, embedded by one
// script tag on a page of another origin, against a full routedesk stack.
package widgettest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds the browser; in CI (CI=true) a missing one fails the test, elsewhere it skips it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true and no chromium on PATH: the chat widget's browser tests need it (.ci/run installs Debian's chromium)")
	}
	t.Skip("skipping the chat widget's browser test: no chromium on PATH (apt-get install chromium)")
	return ""
}

// browser starts headless Chromium with a fresh profile and a viewport of w×h, and returns a tab's context.
func browser(t *testing.T, w, h int64) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(int(w), int(h)),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 150*time.Second)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// artefactDir is where screenshots go: $ROUTEDESK_ARTEFACTS_DIR, else the test's temp dir.
func artefactDir(t *testing.T) string {
	if d := os.Getenv("ROUTEDESK_ARTEFACTS_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// page wraps a tab with helpers that fail the test with the step's name.
type page struct {
	t   *testing.T
	ctx context.Context
	dir string
}

func (p page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v\n%s", what, err, p.widgetText())
	}
}

// until waits (polling every 20 ms) for a JavaScript predicate to be truthy and returns how long it took.
func (p page) until(what, expr string) time.Duration {
	p.t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(25*time.Second))); err != nil {
		p.t.Fatalf("waiting for %s: %v\nwidget text:\n%s", what, err, p.widgetText())
	}
	return time.Since(start)
}

// eval runs a JavaScript expression and returns its string value.
func (p page) eval(expr string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// shadow is a JavaScript expression for an element of the widget's shadow DOM.
func shadow(sel string) string {
	return fmt.Sprintf(`document.querySelector('[data-routedesk-chat]').shadowRoot.querySelector(%q)`, sel)
}

// widgetText is the widget's visible text, for failure messages.
func (p page) widgetText() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const h = document.querySelector('[data-routedesk-chat]');
		return h && h.shadowRoot ? h.shadowRoot.querySelector('.w').innerText : '(no widget)'; })()`))
	return v
}

// screenshot saves the viewport as name.png in the artefact directory.
func (p page) screenshot(name string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
	return path
}
