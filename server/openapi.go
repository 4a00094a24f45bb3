package server

import (
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/invopop/jsonschema"
)

// Version is the API version shown in the OpenAPI document.
const Version = "0.1.0"

// openAPICache is the server's OpenAPI document and the live route count it was built for.
type openAPICache struct {
	mu     sync.Mutex
	routes int
	doc    map[string]any
}

// serveOpenAPI documents the routes the engine serves now (rebuilt whenever that set changes).
func (s *Server) serveOpenAPI(c *gin.Context) {
	live := s.engine.Routes()
	s.openAPI.mu.Lock()
	if s.openAPI.doc == nil || s.openAPI.routes != len(live) {
		s.openAPI.doc, s.openAPI.routes = buildOpenAPI(s.documented(live)), len(live)
	}
	doc := s.openAPI.doc
	s.openAPI.mu.Unlock()
	c.JSON(http.StatusOK, doc)
}

// documented pairs each live route with its entry in the route table; a
// route registered on the engine some other way is documented from its
// method and path alone.
func (s *Server) documented(live gin.RoutesInfo) []route {
	meta := make(map[string]route, len(s.table))
	for _, r := range s.table {
		meta[r.method+" "+r.path] = r
	}
	out := make([]route, 0, len(live))
	for _, lr := range live {
		r, ok := meta[lr.Method+" "+lr.Path]
		if !ok {
			r = route{method: lr.Method, path: lr.Path, tag: "other", summary: lr.Method + " " + lr.Path, status: http.StatusOK}
		}
		out = append(out, r)
	}
	return out
}

// problemStatuses are the error statuses r answers with a problem+json body:
// what its auth, path and query parameters, and body imply, and its own.
func problemStatuses(r route) []int {
	var st []int
	switch r.auth {
	case authAdmin, authChannel:
		st = append(st, http.StatusUnauthorized, http.StatusForbidden)
	case authAny, authBootstrap:
		st = append(st, http.StatusUnauthorized)
	}
	hasParams := strings.Contains(r.path, ":") || strings.Contains(r.path, "*")
	if hasParams {
		st = append(st, http.StatusNotFound)
	}
	takesBody := r.request != nil || r.jsonBody || len(r.bodyTypes) > 0
	if takesBody || hasParams || len(r.query) > 0 {
		st = append(st, http.StatusUnprocessableEntity) // a field, a path or query parameter
	}
	if takesBody {
		st = append(st, http.StatusBadRequest, http.StatusRequestTimeout, http.StatusRequestEntityTooLarge)
	}
	if r.request != nil || len(r.bodyTypes) > 0 {
		st = append(st, http.StatusUnsupportedMediaType)
	}
	if r.auth == authChannel {
		st = append(st, http.StatusGone) // the channel is disconnected
	}
	st = append(st, r.problems...)
	st = append(st, http.StatusRequestHeaderFieldsTooLarge, http.StatusInternalServerError)
	if r.auth != authNone || r.request != nil || r.jsonBody {
		st = append(st, http.StatusServiceUnavailable) // PostgreSQL or Temporal unreachable
	}
	slices.Sort(st)
	return slices.Compact(st)
}

// buildOpenAPI documents the route table as an OpenAPI 3.1 document; the
// request and response schemas are reflected from the handlers' own types.
func buildOpenAPI(routes []route) map[string]any {
	reflector := &jsonschema.Reflector{DoNotReference: true, ExpandedStruct: true, AllowAdditionalProperties: false}
	schema := func(v any) *jsonschema.Schema {
		sch := reflector.Reflect(v)
		sch.Version = ""
		return sch
	}
	problem := map[string]any{"application/problem+json": map[string]any{"schema": schema(Problem{})}}
	paths := map[string]map[string]any{}
	for _, r := range routes {
		p := openAPIPath(r.path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		op := map[string]any{
			"summary":     r.summary,
			"tags":        []string{r.tag},
			"operationId": strings.ToLower(r.method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_").Replace(p),
		}
		var params []map[string]any
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, "{") {
				params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
			}
		}
		for _, q := range r.query {
			params = append(params, map[string]any{"name": q, "in": "query", "required": false, "schema": map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.jsonBody {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}}
		}
		if r.request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schema(r.request)}}}
		}
		if len(r.bodyTypes) > 0 {
			content := map[string]any{}
			if r.request != nil { // a JSON body, or a file one (a reply with files)
				content["application/json"] = map[string]any{"schema": schema(r.request)}
			}
			for _, t := range r.bodyTypes {
				content[t] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
			}
			op["requestBody"] = map[string]any{"required": true, "content": content}
		}
		ok := map[string]any{"description": http.StatusText(r.status)}
		if r.response != nil {
			content := map[string]any{"application/json": map[string]any{"schema": schema(r.response)}}
			for _, t := range r.responseTypes {
				content[t] = map[string]any{"schema": map[string]any{"type": "string"}}
			}
			ok["content"] = content
		}
		responses := map[string]any{itoa(int64(r.status)): ok}
		for _, st := range problemStatuses(r) {
			responses[itoa(int64(st))] = map[string]any{"description": http.StatusText(st), "content": problem}
		}
		op["responses"] = responses
		if r.auth != authNone {
			op["security"] = []map[string]any{{"bearer": []string{}}}
		}
		paths[p][strings.ToLower(r.method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "routedesk API",
			"version":     Version,
			"description": "Help-desk channel orchestration: channels, inbound conversations, tickets and routing.",
		},
		"paths": paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}
