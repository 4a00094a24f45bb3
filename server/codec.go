package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/payloadcodec"
)

// codecPayloads is the body of POST /codec/encode and /codec/decode, and their
// answer: Temporal payloads in protobuf JSON (base64 metadata values and data).
type codecPayloads struct {
	Payloads []codecPayload `json:"payloads"`
}

// codecPayload is one Temporal payload in protobuf JSON.
type codecPayload struct {
	Metadata map[string]string `json:"metadata"`
	Data     string            `json:"data"`
}

// codecRoutes are the Temporal codec endpoint the Temporal UI and CLI decode
// payloads through (docs/operations.md, "Ops view"), with its CORS preflights.
func (s *Server) codecRoutes() []route {
	guards := []gin.HandlerFunc{s.codecCORS, s.codecAuth}
	return []route{
		{method: http.MethodPost, path: "/codec/encode", tag: "ops", summary: "Temporal codec endpoint: encrypt payloads (admin token; dev: loopback without one)", auth: authAdmin, guards: guards, request: codecPayloads{}, response: codecPayloads{}, status: 200, handler: s.codec()},
		{method: http.MethodPost, path: "/codec/decode", tag: "ops", summary: "Temporal codec endpoint: decrypt payloads for the Temporal UI and CLI (admin token; dev: loopback without one)", auth: authAdmin, guards: guards, request: codecPayloads{}, response: codecPayloads{}, status: 200, handler: s.codec()},
		{method: http.MethodOptions, path: "/codec/encode", tag: "ops", summary: "CORS preflight of the codec endpoint", status: 204, handler: s.codecCORS},
		{method: http.MethodOptions, path: "/codec/decode", tag: "ops", summary: "CORS preflight of the codec endpoint", status: 204, handler: s.codecCORS},
	}
}

// codecCORS lets the configured Temporal UI origins call the codec endpoint
// from the browser; it answers preflights itself.
func (s *Server) codecCORS(c *gin.Context) {
	origin := c.GetHeader("Origin")
	if origin != "" && slices.Contains(s.cfg.CodecOrigins, strings.TrimRight(origin, "/")) {
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace, Caller-Type, Client-Name, Client-Version")
		h.Set("Access-Control-Max-Age", "600")
		h.Add("Vary", "Origin")
	}
	if c.Request.Method == http.MethodOptions {
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	c.Next()
}

// codecAuth admits admin tokens; with CodecLoopback (dev) it also admits a decode request without a
// token that comes straight from a loopback address and names this machine in its Host (a DNS-rebinding
// page names its own host). Encoding always needs a token.
func (s *Server) codecAuth(c *gin.Context) {
	if s.cfg.CodecLoopback && c.GetHeader("Authorization") == "" && strings.HasSuffix(c.Request.URL.Path, "/decode") &&
		directLoopback(c.Request) && s.localHost(c.Request.Host) {
		c.Next()
		return
	}
	token, ok := bearer(c)
	if !ok {
		writeProblem(c, http.StatusUnauthorized, "an Authorization: Bearer <token> header is required (the Temporal CLI: --codec-auth 'Bearer <admin token>')")
		return
	}
	p, err := s.store.Authenticate(c.Request.Context(), token)
	if errors.Is(err, domain.ErrNotFound) {
		writeProblem(c, http.StatusUnauthorized, "the token is not valid")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if p.Role != domain.RoleAdmin {
		writeProblem(c, http.StatusForbidden, "the codec endpoint needs an admin token")
		return
	}
	c.Set(principalKey, p)
	c.Next()
}

// localHost reports whether a request's Host header names this machine: a loopback address, localhost,
// or one of the configured LocalHosts (the listen address's host).
func (s *Server) localHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || slices.Contains(s.cfg.LocalHosts, host) {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// directLoopback reports whether r comes from a loopback address and was not
// forwarded by a proxy (which would make every caller look local).
func directLoopback(r *http.Request) bool {
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || r.Header.Get("X-Real-Ip") != "" {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// codec answers POST /codec/encode or /codec/decode through the payload codec's HTTP handler.
func (s *Server) codec() gin.HandlerFunc {
	if s.cfg.Codec == nil {
		return func(c *gin.Context) { writeProblem(c, http.StatusNotFound, "this process serves no codec endpoint") }
	}
	h := payloadcodec.NewHTTPHandler(s.cfg.Codec, func(w http.ResponseWriter, r *http.Request, err error) {
		c := ginContext(r)
		if errors.Is(err, payloadcodec.ErrNotJSON) {
			writeProblem(c, http.StatusUnsupportedMediaType, err.Error())
			return
		}
		s.fail(c, err)
	})
	return func(c *gin.Context) {
		h.ServeHTTP(c.Writer, c.Request.WithContext(context.WithValue(c.Request.Context(), ginContextKey{}, c)))
	}
}

// ginContextKey carries the gin context through a plain http.Handler back to its error answer.
type ginContextKey struct{}

func ginContext(r *http.Request) *gin.Context {
	return r.Context().Value(ginContextKey{}).(*gin.Context)
}
