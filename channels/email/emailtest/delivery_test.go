package emailtest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/workflows"
)

// relayDesk is a desk whose email channel sends through a relay answering answers first,
// retrying replies for retrySeconds.
func relayDesk(t *testing.T, retrySeconds int, answers ...int) (*desk, *relay) {
	t.Helper()
	rl, addr := startRelay(t, answers...)
	host, port := splitHostPort(t, addr)
	d := newDesk(t, email.Settings{}, map[string]any{"smtp": map[string]any{"host": host, "port": port, "tls": "none"},
		"reply_retry_seconds": retrySeconds})
	return d, rl
}

// outbound waits for the ticket's outbound message in one of statuses and returns it.
func (d *desk) outbound(t *testing.T, ticketID string, timeout time.Duration, statuses ...string) domain.Message {
	t.Helper()
	var out domain.Message
	testenv.Eventually(t, timeout, "the reply "+strings.Join(statuses, " or "), func() bool {
		for _, m := range d.messages(t, ticketID) {
			if m.Direction == domain.DirectionOutbound {
				for _, s := range statuses {
					if m.Status == s {
						out = m
						return true
					}
				}
			}
		}
		return false
	})
	return out
}

// TestReplyRetriedThroughRelayTrouble: a relay answering 421 for longer than the old bounded
// retries (8 times, ~20 s) holds the reply "retrying" with the server's text and the next
// attempt's time, and the reply ends sent once the relay accepts, within the channel's period.
func TestReplyRetriedThroughRelayTrouble(t *testing.T) {
	d, rl := relayDesk(t, 40, 421, 421, 421, 421, 421, 421, 421, 421, 0)
	tk := d.ticketOf(t, d.postRaw(t, firstMail).Map(t)["conversation_id"].(string))
	rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Hello through trouble"})
	if rep.Status != http.StatusCreated {
		t.Fatalf("reply: %d %s", rep.Status, rep.Body)
	}
	if st := rep.Map(t)["status"]; st != domain.MessageRetrying {
		t.Fatalf("reply answered %v, want retrying: %s", st, rep.Body)
	}
	m := d.outbound(t, tk.ID, 10*time.Second, domain.MessageRetrying)
	if !strings.Contains(m.FailureReason, "421") || !strings.Contains(m.FailureReason, "mailbox says 421") {
		t.Fatalf("retrying with reason %q, want the server's 421 text", m.FailureReason)
	}
	if m.NextAttemptAt == nil || m.NextAttemptAt.Before(time.Now().Add(-time.Second)) || m.Attempts < 1 {
		t.Fatalf("retrying with next attempt %v after %d attempts", m.NextAttemptAt, m.Attempts)
	}
	sent := d.outbound(t, tk.ID, 45*time.Second, domain.MessageSent, domain.MessageFailed)
	if sent.Status != domain.MessageSent || sent.FailureReason != "" || sent.NextAttemptAt != nil {
		t.Fatalf("reply ended %s (%q, next %v), want sent", sent.Status, sent.FailureReason, sent.NextAttemptAt)
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	if rl.attempts != 9 || rl.got != 1 || sent.Attempts != 9 {
		t.Fatalf("relay saw %d attempts and %d mails, the reply counts %d attempts; want 9, 1, 9", rl.attempts, rl.got, sent.Attempts)
	}
	testenv.RecordHistory(t, d.Temporal, "delivery:"+sent.ID, "delivery_retrying_then_sent")
}

// TestReplyGivesUpAfterRetryPeriod: a relay that never stops answering 421 ends the reply
// failed once the channel's retry period is over, with the last error as its reason.
func TestReplyGivesUpAfterRetryPeriod(t *testing.T) {
	answers := make([]int, 100)
	for i := range answers {
		answers[i] = 421
	}
	d, _ := relayDesk(t, 6, answers...)
	tk := d.ticketOf(t, d.postRaw(t, firstMail).Map(t)["conversation_id"].(string))
	if rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Hello"}); rep.Status != http.StatusCreated {
		t.Fatalf("reply: %d %s", rep.Status, rep.Body)
	}
	m := d.outbound(t, tk.ID, 30*time.Second, domain.MessageFailed)
	if !strings.Contains(m.FailureReason, "gave up after") || !strings.Contains(m.FailureReason, "mailbox says 421") || m.NextAttemptAt != nil {
		t.Fatalf("failed with %q (next %v)", m.FailureReason, m.NextAttemptAt)
	}
}

