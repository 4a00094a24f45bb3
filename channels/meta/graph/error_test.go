package graph_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/routedesk/routedesk/channels/meta/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func graphError(code, subcode int, typ, msg string) string {
	return fmt.Sprintf(`{"error":{"message":%q,"type":%q,"code":%d,"error_subcode":%d,"fbtrace_id":"AbCdEf123"}}`,
		msg, typ, code, subcode)
}

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		name          string
		status        int
		body          string
		code, subcode int
		outsideWindow bool
		retryable     bool
	}{
		{"messenger outside window", http.StatusBadRequest,
			graphError(10, 2018278, "OAuthException", "(#10) This message is sent outside of allowed window."),
			10, 2018278, true, false},
		{"messenger code 10 other subcode", http.StatusForbidden,
			graphError(10, 2018108, "OAuthException", "(#10) This person isn't receiving messages from you right now."),
			10, 2018108, false, false},
		{"whatsapp re-engagement", http.StatusBadRequest,
			graphError(131047, 0, "OAuthException", "(#131047) Re-engagement message"),
			131047, 0, true, false},
		{"http 429", http.StatusTooManyRequests,
			graphError(4, 0, "OAuthException", "(#4) Application request limit reached"),
			4, 0, false, true},
		{"http 429 without graph body", http.StatusTooManyRequests, `{}`, 0, 0, false, true},
		{"http 500", http.StatusInternalServerError,
			graphError(1, 0, "OAuthException", "An unknown error occurred"),
			1, 0, false, true},
		{"http 503 with permanent-looking code", http.StatusServiceUnavailable,
			graphError(100, 0, "OAuthException", "(#100) oops"),
			100, 0, false, true},
		{"invalid parameter", http.StatusBadRequest,
			graphError(100, 2018001, "OAuthException", "(#100) No matching user found"),
			100, 2018001, false, false},
		{"invalid token", http.StatusUnauthorized,
			graphError(190, 463, "OAuthException", "Error validating access token: Session has expired"),
			190, 463, false, false},
		{"transient code 2 on 400", http.StatusBadRequest,
			graphError(2, 0, "OAuthException", "An unexpected error has occurred. Please retry your request later."),
			2, 0, false, true},
		{"rate limit 17", http.StatusBadRequest, graphError(17, 0, "OAuthException", "User request limit reached"), 17, 0, false, true},
		{"rate limit 32", http.StatusBadRequest, graphError(32, 0, "OAuthException", "Page request limit reached"), 32, 0, false, true},
		{"rate limit 613", http.StatusBadRequest, graphError(613, 0, "OAuthException", "rate limit"), 613, 0, false, true},
		{"rate limit 80007", http.StatusBadRequest, graphError(80007, 0, "OAuthException", "WABA rate limit"), 80007, 0, false, true},
		{"whatsapp throughput 130429", http.StatusBadRequest, graphError(130429, 0, "OAuthException", "Rate limit hit"), 130429, 0, false, true},
		{"whatsapp spam 131048", http.StatusBadRequest, graphError(131048, 0, "OAuthException", "Spam rate limit hit"), 131048, 0, false, true},
		{"whatsapp pair 131056", http.StatusBadRequest, graphError(131056, 0, "OAuthException", "pair rate limit hit"), 131056, 0, false, true},
		{"non-JSON 502", http.StatusBadGateway, "<html><body>502 Bad Gateway</body></html>", 0, 0, false, true},
		{"non-JSON 400", http.StatusBadRequest, "bad request", 0, 0, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGraph(t)
			f.reply(tc.status, tc.body)

			_, err := f.client().SendMessenger(context.Background(), testToken, graph.MessengerMessage{PSID: "1", Text: "x"})
			require.Error(t, err)

			var gerr *graph.Error
			require.True(t, errors.As(err, &gerr), "want *graph.Error, got %T: %v", err, err)
			assert.Equal(t, tc.status, gerr.HTTPStatus)
			assert.Equal(t, tc.code, gerr.Code)
			assert.Equal(t, tc.subcode, gerr.Subcode)
			assert.Equal(t, tc.outsideWindow, gerr.OutsideWindow(), "OutsideWindow")
			assert.Equal(t, tc.retryable, gerr.Retryable(), "Retryable")
			assert.Equal(t, !tc.retryable, gerr.Permanent(), "Permanent")
			assert.Equal(t, tc.retryable, graph.IsRetryable(err), "IsRetryable")
			assert.Equal(t, tc.retryable, graph.IsRetryable(fmt.Errorf("outer: %w", err)), "IsRetryable through wrapping")
		})
	}
}

func TestErrorFields(t *testing.T) {
	f := newFakeGraph(t)
	f.reply(http.StatusBadRequest, graphError(10, 2018278, "OAuthException", "(#10) This message is sent outside of allowed window."))

	_, err := f.client().SendWhatsAppText(context.Background(), testToken, "1065", "1650", "x")
	var gerr *graph.Error
	require.ErrorAs(t, err, &gerr)
	assert.Equal(t, &graph.Error{
		HTTPStatus: 400, Code: 10, Subcode: 2018278, Type: "OAuthException",
		Message: "(#10) This message is sent outside of allowed window.", TraceID: "AbCdEf123",
	}, gerr)
	assert.Equal(t,
		"graph: HTTP 400, code 10/2018278 (OAuthException): (#10) This message is sent outside of allowed window. [fbtrace_id AbCdEf123]",
		gerr.Error())
}

func TestNonJSONErrorExcerpt(t *testing.T) {
	f := newFakeGraph(t)
	body := "<html>\n<body>" + strings.Repeat("upstream connect error ", 50) + "</body></html>"
	f.reply(http.StatusBadGateway, body)

	_, err := f.client().SendMessenger(context.Background(), testToken, graph.MessengerMessage{PSID: "1", Text: "x"})
	var gerr *graph.Error
	require.ErrorAs(t, err, &gerr)
	assert.Equal(t, http.StatusBadGateway, gerr.HTTPStatus)
	assert.Contains(t, gerr.Message, "non-JSON response: <html> <body>upstream connect error")
	assert.Less(t, len(gerr.Message), 260, "excerpt must be short")
	assert.NotContains(t, gerr.Message, "\n")
}
