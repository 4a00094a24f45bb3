package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/payloadcodec"
	"github.com/routedesk/routedesk/privacy"
)

// allHistories fetches the raw (encrypted) history of every run of every workflow Temporal lists.
func allHistories(t *testing.T, s *testenv.Stack) map[string]*historypb.History {
	t.Helper()
	ctx := context.Background()
	list, err := s.Temporal.WorkflowService().ListWorkflowExecutions(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: s.Server.Namespace(), PageSize: 1000})
	require.NoError(t, err)
	out := map[string]*historypb.History{}
	for _, ex := range list.GetExecutions() {
		h := &historypb.History{}
		var next []byte
		for {
			resp, err := s.Temporal.WorkflowService().GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
				Namespace: s.Server.Namespace(), Execution: ex.GetExecution(), NextPageToken: next})
			require.NoError(t, err)
			h.Events = append(h.Events, resp.GetHistory().GetEvents()...)
			if next = resp.GetNextPageToken(); len(next) == 0 {
				break
			}
		}
		out[ex.GetExecution().GetWorkflowId()+"/"+ex.GetExecution().GetRunId()] = h
	}
	return out
}

// decodeAll decodes what the codec can of histories, as the Temporal UI would through the codec
// endpoint; it returns the decoded histories' bytes and how many payloads were under erased keys.
func decodeAll(t *testing.T, codec *payloadcodec.Codec, hs map[string]*historypb.History) ([]byte, int) {
	t.Helper()
	var all []byte
	erased := 0
	for id, h := range hs {
		h = proto.Clone(h).(*historypb.History)
		err := proxy.VisitPayloads(context.Background(), h, proxy.VisitPayloadsOptions{
			Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
				out := make([]*commonpb.Payload, len(ps))
				for i, p := range ps {
					dec, err := codec.Decode([]*commonpb.Payload{p})
					if errors.Is(err, payloadcodec.ErrKeyErased) {
						erased++
						out[i] = p
						continue
					}
					if err != nil {
						return nil, err
					}
					out[i] = dec[0]
				}
				return out, nil
			},
			SkipSearchAttributes: true,
		})
		require.NoError(t, err, id)
		b, err := proto.Marshal(h)
		require.NoError(t, err)
		all = append(all, b...)
	}
	return all, erased
}

// pgDump is the whole of the stack's database as pg_dump writes it.
func pgDump(t *testing.T, s *testenv.Stack) []byte {
	t.Helper()
	var name string
	require.NoError(t, s.Store.DB().Get(&name, `SELECT current_database()`))
	out, err := exec.Command("pg_dump", "-h", "127.0.0.1", "-U", "postgres", "--data-only", name).Output()
	require.NoError(t, err)
	return out
}

// Issue 30: erasing a contact leaves nothing readable of what was sent as that contact — not in
// the PostgreSQL dump, not in Temporal's SQLite files, not in the codec's decode of any history,
// nor of histories copied before the erasure (a backup) — while other contacts stay readable.
func TestEraseContactLeavesNothingReadable(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "temporal.db")
	s := testenv.NewStack(t, testenv.WithTemporalFile(dbPath))
	_, token := s.Account("Acme", "professional")
	mixedWorkload(t, s, token)
	// Barbara Liskov's ticket went through its own workflow, a conversation and a reply's delivery.
	erased := []string{"barbara.liskov@mit.example", "Barbara Liskov", "Liskov substitution broke checkout", "Subtypes misbehave",
		"We reverted the subtype"}
	kept := []string{"edsger.dijkstra@eindhoven.example", "Goto statement considered harmful"}
	var contact string
	require.NoError(t, s.Store.DB().Get(&contact, `SELECT id FROM contacts WHERE email = 'barbara.liskov@mit.example'`))
	var accountID string
	require.NoError(t, s.Store.DB().Get(&accountID, `SELECT account_id FROM contacts WHERE id = $1`, contact))

	backup := allHistories(t, s)
	before, _ := decodeAll(t, s.Codec, backup)
	for _, p := range append(erased[:2:2], kept...) {
		require.True(t, bytes.Contains(before, []byte(p)), "before the erasure, the decoded histories hold %q: the grep can find it", p)
	}

	graphBefore, mailBefore := len(s.Graph.Requests()), len(s.Mail.Received())
	r := s.Do(http.MethodPost, "/v1/contacts/"+contact+"/erase", token, map[string]any{})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Body))
	require.Contains(t, string(r.Body), "confirm")
	r = s.Do(http.MethodPost, "/v1/contacts/"+contact+"/erase", token, map[string]any{"confirm": contact})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	var audit map[string]any
	testenv.Eventually(t, 60*time.Second, "the erasure completed", func() bool {
		r := s.Do(http.MethodGet, "/v1/contacts/"+contact+"/erasure", token, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		audit = r.Map(t)
		return audit["state"] == "completed"
	})
	testenv.RecordHistory(t, s.Temporal, privacy.EraseWorkflowID(accountID, contact), "erase_contact_completed")
	require.Len(t, s.Graph.Requests(), graphBefore, "the erasure sent nothing through Meta's Graph API")
	for _, m := range s.Mail.Received()[mailBefore:] {
		requireNothingPersonal(t, "mail sent during the erasure", []byte(m.Data+strings.Join(m.To, ",")), erased[:1])
	}
	counts := audit["counts"].(map[string]any)
	require.EqualValues(t, 1, counts["contacts"], "%v", counts)
	require.EqualValues(t, 1, counts["tickets"], "%v", counts)
	require.GreaterOrEqual(t, counts["messages"], float64(1), "%v", counts)
	require.GreaterOrEqual(t, counts["workflow_keys"], float64(3), "the ticket's, the conversation's and the delivery's: %v", counts)
	require.Equal(t, http.StatusNotFound, s.Do(http.MethodGet, "/v1/contacts/"+contact, token, nil).Status)

	dump := pgDump(t, s)
	requireNothingPersonal(t, "the PostgreSQL dump", dump, erased)
	for _, p := range kept {
		require.True(t, bytes.Contains(dump, []byte(p)), "the dump keeps other contacts' %q", p)
	}
	raw, err := json.Marshal(audit)
	require.NoError(t, err)
	requireNothingPersonal(t, "the audit record", raw, erased)

	now, _ := decodeAll(t, s.Codec, allHistories(t, s))
	requireNothingPersonal(t, "the codec's decode of every history", now, erased)
	for _, p := range kept {
		require.True(t, bytes.Contains(now, []byte(p)), "other contacts' %q still decodes", p)
	}
	old, shredded := decodeAll(t, s.Codec, backup)
	require.Positive(t, shredded, "the backup's payloads of the erased contact are under erased keys")
	requireNothingPersonal(t, "the codec's decode of histories copied before the erasure", old, erased)
	for _, p := range kept {
		require.True(t, bytes.Contains(old, []byte(p)), "the backup keeps other contacts' %q decodable", p)
	}
	requireNoPersonalDataInTemporal(t, s, dbPath, erased, "conv:")

	// Asking again answers the same record; the contact is gone, nothing new starts.
	r = s.Do(http.MethodPost, "/v1/contacts/"+contact+"/erase", token, map[string]any{"confirm": contact})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	require.Equal(t, "completed", r.Map(t)["state"])
}

