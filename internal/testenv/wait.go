package testenv

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// WorkflowClosed waits until workflow id has closed, so a test may check what it did not do (a retry, a send).
func WorkflowClosed(t testing.TB, c client.Client, id string, timeout time.Duration) {
	t.Helper()
	Eventually(t, timeout, "workflow "+id+" closed", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		d, err := c.DescribeWorkflowExecution(ctx, id, "")
		return err == nil && d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
}

// WorkflowIdle waits until workflow id has no work in hand: closed, or running with no workflow task and no
// activity pending (waiting on a timer or a signal), so whatever its last event set off has happened.
func WorkflowIdle(t testing.TB, c client.Client, id string, timeout time.Duration) {
	t.Helper()
	workflowIdle(t, c, id, timeout, false)
}

// workflowIdle is WorkflowIdle; with missingIsIdle a workflow that does not exist counts as idle.
func workflowIdle(t testing.TB, c client.Client, id string, timeout time.Duration, missingIsIdle bool) {
	t.Helper()
	last := "not found"
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		d, err := c.DescribeWorkflowExecution(ctx, id, "")
		cancel()
		var notFound *serviceerror.NotFound
		switch {
		case errors.As(err, &notFound) && missingIsIdle:
			return
		case err != nil:
			last = err.Error()
		case d.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
			return
		case d.GetPendingWorkflowTask() == nil && len(d.GetPendingActivities()) == 0 && len(d.GetPendingChildren()) == 0:
			return
		default:
			last = fmt.Sprintf("workflow task %v, activities %v, children %v", d.GetPendingWorkflowTask(), d.GetPendingActivities(), d.GetPendingChildren())
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for workflow %s to be idle: %s", timeout, id, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// MessageSettled waits until inbound message id has been handed to its conversation's workflow and that
// workflow is idle (or was never started, as for a call that needs no ticket): what the message sets off
// (a ticket, a reopening) has happened by then.
func (s *Stack) MessageSettled(id string, timeout time.Duration) {
	s.T.Helper()
	var workflowID string
	Eventually(s.T, timeout, "message "+id+" delivered to its workflow", func() bool {
		err := s.Store.DB().QueryRow(`SELECT c.workflow_id FROM messages m JOIN conversations c ON c.id = m.conversation_id
			WHERE m.id = $1 AND m.delivered_at IS NOT NULL`, id).Scan(&workflowID)
		if err != nil && err != sql.ErrNoRows {
			s.T.Fatalf("message %s: %v", id, err)
		}
		return err == nil
	})
	workflowIdle(s.T, s.Temporal, workflowID, timeout, true)
}

// Settled waits until every inbound message is handed to its conversation's workflow and every conversation
// workflow is idle, so a test may check what they did not do (a second ticket, a reopening).
func (s *Stack) Settled(timeout time.Duration) {
	s.T.Helper()
	Eventually(s.T, timeout, "every inbound message delivered to its workflow", func() bool {
		var n int
		if err := s.Store.DB().Get(&n, `SELECT count(*) FROM messages WHERE direction = 'inbound' AND delivered_at IS NULL`); err != nil {
			s.T.Fatalf("undelivered messages: %v", err)
		}
		return n == 0
	})
	var ids []string
	if err := s.Store.DB().Select(&ids, `SELECT workflow_id FROM conversations`); err != nil {
		s.T.Fatalf("conversations: %v", err)
	}
	for _, id := range ids {
		workflowIdle(s.T, s.Temporal, id, timeout, true)
	}
}

// Metric reads the value of a sample of the stack's /metrics ("name" or "name{labels}"); -1 when absent.
func (s *Stack) Metric(sample string) float64 {
	s.T.Helper()
	resp, err := http.Get(s.HTTP.URL + "/metrics")
	if err != nil {
		s.T.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		s.T.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if rest, ok := strings.CutPrefix(line, sample+" "); ok {
			var v float64
			if _, err := fmt.Sscanf(rest, "%g", &v); err == nil {
				return v
			}
		}
	}
	return -1
}
