package server

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/api/serviceerror"

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

const problemContentType = "application/problem+json"

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
	if fault := bodyFault(c); fault != nil && errors.Is(err, context.Canceled) {
		err = fault // the work was cancelled because the body stalled or was cut
	}
	var invalid *domain.ValidationError
	var clash *domain.IdentityConflict
	var tooLarge *http.MaxBytesError
	var claim *domain.ClaimConflict
	var limited *domain.RateLimited
	var tooManyKeys *tooManyKeysError
	switch {
	case errors.As(err, &tooManyKeys):
		writeProblem(c, http.StatusRequestEntityTooLarge, tooManyKeys.Error())
	case errors.As(err, &tooLarge):
		writeProblem(c, http.StatusRequestEntityTooLarge, "the request body is larger than the limit of "+itoa(tooLarge.Limit)+" bytes")
	case errors.As(err, &invalid):
		writeProblem(c, http.StatusUnprocessableEntity, "the request has invalid fields", invalid.Errors...)
	case errors.Is(err, errUnsupportedMediaType):
		writeProblem(c, http.StatusUnsupportedMediaType, err.Error())
	case errors.Is(err, errRequestTimeout):
		c.Header("Connection", "close")
		writeProblem(c, http.StatusRequestTimeout, "the request body did not arrive in time; send it again")
	case errors.Is(err, errBodyCut):
		c.Header("Connection", "close")
		writeProblem(c, http.StatusBadRequest, "the request body ended before its declared length")
	case errors.Is(err, domain.ErrNotFound):
		writeProblem(c, http.StatusNotFound, "no such resource in this account")
	case errors.As(err, &claim):
		writeProblem(c, http.StatusConflict, claim.Error(), domain.FieldError{Field: claim.Field, Message: claim.Error()})
	case errors.As(err, &limited):
		c.Header("Retry-After", itoa(int64(limited.RetryAfter/time.Second)+1))
		writeProblem(c, http.StatusTooManyRequests, limited.Message)
	case errors.As(err, &clash):
		merge := "/v1/contacts/" + clash.ContactID + "/merge"
		c.Abort()
		c.Render(http.StatusConflict, problemRender{Problem{Type: problemTypes[http.StatusConflict], Title: http.StatusText(http.StatusConflict),
			Status: http.StatusConflict, ContactID: clash.ContactID, MergeURL: merge,
			Detail: clash.Field + " " + clash.Value + " already identifies contact " + clash.ContactID +
				": to make them one contact, POST " + merge + ` {"from_contact_id": "<this contact's id>"}`,
			Errors: []domain.FieldError{{Field: clash.Field, Message: "already identifies contact " + clash.ContactID}}}})
	case errors.Is(err, domain.ErrChannelUnverified):
		writeProblem(c, http.StatusConflict, err.Error())
	case errors.Is(err, domain.ErrConflict):
		writeProblem(c, http.StatusConflict, s.stateErrorText(c, err, domain.ErrConflict))
	case errors.Is(err, domain.ErrChannelDisconnected):
		writeProblem(c, http.StatusGone, s.goneText(c, err))
	case errors.Is(err, errUpstream):
		writeProblem(c, http.StatusBadGateway, err.Error())
	case errors.Is(err, domain.ErrForbidden):
		writeProblem(c, http.StatusForbidden, err.Error())
	case isInvalidText(err):
		// A safety net: input that reached PostgreSQL and was refused as text it cannot store.
		s.log.WarnContext(c.Request.Context(), "PostgreSQL refused input", "method", c.Request.Method, "route", c.FullPath(), "error", err)
		writeProblem(c, http.StatusUnprocessableEntity, "the request has invalid fields",
			domain.FieldError{Field: "body", Message: "holds text PostgreSQL cannot store (NUL or invalid UTF-8)"})
	case isUnavailable(err):
		s.log.WarnContext(c.Request.Context(), "dependency unavailable", "method", c.Request.Method, "route", c.FullPath(), "error", err)
		c.Header("Retry-After", retryAfterSeconds)
		writeProblem(c, http.StatusServiceUnavailable, "a dependency is temporarily unavailable; retry later")
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

// retryAfterSeconds is the Retry-After of a 503 during an outage.
const retryAfterSeconds = "5"

// isInvalidText reports PostgreSQL refusing input as text: a NUL or an invalid
// byte sequence (22021 character_not_in_repertoire, 22P05
// untranslatable_character) or a value too long for its column or index
// (22001 string_data_right_truncation, 54000 program_limit_exceeded).
func isInvalidText(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "22021", "22P05", "22001", "54000":
		return true
	}
	return false
}

// isUnavailable reports an error that means a dependency (PostgreSQL or
// Temporal) cannot be reached right now: a failed connection, a connection
// lost or refused, a server shutting down or out of connections, a timed-out
// wait for a connection. Such a request may succeed when retried.
func isUnavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	var netErr net.Error
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	switch {
	case errors.As(err, &pgErr):
		// 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now; 53300: too many connections;
		// 40P01, 40001: a deadlock or serialization conflict that outlasted the store's retries.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" ||
			pgErr.Code == "57P03" || pgErr.Code == "53300" || pgErr.Code == "40P01" || pgErr.Code == "40001"
	case errors.As(err, &connectErr), errors.As(err, &netErr), errors.As(err, &unavailable), errors.As(err, &deadline):
		return true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	return pgconn.Timeout(err) || strings.Contains(err.Error(), "connection refused")
}
