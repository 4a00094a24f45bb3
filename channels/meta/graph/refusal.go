package graph

import (
	"errors"

	"github.com/routedesk/routedesk/channels"
)

// Refusal maps a send error of this client to the channels' kinds: nil and
// transient errors (rate limits, 5xx, network) are returned as they are; Meta's
// outside-window refusal and other permanent errors become a *channels.SendError.
func Refusal(err error) error {
	if err == nil || IsRetryable(err) {
		return err
	}
	var gerr *Error
	if errors.As(err, &gerr) && gerr.OutsideWindow() {
		return channels.RejectOutsideWindow("Meta refused the reply: the conversation is outside its messaging window ("+gerr.Message+")", err)
	}
	return channels.Reject("Meta refused the reply: "+err.Error(), err)
}
