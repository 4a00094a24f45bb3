package chat

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
)

func TestWidgetScriptIsSmallCachedAndSelfContained(t *testing.T) {
	gin.SetMode(gin.TestMode)
	e := gin.New()
	e.GET("/widget.js", serveWidget)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/widget.js", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "text/javascript; charset=utf-8", rec.Header().Get("Content-Type"))
	require.Equal(t, "public, max-age=3600", rec.Header().Get("Cache-Control"))
	etag := rec.Header().Get("ETag")
	require.NotEmpty(t, etag)

	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/widget.js", nil)
	req.Header.Set("If-None-Match", etag)
	e.ServeHTTP(rec, req)
	require.Equal(t, http.StatusNotModified, rec.Code)
	require.Zero(t, rec.Body.Len())

	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = w.Write(WidgetJS())
	require.NoError(t, w.Close())
	t.Logf("widget.js: %d bytes, %d gzipped", len(WidgetJS()), gz.Len())
	require.Less(t, gz.Len(), 30<<10, "the widget stays under 30 KB gzipped")
	// No external calls: every URL it uses is built from its own script's origin.
	require.Empty(t, regexp.MustCompile(`https?://[a-z]`).FindAll(WidgetJS(), -1), "no absolute URL in the widget")
	require.Equal(t, 1, bytes.Count(WidgetJS(), []byte("innerHTML")), "only the static template is HTML; message text goes in as text")
}
