package httpx

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// CORS is the cross-origin policy of a group of routes a browser page calls from another origin:
// what a preflight allows, the answer headers the page may read, whether credentials go along.
type CORS struct {
	Methods     string // Access-Control-Allow-Methods of a preflight, e.g. "GET, POST"
	Headers     string // Access-Control-Allow-Headers of a preflight
	Expose      string // Access-Control-Expose-Headers; "" for none
	Credentials bool   // Access-Control-Allow-Credentials: true
}

// corsMaxAge is how long (seconds) a browser may cache a preflight's answer.
const corsMaxAge = "600"

// Allow reports whether the request may be answered to its page: without an Origin header it
// is no cross-origin browser call and may; with one it may when allowed(origin) says so, and
// then carries the CORS headers. Every answer varies by Origin.
func (p CORS) Allow(c *gin.Context, allowed func(origin string) bool) bool {
	c.Header("Vary", "Origin")
	origin := c.GetHeader("Origin")
	if origin == "" {
		return true
	}
	if !allowed(origin) {
		return false
	}
	c.Header("Access-Control-Allow-Origin", origin)
	if p.Credentials {
		c.Header("Access-Control-Allow-Credentials", "true")
	}
	if p.Expose != "" {
		c.Header("Access-Control-Expose-Headers", p.Expose)
	}
	return true
}

// Preflight sets the headers of a preflight's answer (methods, headers, how long to cache them);
// the caller checks the origin first (Allow) and answers the status.
func (p CORS) Preflight(c *gin.Context) {
	c.Header("Access-Control-Allow-Methods", p.Methods)
	c.Header("Access-Control-Allow-Headers", p.Headers)
	c.Header("Access-Control-Max-Age", corsMaxAge)
}

// OriginIn reports whether a browser's Origin is one of allowed (scheme://host[:port]),
// ignoring case and a trailing slash on either side.
func OriginIn(origin string, allowed []string) bool {
	origin = strings.TrimRight(origin, "/")
	for _, a := range allowed {
		if strings.EqualFold(strings.TrimRight(a, "/"), origin) {
			return true
		}
	}
	return false
}
