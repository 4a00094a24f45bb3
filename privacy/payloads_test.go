package privacy_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/privacy"
	"github.com/routedesk/routedesk/store"
)

// TestErasurePlanKeepsItsRecordedNames: the erasure workflow's histories were recorded with
// store.ErasurePlan; privacy.ErasurePlan, its contract type now, must read and write the same JSON.
func TestErasurePlanKeepsItsRecordedNames(t *testing.T) {
	p := privacy.ErasurePlan{AccountID: "acc_1", ContactID: "ct_1", ErasureID: "er_1",
		TicketIDs: []string{"tkt_1"}, ConversationIDs: []string{"cv_1"}, WorkflowIDs: []string{"conv:ch_1:x"}}
	got, err := json.Marshal(p)
	require.NoError(t, err)
	require.JSONEq(t, `{"account_id":"acc_1","contact_id":"ct_1","erasure_id":"er_1","ticket_ids":["tkt_1"],
		"conversation_ids":["cv_1"],"workflow_ids":["conv:ch_1:x"]}`, string(got))
	old, err := json.Marshal(store.ErasurePlan(p))
	require.NoError(t, err)
	require.JSONEq(t, string(old), string(got))
}
