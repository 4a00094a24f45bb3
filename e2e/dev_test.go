// Package e2e drives the routedesk binary from the outside: it builds it,
// runs `routedesk dev` against a throw-away database and talks to it over
// HTTP and the Temporal frontend only.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/routedesk/routedesk/internal/testenv"
)

const devToken = "rdk_e2e-dev-token"

var (
	buildOnce sync.Once
	buildDir  string
	binary    string
	buildErr  error
)

// TestMain removes the binary built for the run (some 200 MB) when the tests end.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		if err := os.RemoveAll(buildDir); err != nil {
			fmt.Fprintln(os.Stderr, "remove e2e build dir:", err)
		}
	}
	os.Exit(code)
}

// build compiles the binary once per test run.
func build(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "routedesk-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		buildDir = dir
		binary = filepath.Join(dir, "routedesk")
		_, file, _, _ := runtime.Caller(0)
		cmd := exec.Command("go", "build", "-o", binary, "./cmd/routedesk")
		cmd.Dir = filepath.Join(filepath.Dir(file), "..")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binary
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// dev is one `routedesk dev` installation: a database, a data dir and ports.
type dev struct {
	t                 *testing.T
	env               []string
	api, temporal, ui string
	cmd               *exec.Cmd
	stdout, stderr    *syncBuffer
}

func newDev(t *testing.T) *dev {
	d := &dev{t: t}
	httpPort, temporalPort, uiPort := freePort(t), freePort(t), freePort(t)
	d.api = fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	d.temporal = fmt.Sprintf("127.0.0.1:%d", temporalPort)
	d.ui = fmt.Sprintf("http://127.0.0.1:%d", uiPort)
	d.env = append(os.Environ(),
		"DATABASE_URL="+testenv.DatabaseURL(t),
		"ROUTEDESK_DATA_DIR="+t.TempDir(),
		fmt.Sprintf("ROUTEDESK_HTTP_ADDR=127.0.0.1:%d", httpPort),
		fmt.Sprintf("ROUTEDESK_DEV_TEMPORAL_PORT=%d", temporalPort),
		fmt.Sprintf("ROUTEDESK_DEV_UI_PORT=%d", uiPort),
		fmt.Sprintf("ROUTEDESK_SMTP_ADDR=127.0.0.1:%d", freePort(t)), // dev's default 2525 may be another dev's
		"ROUTEDESK_DEV_TOKEN="+devToken,
		"ROUTEDESK_REDRIVE_INTERVAL=200ms",
		"TEMPORAL_ADDRESS=",
	)
	return d
}

// start runs the binary and waits until /readyz answers 200. The SMTP
// listener's port is only checked free when the test begins, and a parallel
// test may take it before a (re)start binds it: then a new one is picked.
func (d *dev) start() {
	for attempt := 1; ; attempt++ {
		if d.startOnce(attempt < 3) {
			return
		}
		for i, kv := range d.env {
			if strings.HasPrefix(kv, "ROUTEDESK_SMTP_ADDR=") {
				d.env[i] = fmt.Sprintf("ROUTEDESK_SMTP_ADDR=127.0.0.1:%d", freePort(d.t))
			}
		}
		d.t.Logf("the SMTP listener's port was taken by another process: starting again on another")
	}
}

// startOnce runs the binary and waits until /readyz answers 200; with retry,
// it returns false when the process could not bind its SMTP port.
func (d *dev) startOnce(retry bool) bool {
	t := d.t
	d.stdout, d.stderr = &syncBuffer{}, &syncBuffer{}
	d.cmd = exec.Command(build(t), "dev")
	d.cmd.Env = d.env
	d.cmd.Stdout, d.cmd.Stderr = d.stdout, d.stderr
	require.NoError(t, d.cmd.Start())
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			_ = d.cmd.Process.Kill()
			_, _ = d.cmd.Process.Wait()
		}
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr (tail):\n%s", d.stdout.String(), tail(d.stderr.String(), 4000))
			d.keepLog()
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(d.api + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		if retry && strings.Contains(d.stderr.String(), "smtp listen on") && strings.Contains(d.stderr.String(), "address already in use") {
			_, _ = d.cmd.Process.Wait() // it exits on the failed listen
			return false
		}
		if d.cmd.ProcessState != nil || time.Now().After(deadline) {
			t.Fatalf("routedesk dev did not become ready\nstderr:\n%s", tail(d.stderr.String(), 4000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// keepLog writes the process's whole stderr to $ROUTEDESK_E2E_LOG_DIR (when set) for a failed test.
func (d *dev) keepLog() {
	dir := os.Getenv("ROUTEDESK_E2E_LOG_DIR")
	if dir == "" {
		return
	}
	name := filepath.Join(dir, strings.ReplaceAll(d.t.Name(), "/", "_")+fmt.Sprintf("-%d.log", time.Now().UnixNano()))
	if err := os.WriteFile(name, []byte(d.stderr.String()), 0o644); err != nil {
		d.t.Logf("keep log: %v", err)
		return
	}
	d.t.Logf("whole stderr in %s", name)
}

func (d *dev) kill() {
	require.NoError(d.t, d.cmd.Process.Signal(syscall.SIGKILL))
	_, _ = d.cmd.Process.Wait()
}

func (d *dev) do(method, path string, body any) testenv.Response {
	return testenv.Do(d.t, d.api, method, path, devToken, body)
}

func (d *dev) temporalClient() client.Client {
	c, err := client.Dial(client.Options{HostPort: d.temporal, Namespace: "default"})
	require.NoError(d.t, err)
	d.t.Cleanup(c.Close)
	return c
}

func (d *dev) chatChannel() string {
	r := d.do(http.MethodPost, "/v1/channels", map[string]any{"type": "chat", "name": "Website chat"})
	require.Equal(d.t, http.StatusCreated, r.Status, string(r.Body))
	return r.Map(d.t)["id"].(string)
}

func (d *dev) tickets(query string) []any {
	r := d.do(http.MethodGet, "/v1/tickets?"+query, nil)
	require.Equal(d.t, http.StatusOK, r.Status, string(r.Body))
	return r.Map(d.t)["items"].([]any)
}

func TestDevServesAPIAndTemporalUI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	d := newDev(t)
	d.start()
	testenv.Eventually(t, 10*time.Second, "the start-up banner", func() bool { return strings.Contains(d.stdout.String(), "Chat demo") })
	require.Contains(t, d.stdout.String(), devToken, "dev prints the admin token")
	require.Contains(t, d.stdout.String(), d.ui)
	require.Contains(t, d.stdout.String(), d.api+"/demo/chat", "dev prints the chat demo's URL")
	demo := testenv.Do(t, d.api, http.MethodGet, "/demo/chat", "", nil)
	require.Equal(t, http.StatusOK, demo.Status)
	require.Regexp(t, `<script src="/widget.js" data-channel="ch_[0-9a-f]+" async>`, string(demo.Body), "the demo embeds the default chat channel's widget")
	require.Equal(t, http.StatusOK, testenv.Do(t, d.api, http.MethodGet, "/widget.js", "", nil).Status)

	ch := d.chatChannel()
	r := d.do(http.MethodPost, "/v1/channels/"+ch+"/messages", map[string]any{
		"external_id": "e2e-1", "thread_id": "visitor-1", "from": map[string]any{"email": "ada@example.com"}, "text": "Hello!",
	})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	testenv.Eventually(t, 10*time.Second, "the ticket", func() bool {
		items := d.tickets("channel_id=" + ch)
		return len(items) == 1 && items[0].(map[string]any)["routing_state"] == "unassigned"
	})

	// What `temporal workflow list --query 'ChannelType="chat"'` shows.
	c := d.temporalClient()
	testenv.Eventually(t, 15*time.Second, "the workflow by search attribute", func() bool {
		resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: `ChannelType = "chat"`})
		require.NoError(t, err)
		return len(resp.Executions) == 1
	})

	resp, err := http.Get(d.ui + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the Temporal Web UI answers")

	// The UI decodes payloads through the API's codec endpoint, which dev
	// opens to loopback callers without a token (the UI has no login).
	resp, err = http.Get(d.ui + "/api/v1/settings")
	require.NoError(t, err)
	var settings struct{ Codec struct{ Endpoint string } }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&settings))
	resp.Body.Close()
	require.Equal(t, d.api+"/codec", settings.Codec.Endpoint)
	desc, err := c.DescribeWorkflowExecution(context.Background(), r.Map(t)["workflow_id"].(string), "")
	require.NoError(t, err)
	summary := desc.GetExecutionConfig().GetUserMetadata().GetSummary()
	require.NotContains(t, string(summary.GetData()), "ada@example.com", "stored encrypted")
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{summary}})
	require.NoError(t, err)
	dec := testenv.Do(t, d.api, http.MethodPost, "/codec/decode", "", string(body))
	require.Equal(t, http.StatusOK, dec.Status, string(dec.Body))
	var decoded commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(dec.Body, &decoded))
	require.Contains(t, string(decoded.Payloads[0].GetData()), "ada@example.com", "the summary, decoded by the endpoint")

	// SIGTERM shuts down cleanly.
	require.NoError(t, d.cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "clean exit on SIGTERM")
	case <-time.After(60 * time.Second):
		t.Fatal("routedesk dev did not stop on SIGTERM")
	}
}

