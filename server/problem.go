package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/routedesk/routedesk/domain"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail,omitempty"`
	Errors []domain.FieldError `json:"errors,omitempty"`
}

const problemContentType = "application/problem+json"

// problemTypes names the documented problem type of each status.
var problemTypes = map[int]string{
	http.StatusBadRequest:            "https://routedesk.dev/problems/bad-request",
	http.StatusUnauthorized:          "https://routedesk.dev/problems/unauthorized",
	http.StatusForbidden:             "https://routedesk.dev/problems/forbidden",
	http.StatusNotFound:              "https://routedesk.dev/problems/not-found",
	http.StatusMethodNotAllowed:      "https://routedesk.dev/problems/method-not-allowed",
	http.StatusConflict:              "https://routedesk.dev/problems/conflict",
	http.StatusGone:                  "https://routedesk.dev/problems/gone",
	http.StatusRequestEntityTooLarge: "https://routedesk.dev/problems/too-large",
	http.StatusUnprocessableEntity:   "https://routedesk.dev/problems/invalid-input",
	http.StatusInternalServerError:   "https://routedesk.dev/problems/internal",
	http.StatusBadGateway:            "https://routedesk.dev/problems/upstream",
	http.StatusServiceUnavailable:    "https://routedesk.dev/problems/unavailable",
}

// writeProblem answers with a problem+json body and aborts the request.
func writeProblem(c *gin.Context, status int, detail string, fields ...domain.FieldError) {
	typ, ok := problemTypes[status]
	if !ok {
		typ = "about:blank"
	}
	p := Problem{Type: typ, Title: http.StatusText(status), Status: status, Detail: detail, Errors: fields}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="routedesk"`)
	}
	c.Abort()
	c.Render(status, problemRender{p})
}

// fail answers with the problem an error stands for; unexpected errors are
// logged here, once, and answered with 500 and no internals.
func (s *Server) fail(c *gin.Context, err error) {
	var invalid *domain.ValidationError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeProblem(c, http.StatusRequestEntityTooLarge, "the request body is larger than the limit of "+itoa(tooLarge.Limit)+" bytes")
	case errors.As(err, &invalid):
		writeProblem(c, http.StatusUnprocessableEntity, "the request has invalid fields", invalid.Errors...)
	case errors.Is(err, domain.ErrNotFound):
		writeProblem(c, http.StatusNotFound, "no such resource in this account")
	case errors.Is(err, domain.ErrConflict):
		writeProblem(c, http.StatusConflict, err.Error())
	case errors.Is(err, domain.ErrChannelDisconnected):
		writeProblem(c, http.StatusGone, err.Error())
	case errors.Is(err, errUpstream):
		writeProblem(c, http.StatusBadGateway, err.Error())
	case errors.Is(err, domain.ErrForbidden):
		writeProblem(c, http.StatusForbidden, err.Error())
	default:
		s.log.ErrorContext(c.Request.Context(), "request failed", "method", c.Request.Method, "route", c.FullPath(), "error", err)
		writeProblem(c, http.StatusInternalServerError, "an internal error occurred; it has been logged")
	}
}

type problemRender struct{ p Problem }

// Render writes the problem as JSON.
func (r problemRender) Render(w http.ResponseWriter) error {
	r.WriteContentType(w)
	return jsonEncode(w, r.p)
}

// WriteContentType sets application/problem+json.
func (r problemRender) WriteContentType(w http.ResponseWriter) {
	w.Header().Set("Content-Type", problemContentType)
}

// respond answers v with status (no body when v is nil), or the problem err stands for.
func (s *Server) respond(c *gin.Context, status int, v any, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	if v == nil {
		c.Status(status)
		return
	}
	c.JSON(status, v)
}
