package server

import (
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/invopop/jsonschema"
)

// Version is the API version shown in the OpenAPI document.
const Version = "0.1.0"

var (
	openAPIOnce sync.Once
	openAPIDoc  map[string]any
)

func (s *Server) serveOpenAPI(c *gin.Context) {
	openAPIOnce.Do(func() { openAPIDoc = buildOpenAPI(s.allRoutes()) })
	c.JSON(http.StatusOK, openAPIDoc)
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
		if r.request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schema(r.request)}}}
		}
		if len(r.bodyTypes) > 0 {
			content := map[string]any{}
			for _, t := range r.bodyTypes {
				content[t] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
			}
			op["requestBody"] = map[string]any{"required": true, "content": content}
		}
		ok := map[string]any{"description": http.StatusText(r.status)}
		if r.response != nil {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schema(r.response)}}
		}
		responses := map[string]any{itoa(int64(r.status)): ok}
		errorStatuses := []int{}
		switch r.auth {
		case authAdmin:
			errorStatuses = append(errorStatuses, 401, 403)
		case authAny, authBootstrap:
			errorStatuses = append(errorStatuses, 401)
		case authChannel:
			errorStatuses = append(errorStatuses, 401, 403)
		}
		if strings.Contains(r.path, ":") {
			errorStatuses = append(errorStatuses, 404)
		}
		if r.request != nil || len(r.query) > 0 {
			errorStatuses = append(errorStatuses, 422)
		}
		if r.request != nil || len(r.bodyTypes) > 0 {
			errorStatuses = append(errorStatuses, 413)
		}
		if len(r.bodyTypes) > 0 {
			errorStatuses = append(errorStatuses, 415)
		}
		for _, st := range errorStatuses {
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