func TestDevSurvivesSIGKILLWithExactlyOneTicket(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	d := newDev(t)
	d.start()
	ch := d.chatChannel()

	// Accept messages and kill the process right after each answer.
	const n = 3
	for i := range n {
		r := d.do(http.MethodPost, "/v1/channels/"+ch+"/messages", map[string]any{
			"external_id": fmt.Sprintf("kill-%d", i), "thread_id": fmt.Sprintf("thread-%d", i),
			"from": map[string]any{"email": "kim@example.com"}, "text": "please help",
		})
		require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
		if i == n-1 {
			d.kill()
		}
	}

	d.start() // same database, same data dir: same embedded Temporal file
	testenv.Eventually(t, 60*time.Second, "one ticket per accepted message", func() bool {
		return len(d.tickets("channel_id="+ch)) == n
	})
	// Nothing more appears: each conversation has exactly one ticket.
	time.Sleep(2 * time.Second)
	items := d.tickets("channel_id=" + ch)
	require.Len(t, items, n)
	seen := map[string]bool{}
	for _, it := range items {
		conv := it.(map[string]any)["conversation_id"].(string)
		require.False(t, seen[conv], "two tickets for conversation %s", conv)
		seen[conv] = true
	}
}

func TestDevExitsWithOneLineWhenPostgresIsUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	cmd := exec.Command(build(t), "dev")
	cmd.Env = append(os.Environ(), fmt.Sprintf("DATABASE_URL=postgres://postgres@127.0.0.1:%d/routedesk?sslmode=disable&connect_timeout=2", freePort(t)),
		"ROUTEDESK_DATA_DIR="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	require.Error(t, err)
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	last := lines[len(lines)-1]
	require.Contains(t, last, "PostgreSQL is unreachable at postgres://postgres@127.0.0.1:")
	require.Contains(t, last, "start PostgreSQL")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
