// Package browsertest drives headless Chromium (Debian's chromium) from Go
// tests with chromedp: it starts the browser, and a Page fails the test with
// the step's name and what the page shows.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds the browser; in CI (CI=true) a missing one fails the test, elsewhere it skips it.
func chromiumPath(t *testing.T, what string) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and no chromium on PATH: %s needs it (.ci/run installs Debian's chromium)", what)
	}
	t.Skipf("skipping %s: no chromium on PATH (apt-get install chromium)", what)
	return ""
}

// Start starts headless Chromium with a fresh profile and a w×h viewport for
// what (named in skip and failure messages), and returns a tab's context.
func Start(t *testing.T, what string, w, h int64) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t, what)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(int(w), int(h)),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 240*time.Second)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// ArtefactDir is where screenshots go: $ROUTEDESK_ARTEFACTS_DIR, else the test's temp dir.
func ArtefactDir(t *testing.T) string {
	if d := os.Getenv("ROUTEDESK_ARTEFACTS_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// Page is a tab with steps that fail the test with the step's name.
type Page struct {
	T   *testing.T
	Ctx context.Context
	// Dir is where Screenshot saves.
	Dir string
	// Shows returns what the page shows, for failure messages; nil: the body's text.
	Shows func() string
}

// text is what the page shows, for failure messages.
func (p Page) text() string {
	if p.Shows != nil {
		return p.Shows()
	}
	ctx, cancel := context.WithTimeout(p.Ctx, 5*time.Second)
	defer cancel()
	v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return v
}

// Do runs steps within 30 s.
func (p Page) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.T.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.T.Fatalf("%s: %v\n%s", what, err, p.text())
	}
}

// Until waits (checking every 20 ms, at most 40 s) for a JavaScript predicate to be truthy and returns how long it took.
// Each check is its own short evaluation, so a page that replaces its execution context (a reload) cannot leave the
// wait hanging on a promise that never settles.
func (p Page) Until(what, expr string) time.Duration {
	p.T.Helper()
	start := time.Now()
	deadline := start.Add(40 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(p.Ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return time.Since(start)
		}
		if time.Now().After(deadline) || p.Ctx.Err() != nil {
			p.T.Fatalf("waiting for %s (last check: %v)\nthe page shows:\n%s", what, err, p.text())
		}
		select {
		case <-tick.C:
		case <-p.Ctx.Done():
		}
	}
}

// Eval runs a JavaScript expression and returns its string value.
func (p Page) Eval(expr string) string {
	p.T.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.T.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Screenshot saves the page as name.png in Dir and returns its path.
func (p Page) Screenshot(name string) string {
	p.T.Helper()
	ctx, cancel := context.WithTimeout(p.Ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.T.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(p.Dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.T.Fatal(err)
	}
	p.T.Logf("screenshot: %s", path)
	return path
}

// SecondContext opens a tab in a new browser context (its own storage, as a second person's browser) of the
// browser Start started for ctx, with the same w×h viewport: two agents side by side in one test.
func SecondContext(t *testing.T, ctx context.Context, w, h int64) context.Context {
	t.Helper()
	c, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(c, chromedp.EmulateViewport(w, h)); err != nil {
		t.Fatalf("open a second browser context: %v", err)
	}
	return c
}
