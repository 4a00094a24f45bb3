package graph

import (
	"net/http"

	"github.com/routedesk/routedesk/health"
)

// HealthProblem tells what a failed call says about its channel: a refused or
// expired token fails the channel at once, rate limits and Meta's own outages
// degrade it, and a refusal of one message (a closed window, a bad recipient)
// says nothing about the channel.
func (e *Error) HealthProblem() (*health.Problem, bool) {
	switch {
	case e.OutsideWindow():
		return nil, false
	case e.Code == CodeInvalidToken || e.HTTPStatus == http.StatusUnauthorized:
		return &health.Problem{Reason: "Meta refused the access token (expired, revoked or wrong): paste a new token into the channel's configuration (" + e.Message + ")",
			Permanent: true, Err: e}, true
	case e.Code == CodePermission || e.HTTPStatus == http.StatusForbidden:
		return &health.Problem{Reason: "Meta says the access token lacks a permission the channel needs: " + e.Message, Permanent: true, Err: e}, true
	case e.Retryable():
		return &health.Problem{Reason: "Meta Graph API is limiting or failing our calls: " + e.Error(), Err: e}, true
	}
	return nil, false
}