// Issue 30: an erasure whose steps fail after doing their work (a crash before the history
// records it) still ends fully erased, with the counts of the run that did the deleting.
func TestEraseSurvivesStepsFailingAfterTheirWork(t *testing.T) {
	s := testenv.NewStack(t)
	account, token := s.Account("Acme", "professional")
	user := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "agent@acme.test", "name": "Agent", "availability": "available", "capacity": 5})
	require.Equal(t, http.StatusCreated, user.Status, string(user.Body))
	r := s.Do(http.MethodPost, "/v1/tickets", token, map[string]any{"subject": "Crash me",
		"routing": map[string]any{"assign_to": "users_and_teams", "users": []string{user.Map(t)["id"].(string)}}, "description": "Halfway through.",
		"contact": map[string]any{"email": "half.way@crash.example", "name": "Half Way"}, "route": true})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	var contact string
	require.NoError(t, s.Store.DB().Get(&contact, `SELECT id FROM contacts WHERE email = 'half.way@crash.example'`))
	testenv.Eventually(t, 20*time.Second, "the ticket's workflow key", func() bool {
		var n int
		require.NoError(t, s.Store.DB().Get(&n, `SELECT count(*) FROM privacy_keys WHERE workflow_id LIKE 'ticket:%'`))
		return n == 1
	})

	var failures atomic.Int32
	var mu sync.Mutex
	failed := map[string]bool{}
	acts := &privacy.Activities{Store: s.Store, Temporal: s.Temporal, Fault: func(step string) error {
		mu.Lock()
		defer mu.Unlock()
		if step == "plan" || failed[step] {
			return nil
		}
		failed[step] = true
		failures.Add(1)
		return errors.New("crash after " + step)
	}}
	w := sdkworker.New(s.Temporal, "erase-faults", sdkworker.Options{})
	w.RegisterWorkflowWithOptions(privacy.EraseWorkflow, workflow.RegisterOptions{Name: privacy.EraseWorkflowName})
	w.RegisterActivity(acts)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	e, _, err := s.Store.StartErasure(context.Background(), account, contact, "usr_test", privacy.EraseWorkflowID(account, contact))
	require.NoError(t, err)
	run, err := s.Temporal.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: e.WorkflowID, TaskQueue: "erase-faults"},
		privacy.EraseWorkflowName, privacy.EraseInput{AccountID: account, ContactID: contact, ErasureID: e.ID})
	require.NoError(t, err)
	var res privacy.EraseResult
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, run.Get(ctx, &res))
	require.EqualValues(t, 3, failures.Load(), "stop, shred and delete each failed once after their work")
	require.EqualValues(t, 1, res.Counts["contacts"], "%v", res.Counts)
	require.EqualValues(t, 1, res.Counts["tickets"], "%v", res.Counts)
	require.Equal(t, 1, res.Keys)
	var n int
	require.NoError(t, s.Store.DB().Get(&n, `SELECT count(*) FROM contacts WHERE id = $1`, contact))
	require.Zero(t, n)
	require.NoError(t, s.Store.DB().Get(&n, `SELECT count(*) FROM privacy_keys WHERE wrapped IS NOT NULL AND workflow_id LIKE 'ticket:%'`))
	require.Zero(t, n)
	got, err := s.Store.ErasureOf(context.Background(), account, contact)
	require.NoError(t, err)
	require.Equal(t, "completed", got.State)
	require.Contains(t, string(got.Counts), `"tickets": 1`)
}
