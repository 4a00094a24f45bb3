package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/routedesk/routedesk/imports"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
)

// TestImportThroughput measures imports (issue 15): messages imported per
// second from a generated NDJSON file and a generated mbox file, the process's
// peak resident memory during imports of two sizes (it should not grow with the
// file), and the accept latency of live inbound messages with and without an
// import running. It runs only with ROUTEDESK_BENCH=1; ROUTEDESK_BENCH_IMPORT_MESSAGES
// (default 20000) sets the NDJSON size and ROUTEDESK_BENCH_IMPORT_MAILS (default 5000) the mbox size.
func TestImportThroughput(t *testing.T) {
	if os.Getenv("ROUTEDESK_BENCH") != "1" {
		t.Skip("set ROUTEDESK_BENCH=1 to run the import benchmark")
	}
	messages := envInt(t, "ROUTEDESK_BENCH_IMPORT_MESSAGES", 20000)
	mails := envInt(t, "ROUTEDESK_BENCH_IMPORT_MAILS", 5000)
	s := testenv.NewStack(t)
	_, token := s.Account("import-bench", "enterprise")
	dir := t.TempDir()
	channel := func(typ string, cfg map[string]any) string {
		r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": typ, "name": typ + "-" + store.NewID("x"), "config": cfg})
		if r.Status != http.StatusCreated {
			t.Fatalf("channel: %d %s", r.Status, r.Body)
		}
		return r.Map(t)["id"].(string)
	}
	live := channel("chat", nil)
	t.Logf("| run | items | messages | import s | messages/s | peak RSS during import | RSS before |")
	t.Logf("|---|---|---|---|---|---|---|")
	run := func(name, ctype, ch, file string, items, msgs int) {
		runtime.GC()
		before := residentBytes()
		var peak atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				peak.Store(max(peak.Load(), residentBytes()))
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
		v := uploadAndWait(t, s, token, ch, ctype, file)
		close(stop)
		wg.Wait()
		if v.State != store.ImportCompleted || v.Imported != items {
			t.Fatalf("%s: import %+v, want %d imported", name, v, items)
		}
		secs := v.FinishedAt.Sub(*v.StartedAt).Seconds()
		t.Logf("| %s | %d | %d | %.1f | %.0f | %.0f MiB | %.0f MiB |", name, items, msgs, secs, float64(msgs)/secs,
			float64(peak.Load())/(1<<20), float64(before)/(1<<20))
	}
	small := writeNDJSON(t, filepath.Join(dir, "small.ndjson"), "s", messages/8)
	run("NDJSON, 1/4 size", "application/x-ndjson", channel("chat", nil), small, messages/8, messages/4)
	full := writeNDJSON(t, filepath.Join(dir, "full.ndjson"), "f", messages/2)
	ch := channel("chat", nil)
	run("NDJSON", "application/x-ndjson", ch, full, messages/2, messages)
	mbox := writeMbox(t, filepath.Join(dir, "bench.mbox"), mails)
	run("mbox", "application/mbox", channel("email", map[string]any{"address": "bench-support@acme.test"}), mbox, mails, mails)

	// Live accept latency: sequential POSTs, alone and beside an import.
	quiet := accepts(t, s, token, live, "quiet", 200, nil)
	busyFile := writeNDJSON(t, filepath.Join(dir, "busy.ndjson"), "b", max(messages/8, 5000)) // long enough for the 200 POSTs
	done := make(chan struct{})
	go func() {
		defer close(done)
		uploadAndWait(t, s, token, channel("chat", nil), "application/x-ndjson", busyFile)
	}()
	time.Sleep(2 * time.Second) // the import under way
	busy := accepts(t, s, token, live, "busy", 200, done)
	<-done
	t.Logf("")
	t.Logf("| live POST /v1/channels/{id}/messages | n | p50 | p99 |")
	t.Logf("|---|---|---|---|")
	for _, r := range []struct {
		name string
		d    []time.Duration
	}{{"no import", quiet}, {"import running", busy}} {
		t.Logf("| %s | %d | %s | %s |", r.name, len(r.d), pct(r.d, 0.5), pct(r.d, 0.99))
	}
}

