package custom

import (
	"fmt"
	"net/http"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/health"
)

// appError is the app's answer to a reply it did not take: a refusal of one
// message (a *channels.SendError, inside) or a transient failure, told for the
// channel's health by HealthProblem.
type appError struct {
	app    string
	status int
	// text is the app's answer body, trimmed ("" when it gave none).
	text string
	// err is what the sender reports: a *channels.SendError for a refusal, a plain error for a retry.
	err error
}

// Error implements error.
func (e *appError) Error() string { return e.err.Error() }

// Unwrap returns the refusal or transient error, so channels.AsSendError sees a refusal.
func (e *appError) Unwrap() error { return e.err }

// HealthProblem tells what the app's answer says about the channel:
//   - 401 and 403 refuse our credentials: the channel fails at once (a person must fix the secret or the app's auth);
//   - 404, 405 and 410 say the outbound_url itself is wrong: the channel degrades, then fails as for any repeated failure;
//   - 429 and 5xx are the app limiting or failing: degraded, then failing;
//   - any other 4xx (400, 409, 422, …) refuses one message: the app answered, so the channel is fine.
func (e *appError) HealthProblem() (*health.Problem, bool) {
	answer := ""
	if e.text != "" {
		answer = ": " + e.text
	}
	switch {
	case e.status == http.StatusUnauthorized || e.status == http.StatusForbidden:
		return &health.Problem{Reason: fmt.Sprintf("%s refused our credentials (%d %s): check the channel key/secret and the app's authentication%s",
			e.app, e.status, http.StatusText(e.status), answer), Permanent: true, Err: e.err}, true
	case e.status == http.StatusNotFound || e.status == http.StatusMethodNotAllowed || e.status == http.StatusGone:
		return &health.Problem{Reason: fmt.Sprintf("%s's outbound_url answered %d %s: check the URL in the channel's configuration%s",
			e.app, e.status, http.StatusText(e.status), answer), Err: e.err}, true
	case e.status == http.StatusTooManyRequests || e.status >= 500:
		return &health.Problem{Reason: fmt.Sprintf("%s is limiting or failing our calls (%d %s)%s",
			e.app, e.status, http.StatusText(e.status), answer), Err: e.err}, true
	}
	return nil, false
}

// answerError is the error for the app's non-2xx answer status with body text.
func answerError(app string, status int, text string) error {
	e := &appError{app: app, status: status, text: text}
	if status == http.StatusTooManyRequests || status >= 500 {
		e.err = fmt.Errorf("post reply to %s: %d %s", app, status, http.StatusText(status)) // retried with backoff
		return e
	}
	reason := fmt.Sprintf("%s refused the reply: %d %s", app, status, http.StatusText(status))
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		reason = fmt.Sprintf("%s refused our credentials (%d %s): check the channel key/secret", app, status, http.StatusText(status))
	}
	if text != "" {
		reason += ": " + text
	}
	e.err = channels.Reject(reason, nil)
	return e
}
