package custom

import (
	"net/http"
	"strings"
	"testing"

	"github.com/routedesk/routedesk/channels"
	"github.com/routedesk/routedesk/health"
)

// TestAnswerHealth: what each answer of the app means for the reply (refused or
// retried) and for the channel's health (nothing, degraded, failing at once).
func TestAnswerHealth(t *testing.T) {
	for _, tc := range []struct {
		status    int
		refused   bool
		channel   bool // the answer says something about the channel
		permanent bool
		reason    string
	}{
		{http.StatusBadRequest, true, false, false, ""},
		{http.StatusUnprocessableEntity, true, false, false, ""},
		{http.StatusConflict, true, false, false, ""},
		{http.StatusUnauthorized, true, true, true, "Shop refused our credentials (401 Unauthorized): check the channel key/secret"},
		{http.StatusForbidden, true, true, true, "Shop refused our credentials (403 Forbidden)"},
		{http.StatusNotFound, true, true, false, "Shop's outbound_url answered 404 Not Found: check the URL"},
		{http.StatusTooManyRequests, false, true, false, "Shop is limiting or failing our calls (429 Too Many Requests)"},
		{http.StatusBadGateway, false, true, false, "Shop is limiting or failing our calls (502 Bad Gateway)"},
	} {
		err := answerError("Shop", tc.status, "why")
		if got := channels.AsSendError(err) != nil; got != tc.refused {
			t.Errorf("%d: refused %v, want %v", tc.status, got, tc.refused)
		}
		p := health.Describe(health.Endpoint, err)
		if (p != nil) != tc.channel {
			t.Errorf("%d: health problem %v, want one: %v", tc.status, p, tc.channel)
			continue
		}
		if p != nil && (p.Permanent != tc.permanent || !strings.HasPrefix(p.Reason, tc.reason) || !strings.HasSuffix(p.Reason, ": why")) {
			t.Errorf("%d: %+v", tc.status, p)
		}
	}
}
