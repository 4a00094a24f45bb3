package channels

import "errors"

// Refusal is why a channel refused a reply for good.
type Refusal int

// The refusals.
const (
	// Rejected: the provider or app refused the reply (a 4xx, a bad recipient); retrying cannot help.
	Rejected Refusal = iota + 1
	// OutsideWindow: the provider refused because the conversation's reply window has closed.
	OutsideWindow
)

// SendError is a permanent send failure; any other error a sender returns is transient and retried with backoff.
type SendError struct {
	Refusal Refusal
	// Msg says what happened, for the reply's failure reason and the agent.
	Msg string
	Err error
}

// Error implements error.
func (e *SendError) Error() string { return e.Msg }

// Unwrap returns the provider's error.
func (e *SendError) Unwrap() error { return e.Err }

// Reject returns a permanent refusal with msg; err (may be nil) is the provider's error.
func Reject(msg string, err error) error {
	return &SendError{Refusal: Rejected, Msg: msg, Err: err}
}

// RejectOutsideWindow returns the refusal of a reply outside the conversation's reply window.
func RejectOutsideWindow(msg string, err error) error {
	return &SendError{Refusal: OutsideWindow, Msg: msg, Err: err}
}

// AsSendError returns err's *SendError, or nil when err is transient.
func AsSendError(err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	return nil
}
