// Package widgettest drives the chat widget in headless Chromium, embedded by one
// script tag on a page of another origin, against a full routedesk stack.
package widgettest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/internal/browsertest"
)

// page is a tab of the page that embeds the widget; failures show the widget's text.
type page struct{ browsertest.Page }

func newPage(t *testing.T, ctx context.Context) page {
	p := page{browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}}
	p.Shows = p.widgetText
	return p
}

// browser starts headless Chromium with a w×h viewport and returns a tab's context.
func browser(t *testing.T, w, h int64) context.Context {
	t.Helper()
	return browsertest.Start(t, "the chat widget's browser test", w, h)
}

// shadow is a JavaScript expression for an element of the widget's shadow DOM.
func shadow(sel string) string {
	return fmt.Sprintf(`document.querySelector('[data-routedesk-chat]').shadowRoot.querySelector(%q)`, sel)
}

// widgetText is the widget's visible text, for failure messages.
func (p page) widgetText() string {
	ctx, cancel := context.WithTimeout(p.Ctx, 5*time.Second)
	defer cancel()
	v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const h = document.querySelector('[data-routedesk-chat]');
		return h && h.shadowRoot ? h.shadowRoot.querySelector('.w').innerText : '(no widget)'; })()`))
	return v
}
