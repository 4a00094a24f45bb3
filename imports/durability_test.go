package imports_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/routedesk/routedesk/imports"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
	"github.com/routedesk/routedesk/worker"
)

// generated is an NDJSON file of n historical conversations of two messages each.
func generated(prefix string, n int) []byte {
	var b strings.Builder
	for i := range n {
		c := imports.Conversation{ExternalID: fmt.Sprintf("%s-%d", prefix, i), Contact: imports.Contact{Email: fmt.Sprintf("%s-%d@example.com", prefix, i%50)},
			Messages: []imports.Message{
				{ExternalID: fmt.Sprintf("%s-%d-a", prefix, i), Direction: "inbound", Text: "hello", SentAt: time.Date(2022, 1, 1, 0, 0, i, 0, time.UTC)},
				{ExternalID: fmt.Sprintf("%s-%d-b", prefix, i), Direction: "outbound", Text: "hi", SentAt: time.Date(2022, 1, 1, 1, 0, i, 0, time.UTC)},
			}}
		line, _ := json.Marshal(c)
		b.Write(line)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

func testCancel(t *testing.T, s *stack) {
	token := s.account("cancel")
	ch := s.channel(token, map[string]any{"type": "chat", "name": "Chat"})
	worker.ImportPause = 20 * time.Millisecond // slow enough to cancel mid-way; set before the batch starts
	defer func() { worker.ImportPause = 0 }()
	s.stopWorker()
	s.startWorker()
	r := s.upload(token, ch, "", ndjson, generated("cx", 2000))
	if r.Status != http.StatusAccepted {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	id := r.Map(t)["import_id"].(string)
	testenv.Eventually(t, 60*time.Second, "some conversations imported", func() bool {
		return s.count(`SELECT count(*) FROM conversations WHERE channel_id = $1`, ch) > 5
	})
	if r := s.do(http.MethodDelete, "/v1/imports/"+id, token, nil); r.Status != http.StatusAccepted {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	v := s.wait(token, id, 30*time.Second)
	if v.State != store.ImportCancelled || v.FinishedAt == nil {
		t.Fatalf("cancelled import = %+v", v)
	}
	convs := s.count(`SELECT count(*) FROM conversations WHERE channel_id = $1`, ch)
	if convs >= 2000 || convs < v.Imported {
		t.Errorf("%d conversations stored, import says %d imported of 2000", convs, v.Imported)
	}
	// What was imported stays, whole: every conversation has both messages and its ticket.
	if n := s.count(`SELECT count(*) FROM conversations c WHERE c.channel_id = $1 AND
		((SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) <> 2 OR NOT EXISTS (SELECT 1 FROM tickets t WHERE t.conversation_id = c.id))`, ch); n != 0 {
		t.Errorf("%d conversations half imported", n)
	}
	testenv.RecordHistory(t, s.tc, imports.WorkflowID(id), "import_cancelled")
	if r := s.do(http.MethodDelete, "/v1/imports/"+id, token, nil); r.Status != http.StatusConflict {
		t.Errorf("cancelling an ended import: %d", r.Status)
	}
	desc, err := s.tc.DescribeWorkflowExecution(context.Background(), imports.WorkflowID(id), "")
	if err != nil {
		t.Fatal(err)
	}
	sa := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()["ImportState"]
	if sa == nil || !strings.Contains(string(sa.GetData()), "cancelled") {
		t.Errorf("ImportState search attribute = %v", sa)
	}
}

func testResume(t *testing.T, s *stack) {
	token := s.account("resume")
	ch := s.channel(token, map[string]any{"type": "chat", "name": "Chat"})
	worker.ImportPause = 10 * time.Millisecond
	defer func() { worker.ImportPause = 0 }()
	s.stopWorker()
	s.startWorker()
	const n = 600
	r := s.upload(token, ch, "", ndjson, generated("rs", n))
	if r.Status != http.StatusAccepted {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	id := r.Map(t)["import_id"].(string)
	testenv.Eventually(t, 60*time.Second, "the import under way", func() bool {
		c := s.count(`SELECT count(*) FROM conversations WHERE channel_id = $1`, ch)
		return c > 60 && c < n-100
	})
	s.stopWorker() // the batch in hand is cut off mid-way
	mid := s.count(`SELECT count(*) FROM conversations WHERE channel_id = $1`, ch)
	time.Sleep(500 * time.Millisecond) // the worker stays down a moment, as a crashed one would
	s.startWorker()
	v := s.wait(token, id, 120*time.Second)
	if v.State != store.ImportCompleted || v.Total != n || v.Imported != n || v.Skipped != 0 {
		t.Fatalf("resumed import = %+v (stopped at %d conversations)", v, mid)
	}
	if got := snapshot(s, ch); !strings.HasPrefix(got, fmt.Sprintf("conversations=%d messages=%d tickets=%d contacts=50", n, 2*n, n)) {
		t.Errorf("after the resumed import: %s", got)
	}
	// The workflow continued as new along the way (40 items a batch, 3 batches a run) and its query answers.
	var st imports.Status
	q, err := s.tc.QueryWorkflow(context.Background(), imports.WorkflowID(id), "", imports.QueryProgress)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Get(&st); err != nil || st.State != store.ImportCompleted || st.Progress.Imported != n {
		t.Errorf("progress query = %+v, %v", st, err)
	}
}

// A retried batch starts from its last heartbeat, not from the batch's start.
func testHeartbeatResume(t *testing.T, s *stack) {
	token := s.account("heartbeat")
	ch := s.channel(token, map[string]any{"type": "chat", "name": "Chat"})
	var accountID string
	if err := s.st.DB().Get(&accountID, `SELECT account_id FROM channels WHERE id = $1`, ch); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	im, err := s.st.CreateImport(ctx, store.NewImport{AccountID: accountID, ChannelID: ch, Format: imports.FormatNDJSON, IncludeHistory: true, RecentHours: 24}, imports.WorkflowID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.StoreImportFile(ctx, im.ID, strings.NewReader(string(readFile(t, "good_and_bad.ndjson"))), 1<<20); err != nil {
		t.Fatal(err)
	}
	in := imports.BatchInput{ImportID: im.ID, AccountID: accountID, ChannelID: ch, Format: imports.FormatNDJSON, IncludeHistory: true, RecentHours: 24, MaxItems: 2}
	batch := func(heartbeat *imports.Progress) imports.Progress {
		var ts testsuite.WorkflowTestSuite
		env := ts.NewTestActivityEnvironment()
		acts := &imports.Activities{Store: s.st, WorkflowID: testenv.ConversationIDs(t).ID}
		env.RegisterActivity(acts)
		if heartbeat != nil {
			env.SetHeartbeatDetails(*heartbeat)
		}
		val, err := env.ExecuteActivity(acts.ImportBatch, in)
		if err != nil {
			t.Fatal(err)
		}
		var p imports.Progress
		if err := val.Get(&p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := batch(nil) // lines 1 and 2 (good, bad)
	if first.Total != 2 || first.Imported != 1 || first.Skipped != 1 || first.Position.Line != 2 || first.Done {
		t.Fatalf("first two lines: %+v", first)
	}
	// The retry of a batch that began at the file's start, whose last heartbeat was after line 2.
	hb := first
	hb.Imported += 100 // a marker: only a resumed batch carries it on
	in.MaxItems = 100
	got := batch(&hb)
	if got.Total != 6 || got.Imported != 103 || got.Skipped != 3 || !got.Done {
		t.Errorf("resumed batch = %+v, want the heartbeat's counts plus lines 3 to 7", got)
	}
}
