package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/imports"
	"github.com/routedesk/routedesk/internal/testenv"
)

// An import killed with SIGKILL mid-way resumes when routedesk dev starts
// again, and ends with the counts and data of a run without the crash.
func TestDevImportSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	d := newDev(t)
	d.env = append(d.env, "ROUTEDESK_IMPORT_PAUSE=5ms") // slow enough to be killed mid-way
	d.start()
	ch := d.chatChannel()

	const n = 1200
	var file strings.Builder
	for i := range n {
		line, _ := json.Marshal(imports.Conversation{ExternalID: fmt.Sprintf("kill-%d", i),
			Contact: imports.Contact{Email: fmt.Sprintf("c%d@example.com", i%40)},
			Messages: []imports.Message{
				{ExternalID: fmt.Sprintf("kill-%d-1", i), Direction: "inbound", Text: "hello", SentAt: time.Date(2024, 5, 1, 0, 0, i, 0, time.UTC)},
				{ExternalID: fmt.Sprintf("kill-%d-2", i), Direction: "outbound", Text: "hi", SentAt: time.Date(2024, 5, 1, 1, 0, i, 0, time.UTC)},
			}})
		file.Write(line)
		file.WriteByte('\n')
	}
	req, err := http.NewRequest(http.MethodPost, d.api+"/v1/channels/"+ch+"/imports", strings.NewReader(file.String()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+devToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var acc map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&acc))
	resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode, acc)
	id := acc["import_id"]

	var v struct {
		State    string `json:"state"`
		Total    int    `json:"total"`
		Imported int    `json:"imported"`
		Skipped  int    `json:"skipped"`
	}
	get := func() {
		r := d.do(http.MethodGet, "/v1/imports/"+id, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		r.JSON(t, &v)
	}
	testenv.Eventually(t, 120*time.Second, "the first batch imported", func() bool {
		get()
		return v.Imported > 0
	})
	require.Equal(t, "running", v.State, "the import ended before it could be killed: %+v", v)
	d.kill()

	d.start() // same database and Temporal data: the batch in hand is retried once its heartbeat times out
	testenv.Eventually(t, 240*time.Second, "the import to complete after the crash", func() bool {
		get()
		return v.State != "running"
	})
	require.Equal(t, "completed", v.State)
	require.Equal(t, n, v.Total)
	require.Equal(t, n, v.Imported)
	require.Zero(t, v.Skipped)
	tickets, err := listTickets(d.api, devToken, "channel_id="+ch)
	require.NoError(t, err)
	require.Len(t, tickets, n)
	for conv, count := range ticketsByConversation(tickets) {
		require.Equal(t, 1, count, "conversation %s", conv)
	}
}
