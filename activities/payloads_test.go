package activities_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/activities"
	"github.com/routedesk/routedesk/store"
)

// TestPayloadsKeepTheirRecordedNames: ResolvedContact and Dispatched were the
// store's types when histories were recorded; their JSON must read the same.
func TestPayloadsKeepTheirRecordedNames(t *testing.T) {
	for _, tc := range []struct {
		payload, recorded any
		want              string
	}{
		{activities.ResolvedContact{ContactID: "ct_1", IsNew: true}, store.ResolvedContact{ContactID: "ct_1", IsNew: true},
			`{"contact_id":"ct_1","is_new":true}`},
		{activities.Dispatched{TicketID: "tkt_1", WorkflowID: "conv:ch_1:x", UserID: "usr_1"},
			store.Dispatched{TicketID: "tkt_1", WorkflowID: "conv:ch_1:x", UserID: "usr_1"},
			`{"ticket_id":"tkt_1","workflow_id":"conv:ch_1:x","user_id":"usr_1"}`},
	} {
		got, err := json.Marshal(tc.payload)
		require.NoError(t, err)
		require.JSONEq(t, tc.want, string(got))
		old, err := json.Marshal(tc.recorded)
		require.NoError(t, err)
		require.JSONEq(t, string(old), string(got))
	}
}
