package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/workflows"
)

// The scale-out suite (`make scale`, ROUTEDESK_SCALE=1) runs routedesk as
// production does, on one machine: one `routedesk temporal`, two `server`
// and two `worker` processes on one database, driven over HTTP.
func scaleOnly(t *testing.T) {
	t.Helper()
	if testing.Short() || os.Getenv("ROUTEDESK_SCALE") != "1" {
		t.Skip("scale-out suite: run with `make scale` (ROUTEDESK_SCALE=1)")
	}
}

// sent is one message a suite got 202 (or 200 duplicate) for.
type sent struct {
	externalID, messageID, workflowID, conversationID string
}

// identityOf is the prefix of the Temporal identity of a process ("pid@host@").
func identityOf(p *proc) string { return fmt.Sprintf("%d@", p.pid()) }

// countByIdentity tallies identities by the process whose pid they carry.
func countByIdentity(identity string, procs map[string]*proc, into map[string]int) {
	for name, p := range procs {
		if strings.HasPrefix(identity, identityOf(p)) {
			into[name]++
		}
	}
}

// awaitPollers waits until every worker polls routedesk's task queue for
// workflow and activity tasks, so that work spread over them can reach each.
func awaitPollers(t *testing.T, c client.Client, workers ...*proc) {
	t.Helper()
	eventually(t, 60*time.Second, "every worker polling the task queue", func() bool {
		for _, typ := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			d, err := c.DescribeTaskQueue(ctx, workflows.DefaultTaskQueue, typ)
			cancel()
			if err != nil {
				return false
			}
			for _, w := range workers {
				found := false
				for _, p := range d.GetPollers() {
					found = found || strings.HasPrefix(p.GetIdentity(), identityOf(w))
				}
				if !found {
					return false
				}
			}
		}
		return true
	})
}

// inboundSignals returns, per routedesk message id, the identities of the
// clients that signalled it into the workflow's history.
func inboundSignals(t *testing.T, f *fleet, c client.Client, workflowIDs []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	codec := f.codec()
	for _, wf := range workflowIDs {
		for _, ev := range history(t, c, wf) {
			if ev.GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED {
				continue
			}
			attrs := ev.GetWorkflowExecutionSignaledEventAttributes()
			payloads, err := codec.Decode(attrs.GetInput().GetPayloads())
			require.NoError(t, err)
			for _, p := range payloads {
				var in struct {
					MessageID string `json:"message_id"`
				}
				if json.Unmarshal(p.GetData(), &in) == nil && in.MessageID != "" {
					out[in.MessageID] = append(out[in.MessageID], attrs.GetIdentity())
				}
			}
		}
	}
	return out
}

// spread posts messages to the servers in turn, n conversations of perConv
// messages, with bounded concurrency; a message whose server is down is
// retried on the next one. It returns what was accepted.
func spread(t *testing.T, servers []*apiProc, token, channel, prefix string, n, perConv int, onAccepted func(count int)) []sent {
	t.Helper()
	var mu sync.Mutex
	var out []sent
	jobs := make(chan [2]int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for job := range jobs {
				i, j := job[0], job[1]
				ext := fmt.Sprintf("%s-c%d-m%d", prefix, i, j)
				for try := range len(servers) {
					s := servers[(i+j+try)%len(servers)]
					r, err := postMessage(s.base, token, channel, ext, fmt.Sprintf("%s-conv-%d", prefix, i))
					if err != nil {
						continue
					}
					if r.Status != http.StatusAccepted && r.Status != http.StatusOK {
						t.Errorf("%s via %s: %d %s", ext, s.name, r.Status, r.Body)
						break
					}
					var body struct {
						ConversationID string `json:"conversation_id"`
						MessageID      string `json:"message_id"`
						WorkflowID     string `json:"workflow_id"`
					}
					if err := json.Unmarshal(r.Body, &body); err != nil {
						t.Errorf("%s: %v", ext, err)
						break
					}
					mu.Lock()
					out = append(out, sent{ext, body.MessageID, body.WorkflowID, body.ConversationID})
					count := len(out)
					mu.Unlock()
					if onAccepted != nil {
						onAccepted(count)
					}
					break
				}
			}
		}()
	}
	for i := range n {
		for j := range perConv {
			jobs <- [2]int{i, j}
		}
	}
	close(jobs)
	wg.Wait()
	return out
}

func acceptedOf(msgs []sent) *accepted {
	acc := newAccepted()
	for _, m := range msgs {
		acc.conversations[m.externalID] = m.conversationID
	}
	return acc
}

func workflowsOf(msgs []sent) []string {
	seen := map[string]bool{}
	var ids []string
	for _, m := range msgs {
		if !seen[m.workflowID] {
			seen[m.workflowID] = true
			ids = append(ids, m.workflowID)
		}
	}
	return ids
}