// TestReplyRefusedThenRetried: a 550 answers the reply 201 failed with the server's text (not
// 502), without retrying; POST /v1/messages/{id}/retry sends it again once the relay accepts,
// and a second retry, or one of a reply that is not failed, is 409.
func TestReplyRefusedThenRetried(t *testing.T) {
	d, rl := relayDesk(t, 60, 550, 0)
	tk := d.ticketOf(t, d.postRaw(t, firstMail).Map(t)["conversation_id"].(string))
	rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Hello again"})
	if rep.Status != http.StatusCreated {
		t.Fatalf("a refused reply answers %d %s, want 201", rep.Status, rep.Body)
	}
	body := rep.Map(t)
	if body["status"] != domain.MessageFailed || !strings.Contains(fmt.Sprint(body["failure_reason"]), "mailbox says 550") {
		t.Fatalf("reply: %s", rep.Body)
	}
	id := body["message_id"].(string)
	testenv.WorkflowClosed(t, d.Temporal, workflows.DeliveryWorkflowID(id, 0), 10*time.Second)
	rl.mu.Lock()
	if rl.attempts != 1 {
		t.Fatalf("a refusal was tried %d times", rl.attempts)
	}
	rl.mu.Unlock()

	if r := d.Do(http.MethodPost, "/v1/messages/msg_nope/retry", d.agentToken, nil); r.Status != http.StatusNotFound {
		t.Fatalf("retry of no message: %d %s", r.Status, r.Body)
	}
	retry := d.Do(http.MethodPost, "/v1/messages/"+id+"/retry", d.agentToken, nil)
	if retry.Status != http.StatusAccepted || retry.Map(t)["status"] != domain.MessageQueued {
		t.Fatalf("retry: %d %s", retry.Status, retry.Body)
	}
	if again := d.Do(http.MethodPost, "/v1/messages/"+id+"/retry", d.agentToken, nil); again.Status != http.StatusConflict {
		t.Fatalf("a second retry: %d %s", again.Status, again.Body)
	}
	sent := d.outbound(t, tk.ID, 20*time.Second, domain.MessageSent)
	if sent.ID != id || sent.Attempts != 2 {
		t.Fatalf("sent %s after %d attempts", sent.ID, sent.Attempts)
	}
	rl.mu.Lock()
	if rl.got != 1 || rl.attempts != 2 {
		t.Fatalf("relay took %d mails in %d attempts, want 1 in 2", rl.got, rl.attempts)
	}
	rl.mu.Unlock()
	if r := d.Do(http.MethodPost, "/v1/messages/"+id+"/retry", d.agentToken, nil); r.Status != http.StatusConflict ||
		!strings.Contains(string(r.Body), "only a failed reply") {
		t.Fatalf("retry of a sent reply: %d %s", r.Status, r.Body)
	}
	var inbound string
	for _, m := range d.messages(t, tk.ID) {
		if m.Direction == domain.DirectionInbound {
			inbound = m.ID
		}
	}
	if r := d.Do(http.MethodPost, "/v1/messages/"+inbound+"/retry", d.agentToken, nil); r.Status != http.StatusConflict {
		t.Fatalf("retry of an inbound message: %d %s", r.Status, r.Body)
	}
	testenv.RecordHistory(t, d.Temporal, tk.WorkflowID, "conversation_durable_reply")
	testenv.RecordHistory(t, d.Temporal, "delivery:"+id, "delivery_refused")
	testenv.RecordHistory(t, d.Temporal, "delivery:"+id+":r1", "delivery_retried_sent")
}
