package payloadcodec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
)

// ErrNotJSON refuses a codec request whose body is not declared application/json: a browser
// sends such a body (text/plain) cross-origin without asking, JSON only after a CORS preflight.
var ErrNotJSON = errors.New("the codec endpoint takes application/json bodies only")

// EndpointConfig is who may call an Endpoint and how its refusals are answered.
type EndpointConfig struct {
	// Origins are the Temporal UI origins (scheme://host:port) allowed to call the endpoint from a browser.
	Origins []string
	// Loopback (dev) admits a decode request without a token straight from a loopback address.
	Loopback bool
	// LocalHosts are extra names (lowercase, no port) a loopback request's Host may use; loopback addresses and localhost always may.
	LocalHosts []string
	// Authenticate resolves a bearer token to its principal; domain.ErrNotFound: no such token.
	Authenticate func(ctx context.Context, token string) (domain.Principal, error)
	// Fail answers the errors that are not the endpoint's own refusals (a dependency down, an invalid body).
	Fail func(c *gin.Context, err error)
}

// Endpoint serves a codec as Temporal's remote codec endpoint (POST …/encode, POST …/decode)
// for the Temporal UI and CLI: the SDK's handler behind CORS for the UI's origins, an admin
// token (in dev, a direct loopback decode naming this machine needs none; encoding always
// does) and a strict check of the JSON body.
type Endpoint struct {
	sdk  http.Handler // nil: this process serves no codec endpoint
	cfg  EndpointConfig
	cors httpx.CORS
}

// NewEndpoint returns the codec endpoint of codec (nil: every request is answered 404).
func NewEndpoint(codec converter.PayloadCodec, cfg EndpointConfig) *Endpoint {
	e := &Endpoint{cfg: cfg, cors: httpx.CORS{Methods: "POST, OPTIONS", Credentials: true,
		Headers: "Authorization, Content-Type, X-Namespace, Caller-Type, Client-Name, Client-Version"}}
	if codec != nil {
		e.sdk = converter.NewPayloadCodecHTTPHandler(codec)
	}
	return e
}

// CORS lets the configured Temporal UI origins call the endpoint from the browser; it answers preflights itself.
func (e *Endpoint) CORS(c *gin.Context) {
	if c.GetHeader("Origin") != "" && e.cors.Allow(c, func(origin string) bool { return httpx.OriginIn(origin, e.cfg.Origins) }) {
		e.cors.Preflight(c)
	}
	if c.Request.Method == http.MethodOptions {
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	c.Next()
}

// Auth admits admin tokens; with Loopback (dev) it also admits a decode request without a token
// that comes straight from a loopback address and names this machine in its Host (a DNS-rebinding
// page names its own host). Encoding always needs a token.
func (e *Endpoint) Auth(c *gin.Context) {
	if e.cfg.Loopback && c.GetHeader("Authorization") == "" && strings.HasSuffix(c.Request.URL.Path, "/decode") &&
		directLoopback(c.Request) && e.localHost(c.Request.Host) {
		c.Next()
		return
	}
	token, ok := httpx.Bearer(c)
	if !ok {
		httpx.WriteProblem(c, http.StatusUnauthorized, "an Authorization: Bearer <token> header is required (the Temporal CLI: --codec-auth 'Bearer <admin token>')")
		return
	}
	p, err := e.cfg.Authenticate(c.Request.Context(), token)
	if errors.Is(err, domain.ErrNotFound) {
		httpx.WriteProblem(c, http.StatusUnauthorized, "the token is not valid")
		return
	}
	if err != nil {
		e.cfg.Fail(c, err)
		return
	}
	if p.Role != domain.RoleAdmin {
		httpx.WriteProblem(c, http.StatusForbidden, "the codec endpoint needs an admin token")
		return
	}
	c.Next()
}

// Serve encodes or decodes the body's payloads through the SDK's handler: the body must be
// application/json (else 415) holding {"payloads": [...]} the codec takes (else 422 naming payloads).
func (e *Endpoint) Serve(c *gin.Context) {
	if e.sdk == nil {
		httpx.WriteProblem(c, http.StatusNotFound, "this process serves no codec endpoint")
		return
	}
	if err := e.serve(c.Writer, c.Request); errors.Is(err, ErrNotJSON) {
		httpx.WriteProblem(c, http.StatusUnsupportedMediaType, err.Error())
	} else if err != nil {
		e.cfg.Fail(c, err)
	}
}

// serve checks the body, runs the SDK's handler and returns its refusals as field errors.
func (e *Endpoint) serve(w http.ResponseWriter, r *http.Request) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return ErrNotJSON
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return fmt.Errorf("read the codec request: %w", err)
	}
	if err := checkPayloads(body); err != nil {
		return err
	}
	in := r.Clone(r.Context())
	in.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	e.sdk.ServeHTTP(rec, in)
	if rec.Code != http.StatusOK {
		return domain.Invalid("payloads", "the payloads cannot be "+action(r)+": "+strings.TrimSpace(rec.Body.String()))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(rec.Body.Bytes())
	return nil
}

// localHost reports whether a request's Host header names this machine: a loopback address, localhost,
// or one of the configured LocalHosts (the listen address's host).
func (e *Endpoint) localHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || slices.Contains(e.cfg.LocalHosts, host) {
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

// checkPayloads accepts exactly one JSON object {"payloads": [...]} of Temporal payloads in protobuf JSON.
func checkPayloads(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	var top map[string]json.RawMessage
	if err := dec.Decode(&top); err != nil {
		return domain.Invalid("payloads", "the body is not a JSON object of Temporal payloads: "+err.Error())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return domain.Invalid("payloads", "the body holds something after its JSON object")
	}
	for k := range top {
		if k != "payloads" {
			return domain.Invalid("payloads", fmt.Sprintf("unknown field %q: the body is {\"payloads\": [...]}", k))
		}
	}
	raw, ok := top["payloads"]
	if !ok || len(raw) == 0 || raw[0] != '[' {
		return domain.Invalid("payloads", "payloads is required: an array of Temporal payloads")
	}
	if err := protojson.Unmarshal(body, &commonpb.Payloads{}); err != nil {
		return domain.Invalid("payloads", "the payloads are not Temporal payloads in protobuf JSON: "+err.Error())
	}
	return nil
}

func action(r *http.Request) string {
	if strings.HasSuffix(r.URL.Path, "/encode") {
		return "encoded"
	}
	return "decoded"
}
