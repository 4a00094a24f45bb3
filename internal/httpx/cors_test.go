package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
)

func corsContext(origin string) (*gin.Context, *httptest.ResponseRecorder) {
	rec := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(rec)
	c.Request = httptest.NewRequest(http.MethodPost, "/x", nil)
	if origin != "" {
		c.Request.Header.Set("Origin", origin)
	}
	return c, rec
}

// An allowed origin gets the policy's headers, another none and a refusal, no Origin needs none.
func TestCORSAllow(t *testing.T) {
	p := CORS{Methods: "POST", Headers: "Content-Type", Expose: "Retry-After", Credentials: true}
	allowed := func(o string) bool { return OriginIn(o, []string{"https://shop.example.com/"}) }

	c, rec := corsContext("https://Shop.example.com")
	require.True(t, p.Allow(c, allowed))
	require.Equal(t, "https://Shop.example.com", rec.Header().Get("Access-Control-Allow-Origin"))
	require.Equal(t, "true", rec.Header().Get("Access-Control-Allow-Credentials"))
	require.Equal(t, "Retry-After", rec.Header().Get("Access-Control-Expose-Headers"))
	require.Equal(t, "Origin", rec.Header().Get("Vary"))

	c, rec = corsContext("https://evil.example")
	require.False(t, p.Allow(c, allowed))
	require.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))

	c, rec = corsContext("")
	require.True(t, p.Allow(c, allowed), "no Origin: not a cross-origin browser call")
	require.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))

	c, rec = corsContext("https://shop.example.com")
	p.Preflight(c)
	require.Equal(t, "POST", rec.Header().Get("Access-Control-Allow-Methods"))
	require.Equal(t, "Content-Type", rec.Header().Get("Access-Control-Allow-Headers"))
	require.Equal(t, "600", rec.Header().Get("Access-Control-Max-Age"))
}

func TestOriginIn(t *testing.T) {
	list := []string{"https://a.example", "http://localhost:8233/"}
	require.True(t, OriginIn("https://a.example", list))
	require.True(t, OriginIn("http://localhost:8233", list))
	require.True(t, OriginIn("HTTPS://A.EXAMPLE/", list))
	require.False(t, OriginIn("https://a.example:8443", list))
	require.False(t, OriginIn("http://a.example", list))
	require.False(t, OriginIn("https://b.example", nil))
}
