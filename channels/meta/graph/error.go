package graph

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Graph error codes and subcodes this package classifies.
const (
	CodeUnknown           = 1       // API Unknown: possibly temporary.
	CodeService           = 2       // API Service: temporary issue due to downtime.
	CodeTooManyCalls      = 4       // Application request limit reached.
	CodePermission        = 10      // Permission denied (Messenger window errors use it with a subcode).
	CodeUserTooManyCalls  = 17      // User request limit reached.
	CodePageTooManyCalls  = 32      // Page request limit reached.
	CodeInvalidParameter  = 100     // Invalid parameter.
	CodeInvalidToken      = 190     // Invalid or expired access token.
	CodeRateLimit         = 613     // Calls to this API have exceeded the rate limit.
	CodeBusinessRateLimit = 80007   // WhatsApp Business Account rate limit.
	CodeWAThroughput      = 130429  // WhatsApp Cloud API throughput limit reached.
	CodeWAReEngagement    = 131047  // WhatsApp: more than 24 hours since the customer last replied.
	CodeWASpamRateLimit   = 131048  // WhatsApp spam rate limit hit.
	CodeWAPairRateLimit   = 131056  // WhatsApp (business, consumer) pair rate limit hit.
	SubcodeOutsideWindow  = 2018278 // Messenger: message sent outside of allowed window.
)

const (
	maxErrorExcerpt         = 200
	nonJSONMessagePrefix    = "non-JSON response: "
	unexpectedMessagePrefix = "unexpected response: "
)

// Error is a failed Graph API call: the HTTP status plus Graph's error object, never containing the token.
type Error struct {
	// HTTPStatus is the HTTP status code of the response.
	HTTPStatus int
	// Code is Graph's error.code (0 when the body carried none).
	Code int
	// Subcode is Graph's error.error_subcode (0 when absent).
	Subcode int
	// Type is Graph's error.type, e.g. "OAuthException".
	Type string
	// Message is Graph's error.message, or a short body excerpt for non-Graph answers.
	Message string
	// TraceID is Graph's fbtrace_id, useful when contacting Meta support.
	TraceID string
}

// Error formats the failure without any access token.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph: HTTP %d", e.HTTPStatus)
	if e.Code != 0 {
		fmt.Fprintf(&b, ", code %d", e.Code)
		if e.Subcode != 0 {
			fmt.Fprintf(&b, "/%d", e.Subcode)
		}
	}
	if e.Type != "" {
		fmt.Fprintf(&b, " (%s)", e.Type)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.TraceID != "" {
		fmt.Fprintf(&b, " [fbtrace_id %s]", e.TraceID)
	}
	return b.String()
}

// OutsideWindow reports whether the send was refused because the customer-service window has closed.
func (e *Error) OutsideWindow() bool {
	switch {
	case e.Code == CodePermission && e.Subcode == SubcodeOutsideWindow:
		return true
	case e.Code == CodeWAReEngagement:
		return true
	}
	return false
}

// Retryable reports whether the same request may succeed later (rate limits, transient or 5xx errors).
func (e *Error) Retryable() bool {
	if e.OutsideWindow() {
		return false
	}
	if e.HTTPStatus == http.StatusTooManyRequests || e.HTTPStatus >= 500 {
		return true
	}
	switch e.Code {
	case CodeUnknown, CodeService,
		CodeTooManyCalls, CodeUserTooManyCalls, CodePageTooManyCalls, CodeRateLimit,
		CodeBusinessRateLimit, CodeWAThroughput, CodeWASpamRateLimit, CodeWAPairRateLimit:
		return true
	}
	return false
}

// Permanent reports whether retrying the same request is pointless.
func (e *Error) Permanent() bool { return !e.Retryable() }

// graphErrorBody is the envelope Graph uses for failures.
type graphErrorBody struct {
	Error *struct {
		Message   string `json:"message"`
		Type      string `json:"type"`
		Code      int    `json:"code"`
		Subcode   int    `json:"error_subcode"`
		FBTraceID string `json:"fbtrace_id"`
	} `json:"error"`
}

// parseError turns a non-2xx response into an *Error, redacting token from any text it keeps.
func parseError(status int, body []byte, token string) *Error {
	var env graphErrorBody
	if err := json.Unmarshal(body, &env); err != nil {
		return &Error{HTTPStatus: status, Message: nonJSONMessagePrefix + excerpt(body, token)}
	}
	if env.Error == nil {
		return &Error{HTTPStatus: status, Message: unexpectedMessagePrefix + excerpt(body, token)}
	}
	return &Error{
		HTTPStatus: status,
		Code:       env.Error.Code,
		Subcode:    env.Error.Subcode,
		Type:       env.Error.Type,
		Message:    redact(env.Error.Message, token),
		TraceID:    env.Error.FBTraceID,
	}
}

// excerpt returns a short, single-line, valid-UTF-8 prefix of body with token redacted.
func excerpt(body []byte, token string) string {
	s := redact(string(body), token)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxErrorExcerpt {
		cut := maxErrorExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
