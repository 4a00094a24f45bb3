package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

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
	e := payloadcodec.NewEndpoint(s.cfg.Codec, payloadcodec.EndpointConfig{Origins: s.cfg.CodecOrigins, Loopback: s.cfg.CodecLoopback,
		LocalHosts: s.cfg.LocalHosts, Authenticate: s.store.Authenticate, Fail: s.fail})
	guards := []gin.HandlerFunc{e.CORS, e.Auth}
	return []route{
		{method: http.MethodPost, path: "/codec/encode", tag: "ops", summary: "Temporal codec endpoint: encrypt payloads (admin token; dev: loopback without one)", auth: authAdmin, guards: guards, request: codecPayloads{}, response: codecPayloads{}, status: 200, handler: e.Serve},
		{method: http.MethodPost, path: "/codec/decode", tag: "ops", summary: "Temporal codec endpoint: decrypt payloads for the Temporal UI and CLI (admin token; dev: loopback without one)", auth: authAdmin, guards: guards, request: codecPayloads{}, response: codecPayloads{}, status: 200, handler: e.Serve},
		{method: http.MethodOptions, path: "/codec/encode", tag: "ops", summary: "CORS preflight of the codec endpoint", status: 204, handler: e.CORS},
		{method: http.MethodOptions, path: "/codec/decode", tag: "ops", summary: "CORS preflight of the codec endpoint", status: 204, handler: e.CORS},
	}
}