// TestScaleOut drives two servers and two workers on one Temporal and one database.
func TestScaleOut(t *testing.T) {
	scaleOnly(t)
	f := newFleet(t)
	s1, s2 := f.addServer(), f.addServer()
	w1, w2 := f.addWorker(), f.addWorker()
	servers := []*apiProc{s1, s2}
	tc := f.temporalClient()
	awaitPollers(t, tc, w1, w2)

	t.Run("traffic over both servers ends with one ticket per conversation", func(t *testing.T) {
		ch := chatChannel(t, s1.base, f.token, nil)
		msgs := spread(t, servers, f.token, ch, "spread", 40, 3, nil)
		require.Len(t, msgs, 120)
		took := awaitTickets(t, s2.base, f.token, ch, acceptedOf(msgs), 60*time.Second)
		t.Logf("40 conversations × 3 messages over two servers: one ticket each after %s", took.Round(time.Millisecond))

		// Both workers took work: count the workflow and activity tasks each started.
		tasks := map[string]int{}
		workers := map[string]*proc{"worker-1": w1, "worker-2": w2}
		for _, wf := range workflowsOf(msgs) {
			for _, ev := range history(t, tc, wf) {
				switch ev.GetEventType() {
				case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
					countByIdentity(ev.GetActivityTaskStartedEventAttributes().GetIdentity(), workers, tasks)
				case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
					countByIdentity(ev.GetWorkflowTaskStartedEventAttributes().GetIdentity(), workers, tasks)
				}
			}
		}
		t.Logf("tasks started per worker: %v", tasks)
		require.Positive(t, tasks["worker-1"], "worker-1 took work")
		require.Positive(t, tasks["worker-2"], "worker-2 took work")
	})

	t.Run("availability through one server wakes tickets posted through the other", func(t *testing.T) {
		r := mustCall(t, http.MethodPost, s1.base, "/v1/users", f.token, map[string]any{"email": "wake@example.com", "name": "Wake",
			"has_profile": true, "capacity": 5, "availability": "away"})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
		agentID := r.Map(t)["id"].(string)
		ch := chatChannel(t, s1.base, f.token, map[string]any{"assign_to": "users_and_teams", "users": []string{agentID}, "only_available": true})
		r, err := postMessage(s2.base, f.token, ch, "wake-1", "wake-thread")
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
		eventually(t, 30*time.Second, "the ticket to wait for an agent", func() bool {
			items := ticketsOf(t, s2.base, f.token, "channel_id="+ch)
			return len(items) == 1 && items[0]["routing_state"] == "waiting_for_agent"
		})
		r = mustCall(t, http.MethodPut, s1.base, "/v1/users/"+agentID+"/availability", f.token, map[string]any{"availability": "available"})
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
		eventually(t, 30*time.Second, "the ticket to be assigned to the agent", func() bool {
			items := ticketsOf(t, s2.base, f.token, "channel_id="+ch)
			return len(items) == 1 && items[0]["routing_state"] == "assigned" && items[0]["assignee"].(map[string]any)["user_id"] == agentID
		})
	})

	t.Run("a redelivery backlog is split between the servers and sent once", func(t *testing.T) {
		ch := chatChannel(t, s1.base, f.token, nil)
		require.NoError(t, healthcheck(t, s1), "routedesk healthcheck passes while all is up")
		f.temporal.stop()
		require.Error(t, healthcheck(t, s1), "routedesk healthcheck fails while Temporal is down")
		msgs := spread(t, servers, f.token, ch, "backlog", 40, 1, nil)
		require.Len(t, msgs, 40, "ingest answers 202 with Temporal down")
		f.startTemporal()
		took := awaitTickets(t, s1.base, f.token, ch, acceptedOf(msgs), 90*time.Second)
		t.Logf("a backlog of 40 messages became tickets %s after Temporal was back", took.Round(time.Millisecond))

		signals := inboundSignals(t, f, tc, workflowsOf(msgs))
		perServer := map[string]int{}
		var doubles []string
		for _, m := range msgs {
			ids := signals[m.messageID]
			if len(ids) != 1 {
				doubles = append(doubles, fmt.Sprintf("%s sent %d times", m.externalID, len(ids)))
			}
			for _, id := range ids {
				countByIdentity(id, map[string]*proc{"server-1": s1.proc, "server-2": s2.proc}, perServer)
			}
		}
		t.Logf("backlog deliveries per server: %v; messages not sent exactly once: %d", perServer, len(doubles))
		require.Empty(t, doubles, "each message is signalled into its workflow exactly once")
		require.Positive(t, perServer["server-1"], "server-1 took part of the backlog")
		require.Positive(t, perServer["server-2"], "server-2 took part of the backlog")
	})

	t.Run("SIGKILL of one worker and one server under load loses nothing", func(t *testing.T) {
		ch := chatChannel(t, s2.base, f.token, nil)
		var once sync.Once
		msgs := spread(t, servers, f.token, ch, "kill", 80, 1, func(count int) {
			if count == 25 {
				once.Do(func() {
					w1.kill()
					s1.kill()
				})
			}
		})
		loadEnded := time.Now()
		t.Logf("%d messages accepted; worker-1 and server-1 were killed after 25", len(msgs))
		awaitTickets(t, s2.base, f.token, ch, acceptedOf(msgs), 90*time.Second)
		took := time.Since(loadEnded)
		t.Logf("every accepted message had exactly one ticket %s after the load ended", took.Round(time.Millisecond))
		require.LessOrEqual(t, took, recoveryBound, "recovery after SIGKILL of a worker and a server")
	})
}
