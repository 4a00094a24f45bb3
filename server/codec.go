package server

import (
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/routedesk/routedesk/domain"
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
// payloads through (README, "Ops view"), with its CORS preflights.
func (s *Server) codecRoutes() []route {
	guards := []gin.HandlerFunc{s.codecCORS, s.codecAuth}
	return []route{
		{method: http.MethodPost, path: "/codec/encode", tag: "ops", summary: "Temporal codec endpoint: encrypt payloads (admin token; dev: loopback without one)", auth: authAdmin, guards: guards, request: codecPayloads{}, response: codecPayloads{}, status: 200, handler: s.codec(true)},
		{method: http.MethodPost, path: "/codec/decode", tag: "ops", summary: "Temporal codec endpoint: decrypt payloads for the Temporal UI and CLI (admin token; dev: loopback without one)", auth: authAdmin, guards: guards, request: codecPayloads{}, response: codecPayloads{}, status: 200, handler: s.codec(false)},
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

// codecAuth admits admin tokens; with CodecLoopback (dev) it also admits a
// request without a token that comes straight from a loopback address.
func (s *Server) codecAuth(c *gin.Context) {
	if s.cfg.CodecLoopback && c.GetHeader("Authorization") == "" && directLoopback(c.Request) {
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

// codec answers POST /codec/encode (encode) or /codec/decode with the payloads passed through the codec.
func (s *Server) codec(encode bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.cfg.Codec == nil {
			writeProblem(c, http.StatusNotFound, "this process serves no codec endpoint")
			return
		}
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			s.fail(c, err)
			return
		}
		var in commonpb.Payloads
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, &in); err != nil {
			s.fail(c, domain.Invalid("payloads", "the body is not Temporal payloads in protobuf JSON: "+err.Error()))
			return
		}
		var out []*commonpb.Payload
		if encode {
			out, err = s.cfg.Codec.Encode(in.Payloads)
		} else {
			out, err = s.cfg.Codec.Decode(in.Payloads)
		}
		if err != nil {
			s.fail(c, domain.Invalid("payloads", err.Error()))
			return
		}
		res, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Data(http.StatusOK, "application/json", res)
	}
}
