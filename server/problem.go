package server

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/api/serviceerror"

	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/httpx"
)

// Problem is an RFC 9457 problem details body, as every error answer carries it.
type Problem = httpx.Problem

// fail answers with the problem an error stands for; unexpected errors are
// logged here, once, and answered with 500 and no internals.
func (s *Server) fail(c *gin.Context, err error) {
	if fault := httpx.BodyFault(c); fault != nil && errors.Is(err, context.Canceled) {
		err = fault // the work was cancelled because the body stalled or was cut
	}
	if httpx.WriteInputError(c, err) {
		return
	}
	var clash *domain.IdentityConflict
	var claim *domain.ClaimConflict
	var limited *domain.RateLimited
	var overloaded *domain.Overloaded
	switch {
	case errors.Is(err, domain.ErrNotFound):
		httpx.WriteProblem(c, http.StatusNotFound, "no such resource in this account")
	case errors.As(err, &claim):
		httpx.WriteProblem(c, http.StatusConflict, claim.Error(), domain.FieldError{Field: claim.Field, Message: claim.Error()})
	case errors.As(err, &limited):
		c.Header("Retry-After", itoa(int64(limited.RetryAfter/time.Second)+1))
		httpx.WriteProblem(c, http.StatusTooManyRequests, limited.Message)
	case errors.As(err, &overloaded):
		c.Header("Retry-After", itoa(int64(math.Ceil(overloaded.RetryAfter.Seconds()))))
		httpx.WriteProblem(c, http.StatusServiceUnavailable, overloaded.Message)
	case errors.As(err, &clash):
		merge := "/v1/contacts/" + clash.ContactID + "/merge"
		httpx.RenderProblem(c, httpx.Problem{Status: http.StatusConflict, ContactID: clash.ContactID, MergeURL: merge,
			Detail: clash.Field + " " + clash.Value + " already identifies contact " + clash.ContactID +
				": to make them one contact, POST " + merge + ` {"from_contact_id": "<this contact's id>"}`,
			Errors: []domain.FieldError{{Field: clash.Field, Message: "already identifies contact " + clash.ContactID}}})
	case errors.Is(err, domain.ErrChannelUnverified):
		httpx.WriteProblem(c, http.StatusConflict, err.Error())
	case errors.Is(err, domain.ErrConflict):
		httpx.WriteProblem(c, http.StatusConflict, s.stateErrorText(c, err, domain.ErrConflict))
	case errors.Is(err, domain.ErrChannelDisconnected):
		httpx.WriteProblem(c, http.StatusGone, s.goneText(c, err))
	case errors.Is(err, errUpstream):
		httpx.WriteProblem(c, http.StatusBadGateway, err.Error())
	case errors.Is(err, domain.ErrForbidden):
		httpx.WriteProblem(c, http.StatusForbidden, err.Error())
	case isInvalidText(err):
		// A safety net: input that reached PostgreSQL and was refused as text it cannot store.
		s.log.WarnContext(c.Request.Context(), "PostgreSQL refused input", "method", c.Request.Method, "route", c.FullPath(), "error", err)
		httpx.WriteProblem(c, http.StatusUnprocessableEntity, "the request has invalid fields",
			domain.FieldError{Field: "body", Message: "holds text PostgreSQL cannot store (NUL or invalid UTF-8)"})
	case isUnavailable(err):
		s.log.WarnContext(c.Request.Context(), "dependency unavailable", "method", c.Request.Method, "route", c.FullPath(), "error", err)
		c.Header("Retry-After", retryAfterSeconds)
		httpx.WriteProblem(c, http.StatusServiceUnavailable, "a dependency is temporarily unavailable; retry later")
	default:
		s.log.ErrorContext(c.Request.Context(), "request failed", "method", c.Request.Method, "route", c.FullPath(), "error", err)
		httpx.WriteProblem(c, http.StatusInternalServerError, "an internal error occurred; it has been logged")
	}
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

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

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
