package consoletest

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/internal/browsertest"
)

// browser starts headless Chromium at 1280×800 and returns a tab's context.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Start(t, "the console's browser tests", 1280, 800)
}

// page is a tab of the console.
type page struct {
	browsertest.Page
	base string // the console's URL
}

// choose sets a select's value and fires its change event.
func (p page) choose(sel, value string) {
	p.T.Helper()
	p.Eval(fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value; })()`, sel, value))
}

// clear empties an input or textarea.
func (p page) clear(sel string) {
	p.T.Helper()
	p.Eval(fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = ''; return el.value; })()`, sel))
}

// open goes to a view of the console (a hash route) and waits until its heading is title.
func (p page) open(hash, title string) {
	p.T.Helper()
	p.Do("open "+hash, chromedp.Navigate(p.base+hash))
	p.Until(title, fmt.Sprintf(`location.hash === %q && document.querySelector('main h1') && document.querySelector('main h1').textContent === %q`, hash, title))
}