type benchImport struct {
	State      string     `json:"state"`
	Imported   int        `json:"imported"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

func uploadAndWait(t *testing.T, s *testenv.Stack, token, ch, ctype, file string) benchImport {
	f, err := os.Open(file)
	if err != nil {
		t.Error(err)
		return benchImport{}
	}
	defer f.Close()
	req, _ := http.NewRequest(http.MethodPost, s.HTTP.URL+"/v1/channels/"+ch+"/imports", f)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return benchImport{}
	}
	var acc map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&acc)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("upload: %d", resp.StatusCode)
		return benchImport{}
	}
	var v benchImport
	deadline := time.Now().Add(30 * time.Minute)
	for time.Now().Before(deadline) {
		r := testenv.Do(t, s.HTTP.URL, http.MethodGet, "/v1/imports/"+acc["import_id"], token, nil)
		r.JSON(t, &v)
		if v.State != store.ImportRunning {
			return v
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("import %s did not end", acc["import_id"])
	return v
}

// accepts posts n live messages one after another (or until done closes) and returns their latencies.
func accepts(t *testing.T, s *testenv.Stack, token, ch, prefix string, n int, done <-chan struct{}) []time.Duration {
	var out []time.Duration
	for i := range n {
		if done != nil {
			select {
			case <-done:
				return out
			default:
			}
		}
		start := time.Now()
		r := testenv.Do(t, s.HTTP.URL, http.MethodPost, "/v1/channels/"+ch+"/messages", token, map[string]any{
			"external_id": fmt.Sprintf("%s-%d", prefix, i), "thread_id": fmt.Sprintf("%s-%d", prefix, i),
			"from": map[string]string{"email": fmt.Sprintf("live-%d@example.com", i)}, "text": "hello"})
		out = append(out, time.Since(start))
		if r.Status != http.StatusAccepted {
			t.Fatalf("live message: %d %s", r.Status, r.Body)
		}
	}
	return out
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))].Round(100 * time.Microsecond)
}

// writeNDJSON writes n historical conversations of two messages each.
func writeNDJSON(t *testing.T, path, prefix string, n int) string {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		_ = enc.Encode(imports.Conversation{ExternalID: fmt.Sprintf("%s-%d", prefix, i),
			Contact: imports.Contact{Email: fmt.Sprintf("%s-%d@example.com", prefix, i%2000), Name: "Customer"},
			Messages: []imports.Message{
				{ExternalID: fmt.Sprintf("%s-%d-1", prefix, i), Direction: "inbound", Text: "Where is my order? It was due last week.", SentAt: base.Add(time.Duration(i) * time.Minute)},
				{ExternalID: fmt.Sprintf("%s-%d-2", prefix, i), Direction: "outbound", Author: "agent@acme.test", Text: "It ships tomorrow.", SentAt: base.Add(time.Duration(i)*time.Minute + time.Hour)},
			},
			Ticket: &imports.Ticket{Status: "closed", Pipeline: "support", AssigneeEmail: "former@acme.test"}})
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	return path
}

// writeMbox writes n mails, threads of three.
func writeMbox(t *testing.T, path string, n int) string {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		at := base.Add(time.Duration(i) * time.Minute)
		refs := ""
		if i%3 != 0 {
			refs = fmt.Sprintf("In-Reply-To: <m-%d@example.com>\r\nReferences: <m-%d@example.com>\r\n", i-1, i-i%3)
		}
		fmt.Fprintf(w, "From c%d@example.com %s\nMessage-ID: <m-%d@example.com>\r\n%sDate: %s\r\nFrom: Customer <c%d@example.com>\r\nTo: bench-support@acme.test\r\nSubject: Order %d\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWhere is my order %d?\r\n>From what I see it has not shipped.\r\n\n",
			i/3, at.Format(time.ANSIC), i, refs, at.Format(time.RFC1123Z), i/3, i/3, i/3)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	return path
}
