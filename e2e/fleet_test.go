package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/payloadcodec"
	"github.com/routedesk/routedesk/secrets"
	"github.com/routedesk/routedesk/store"
)

// fleet is a production-shaped installation on one machine: `routedesk
// temporal` as a process of its own, and any number of `server` and
// `worker` processes on one database.
type fleet struct {
	t            *testing.T
	databaseURL  string
	temporalPort int
	temporalDir  string
	temporal     *proc
	servers      []*apiProc
	workers      []*proc
	token        string // admin token of the suite's account
}

// apiProc is a `routedesk server` and its base URL.
type apiProc struct {
	*proc
	base string
}

func newFleet(t *testing.T) *fleet {
	f := &fleet{t: t, databaseURL: testenv.DatabaseURL(t), temporalPort: freePort(t), temporalDir: t.TempDir()}
	f.startTemporal()
	m := startProc(t, "migrate", f.env(), "migrate")
	m.wait(60 * time.Second)
	return f
}

func (f *fleet) temporalAddress() string { return "127.0.0.1:" + strconv.Itoa(f.temporalPort) }

func (f *fleet) env(extra ...string) []string {
	return processEnv(append([]string{"DATABASE_URL=" + f.databaseURL, "TEMPORAL_ADDRESS=" + f.temporalAddress()}, extra...)...)
}

// startTemporal starts (or restarts, on the same port and SQLite file) `routedesk temporal`.
func (f *fleet) startTemporal() {
	f.temporal = startProc(f.t, "temporal", processEnv(
		"ROUTEDESK_DATA_DIR="+filepath.Join(f.temporalDir, "data"),
		"ROUTEDESK_DEV_TEMPORAL_PORT="+strconv.Itoa(f.temporalPort),
		"ROUTEDESK_DEV_UI_PORT=-1",
	), "temporal")
	f.temporal.waitOutput("Temporal      "+f.temporalAddress(), 90*time.Second)
}

// addServer starts one more `routedesk server` and waits until it is ready.
func (f *fleet) addServer() *apiProc {
	port := freePort(f.t)
	s := &apiProc{base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	s.proc = startProc(f.t, fmt.Sprintf("server-%d", len(f.servers)+1), f.env(fmt.Sprintf("ROUTEDESK_HTTP_ADDR=127.0.0.1:%d", port)), "server")
	s.waitReady(s.base, 60*time.Second)
	f.servers = append(f.servers, s)
	if f.token == "" {
		r := mustCall(f.t, http.MethodPost, s.base, "/v1/accounts", testenv.BootstrapToken, map[string]string{"name": "Fleet", "tier": "enterprise"})
		require.Equal(f.t, http.StatusCreated, r.Status, string(r.Body))
		f.token = r.Map(f.t)["admin_token"].(string)
	}
	return s
}

// addWorker starts one more `routedesk worker`.
func (f *fleet) addWorker() *proc {
	w := startProc(f.t, fmt.Sprintf("worker-%d", len(f.workers)+1), f.env(), "worker")
	f.workers = append(f.workers, w)
	return w
}

// codec decodes what the fleet's processes wrote to Temporal: keyed from testenv.TestKey, with
// the workflows' own keys from the fleet's database.
func (f *fleet) codec() *payloadcodec.Codec {
	key, err := secrets.ParseKey(testenv.TestKey)
	require.NoError(f.t, err)
	box, err := secrets.NewBox(key)
	require.NoError(f.t, err)
	st, err := store.Open(context.Background(), f.databaseURL, box)
	require.NoError(f.t, err)
	f.t.Cleanup(func() { _ = st.Close() })
	return testenv.Codec(f.t).WithKeyring(testenv.Keyring(f.t, st))
}

func (f *fleet) temporalClient() client.Client {
	c, err := client.Dial(client.Options{HostPort: f.temporalAddress(), Namespace: "default"})
	require.NoError(f.t, err)
	f.t.Cleanup(c.Close)
	return c
}

// chatChannel connects a chat channel through base.
func chatChannel(t *testing.T, base, token string, routing map[string]any) string {
	t.Helper()
	body := map[string]any{"type": "chat", "name": "Chat " + strconv.FormatInt(time.Now().UnixNano(), 36)}
	if routing != nil {
		body["routing"] = routing
	}
	r := mustCall(t, http.MethodPost, base, "/v1/channels", token, body)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	return r.Map(t)["id"].(string)
}

// postMessage delivers one inbound chat message; a transport error (a killed process) is returned, not fatal.
func postMessage(base, token, channel, externalID, thread string) (testenv.Response, error) {
	return call(http.MethodPost, base, "/v1/channels/"+channel+"/messages", token, map[string]any{
		"external_id": externalID, "thread_id": thread, "from": map[string]any{"email": "load@example.com"}, "text": "help " + externalID,
	})
}

// conversationOf returns the conversation id of a 202/200 answer.
func conversationOf(t *testing.T, r testenv.Response) string {
	t.Helper()
	return r.Map(t)["conversation_id"].(string)
}

// history returns every event of a workflow's current run.
func history(t *testing.T, c client.Client, workflowID string) []*historypb.HistoryEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var events []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		events = append(events, ev)
	}
	return events
}

// healthcheck runs `routedesk healthcheck` against a server; nil means exit status 0.
func healthcheck(t *testing.T, s *apiProc) error {
	cmd := exec.Command(build(t), "healthcheck")
	cmd.Env = processEnv("ROUTEDESK_HTTP_ADDR=" + strings.TrimPrefix(s.base, "http://"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, out)
	}
	return nil
}
