package httpx

import (
	"errors"
	"net/http"
	"strconv"

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
	// ContactID and MergeURL point a contact identity clash at the contact holding it and its merge route.
	ContactID string `json:"contact_id,omitempty"`
	MergeURL  string `json:"merge_url,omitempty"`
}

// ProblemContentType is the media type of a problem body.
const ProblemContentType = "application/problem+json"

// problemTypes names the documented problem type of each status.
var problemTypes = map[int]string{
	http.StatusBadRequest:                  "https://routedesk.dev/problems/bad-request",
	http.StatusUnauthorized:                "https://routedesk.dev/problems/unauthorized",
	http.StatusForbidden:                   "https://routedesk.dev/problems/forbidden",
	http.StatusNotFound:                    "https://routedesk.dev/problems/not-found",
	http.StatusMethodNotAllowed:            "https://routedesk.dev/problems/method-not-allowed",
	http.StatusRequestTimeout:              "https://routedesk.dev/problems/request-timeout",
	http.StatusConflict:                    "https://routedesk.dev/problems/conflict",
	http.StatusGone:                        "https://routedesk.dev/problems/gone",
	http.StatusRequestEntityTooLarge:       "https://routedesk.dev/problems/too-large",
	http.StatusUnsupportedMediaType:        "https://routedesk.dev/problems/unsupported-media-type",
	http.StatusUnprocessableEntity:         "https://routedesk.dev/problems/invalid-input",
	http.StatusTooManyRequests:             "https://routedesk.dev/problems/too-many-requests",
	http.StatusRequestHeaderFieldsTooLarge: "https://routedesk.dev/problems/headers-too-large",
	http.StatusInternalServerError:         "https://routedesk.dev/problems/internal",
	http.StatusBadGateway:                  "https://routedesk.dev/problems/upstream",
	http.StatusServiceUnavailable:          "https://routedesk.dev/problems/unavailable",
	http.StatusGatewayTimeout:              "https://routedesk.dev/problems/upstream-timeout",
}

// ProblemType is the documented problem type of status ("about:blank" for a status without one).
func ProblemType(status int) string {
	if typ, ok := problemTypes[status]; ok {
		return typ
	}
	return "about:blank"
}

// WriteProblem answers with a problem+json body of status, detail and field errors, and aborts the request.
func WriteProblem(c *gin.Context, status int, detail string, fields ...domain.FieldError) {
	RenderProblem(c, Problem{Status: status, Detail: detail, Errors: fields})
}

// RenderProblem answers with p (its type and title filled in from its status) and aborts the request.
func RenderProblem(c *gin.Context, p Problem) {
	if p.Type == "" {
		p.Type = ProblemType(p.Status)
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if p.Status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="routedesk"`)
	}
	c.Abort()
	c.Render(p.Status, problemRender{p})
}

// WriteInputError answers the problem of an error about the request's own input — a body too
// large (413), too many JSON keys (413), invalid fields (422), an unsupported media type (415),
// a body that stalled (408) or was cut (400) — and reports whether err was one; other errors are
// the caller's to answer.
func WriteInputError(c *gin.Context, err error) bool {
	var invalid *domain.ValidationError
	var tooLarge *http.MaxBytesError
	var tooManyKeys *TooManyKeysError
	switch {
	case errors.As(err, &tooManyKeys):
		WriteProblem(c, http.StatusRequestEntityTooLarge, tooManyKeys.Error())
	case errors.As(err, &tooLarge):
		WriteProblem(c, http.StatusRequestEntityTooLarge, "the request body is larger than the limit of "+strconv.FormatInt(tooLarge.Limit, 10)+" bytes")
	case errors.As(err, &invalid):
		WriteProblem(c, http.StatusUnprocessableEntity, "the request has invalid fields", invalid.Errors...)
	case errors.Is(err, ErrUnsupportedMediaType):
		WriteProblem(c, http.StatusUnsupportedMediaType, err.Error())
	case errors.Is(err, ErrRequestTimeout):
		c.Header("Connection", "close")
		WriteProblem(c, http.StatusRequestTimeout, "the request body did not arrive in time; send it again")
	case errors.Is(err, ErrBodyCut):
		c.Header("Connection", "close")
		WriteProblem(c, http.StatusBadRequest, "the request body ended before its declared length")
	default:
		return false
	}
	return true
}

type problemRender struct{ p Problem }

// Render writes the problem as JSON.
func (r problemRender) Render(w http.ResponseWriter) error {
	r.WriteContentType(w)
	return jsonEncode(w, r.p)
}

// WriteContentType sets application/problem+json.
func (r problemRender) WriteContentType(w http.ResponseWriter) {
	w.Header().Set("Content-Type", ProblemContentType)
}
