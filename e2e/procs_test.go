package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// httpClient bounds every call the suites make; a killed process must not hang a test.
var httpClient = &http.Client{Timeout: 15 * time.Second}

// proc is one routedesk process started by a suite (temporal, migrate, server, worker, dev).
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

// startProc runs `routedesk args...` with env; its output is kept and shown when the test fails.
func startProc(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(build(t), args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	require.NoError(t, p.cmd.Start(), "start %s", name)
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			out := p.out.String()
			var errs []string
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, "level=ERROR") && !strings.Contains(line, "component=temporal") {
					errs = append(errs, line)
				}
			}
			if len(errs) > 20 {
				errs = errs[len(errs)-20:]
			}
			t.Logf("%s (pid %d) errors:\n%s\noutput (tail):\n%s", name, p.cmd.Process.Pid, strings.Join(errs, "\n"), tail(out, 3000))
		}
	})
	return p
}

// pid is the process id; Temporal clients identify themselves as "pid@host@".
func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and requires a clean exit within a minute.
func (p *proc) stop() {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
		require.NoError(p.t, p.err, "%s exits cleanly on SIGTERM", p.name)
	case <-time.After(60 * time.Second):
		p.t.Fatalf("%s did not stop within 60 s of SIGTERM", p.name)
	}
}

// wait requires the process to exit with status 0 within timeout (migrate).
func (p *proc) wait(timeout time.Duration) {
	p.t.Helper()
	select {
	case <-p.done:
		require.NoError(p.t, p.err, "%s failed:\n%s", p.name, tail(p.out.String(), 3000))
	case <-time.After(timeout):
		p.t.Fatalf("%s did not finish within %s", p.name, timeout)
	}
}

// waitOutput waits until the process prints s.
func (p *proc) waitOutput(s string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.out.String(), s) {
		if p.exited() || time.Now().After(deadline) {
			p.t.Fatalf("%s did not print %q within %s:\n%s", p.name, s, timeout, tail(p.out.String(), 3000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitReady waits until the API at base answers /readyz with 200.
func (p *proc) waitReady(base string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if r, err := call(http.MethodGet, base, "/readyz", "", nil); err == nil && r.Status == http.StatusOK {
			return
		}
		if p.exited() || time.Now().After(deadline) {
			p.t.Fatalf("%s did not become ready within %s:\n%s", p.name, timeout, tail(p.out.String(), 3000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// call is testenv.Do without failing the test on transport errors, for
// requests to processes that may be down or killed.
func call(method, base, path, token string, body any) (testenv.Response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return testenv.Response{}, err
		}
		rd = bytes.NewReader(enc)
	}
	ctx, cancel := context.WithTimeout(context.Background(), httpClient.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return testenv.Response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return testenv.Response{}, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return testenv.Response{}, err
	}
	return testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: out}, nil
}

// mustCall is call for requests that must reach a running API.
func mustCall(t *testing.T, method, base, path, token string, body any) testenv.Response {
	t.Helper()
	r, err := call(method, base, path, token, body)
	require.NoError(t, err, "%s %s", method, path)
	return r
}

// ticketsOf lists every ticket matching query (all pages).
func ticketsOf(t *testing.T, base, token, query string) []map[string]any {
	t.Helper()
	all, err := listTickets(base, token, query)
	require.NoError(t, err)
	return all
}

// listTickets is ticketsOf for goroutines: errors are returned.
func listTickets(base, token, query string) ([]map[string]any, error) {
	var all []map[string]any
	cursor := ""
	for {
		q := query + "&limit=500"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		r, err := call(http.MethodGet, base, "/v1/tickets?"+q, token, nil)
		if err != nil {
			return nil, err
		}
		if r.Status != http.StatusOK {
			return nil, fmt.Errorf("GET /v1/tickets?%s: %d %s", q, r.Status, r.Body)
		}
		var page struct {
			Items      []map[string]any `json:"items"`
			NextCursor *string          `json:"next_cursor"`
		}
		if err := json.Unmarshal(r.Body, &page); err != nil {
			return nil, fmt.Errorf("GET /v1/tickets: %w", err)
		}
		all = append(all, page.Items...)
		if page.NextCursor == nil || *page.NextCursor == "" {
			return all, nil
		}
		cursor = *page.NextCursor
	}
}

// ticketsByConversation counts tickets per conversation id.
func ticketsByConversation(tickets []map[string]any) map[string]int {
	n := map[string]int{}
	for _, tk := range tickets {
		n[tk["conversation_id"].(string)]++
	}
	return n
}

// accepted records the conversation of every message a suite got 202 for.
type accepted struct {
	conversations map[string]string // message external id → conversation id
}

func newAccepted() *accepted { return &accepted{conversations: map[string]string{}} }

// missing returns the accepted messages whose conversation has no ticket, and
// the conversations with more than one ticket.
func (a *accepted) check(tickets []map[string]any) (missing []string, doubled []string) {
	per := ticketsByConversation(tickets)
	for ext, conv := range a.conversations {
		if per[conv] == 0 {
			missing = append(missing, ext)
		}
	}
	for conv, n := range per {
		if n > 1 {
			doubled = append(doubled, fmt.Sprintf("%s×%d", conv, n))
		}
	}
	return missing, doubled
}

// processEnv is the environment every routedesk process of a suite shares.
func processEnv(extra ...string) []string {
	env := append([]string{}, os.Environ()...)
	env = append(env,
		"ROUTEDESK_SECRET_KEY="+testenv.TestKey,
		"ROUTEDESK_BOOTSTRAP_TOKEN="+testenv.BootstrapToken,
		"ROUTEDESK_REDRIVE_INTERVAL=200ms",
		"ROUTEDESK_LOG_LEVEL=warn",
		"ROUTEDESK_DB_MAX_CONNS=8",
		"ROUTEDESK_DB_MAX_IDLE_CONNS=4",
	)
	return append(env, extra...)
}
