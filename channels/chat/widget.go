package chat

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"

	"github.com/gin-gonic/gin"
)

// widgetJS is the embeddable widget: vanilla JavaScript, no external calls, its UI in a shadow DOM.
//
//go:embed widget/widget.js
var widgetJS []byte

// widgetETag identifies this build's widget for conditional requests.
var widgetETag = func() string {
	sum := sha256.Sum256(widgetJS)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// WidgetJS returns the widget script, for tests and size reports.
func WidgetJS() []byte { return widgetJS }

// serveWidget serves widget.js, cacheable for an hour and revalidated by ETag.
func serveWidget(gc *gin.Context) {
	h := gc.Writer.Header()
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", widgetETag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Access-Control-Allow-Origin", "*")
	if gc.GetHeader("If-None-Match") == widgetETag {
		gc.Status(http.StatusNotModified)
		return
	}
	gc.Data(http.StatusOK, "text/javascript; charset=utf-8", widgetJS)
}
