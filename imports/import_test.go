package imports_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/routedesk/routedesk/imports"
	"github.com/routedesk/routedesk/internal/testenv"
	"github.com/routedesk/routedesk/store"
)

const ndjson = "application/x-ndjson"

func TestImports(t *testing.T) {
	s := newStack(t)
	sub := func(name string, fn func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			s.t = t
			defer func() { s.t = s.root }()
			fn(t)
		})
	}
	sub("NDJSONGoodAndBadLinesHistoryIdempotent", func(t *testing.T) { testNDJSON(t, s) })
	sub("DryRunWritesNothing", func(t *testing.T) { testDryRun(t, s) })
	sub("Mbox", func(t *testing.T) { testMbox(t, s) })
	sub("RecentOpenConversationIsRouted", func(t *testing.T) { testRecent(t, s) })
	sub("BadRequests", func(t *testing.T) { testBadRequests(t, s) })
	sub("Cancel", func(t *testing.T) { testCancel(t, s) })
	sub("ResumesAfterWorkerStops", func(t *testing.T) { testResume(t, s) })
	sub("RetriedBatchResumesFromHeartbeat", func(t *testing.T) { testHeartbeatResume(t, s) })
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testNDJSON(t *testing.T, s *stack) {
	token := s.account("ndjson")
	if r := s.do(http.MethodPost, "/v1/users", token, map[string]any{"email": "Ada@acme.test", "name": "Ada"}); r.Status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.Status, r.Body)
	}
	ch := s.channel(token, map[string]any{"type": "chat", "name": "Old chat"})
	file := readFile(t, "good_and_bad.ndjson")
	v := s.run(token, ch, "", ndjson, file)
	if v.State != store.ImportCompleted || v.Total != 6 || v.Imported != 3 || v.Skipped != 3 || v.StartedAt == nil || v.FinishedAt == nil {
		t.Fatalf("import = %+v", v)
	}
	var lines []int64
	for _, e := range v.Errors {
		lines = append(lines, e.Line)
	}
	if fmt.Sprint(lines) != "[2 4 7]" || !strings.Contains(v.Errors[1].Message, "messages[0].direction") {
		t.Errorf("errors = %+v, want lines 2, 4 and 7 (line 5 is blank)", v.Errors)
	}

	// Imported tickets are findable by their source, and only by it.
	var listed struct {
		Items []struct {
			Source    string `json:"source"`
			ChannelID string `json:"channel_id"`
		} `json:"items"`
	}
	r := s.do(http.MethodGet, "/v1/tickets?source=import&channel_id="+ch, token, nil)
	if err := json.Unmarshal(r.Body, &listed); err != nil || r.Status != http.StatusOK || len(listed.Items) != 3 {
		t.Fatalf("GET ?source=import: %d %s (%v)", r.Status, r.Body, err)
	}
	for _, it := range listed.Items {
		if it.Source != "import" {
			t.Errorf("an imported ticket says source %q", it.Source)
		}
	}
	r = s.do(http.MethodGet, "/v1/tickets?source=channel&channel_id="+ch, token, nil)
	if err := json.Unmarshal(r.Body, &listed); err != nil || len(listed.Items) != 0 {
		t.Errorf("GET ?source=channel lists imported tickets: %s", r.Body)
	}

	// Historical: original times, closed stays closed, assignee by email, nothing delivered.
	var tk struct {
		Status, Routing string
		Assignee        *string
		Created, Update time.Time
		Props           string
	}
	err := s.st.DB().QueryRow(`SELECT t.status, t.routing_state, t.assignee_user_id, t.created_at, t.updated_at, t.properties::text
		FROM tickets t JOIN conversations c ON c.id = t.conversation_id WHERE c.channel_id = $1 AND c.thread_key = 't:c-1'`, ch).
		Scan(&tk.Status, &tk.Routing, &tk.Assignee, &tk.Created, &tk.Update, &tk.Props)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != "closed" || tk.Routing != "assigned" || tk.Assignee == nil ||
		!tk.Created.Equal(time.Date(2023, 1, 2, 9, 0, 0, 0, time.UTC)) || !tk.Update.Equal(time.Date(2023, 1, 3, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("ticket c-1 = %+v", tk)
	}
	err = s.st.DB().QueryRow(`SELECT t.assignee_user_id, t.properties->>'original_assignee_email', t.routing_state
		FROM tickets t JOIN conversations c ON c.id = t.conversation_id WHERE c.channel_id = $1 AND c.thread_key = 't:c-2'`, ch).
		Scan(&tk.Assignee, &tk.Props, &tk.Routing)
	if err != nil || tk.Assignee != nil || tk.Props != "gone@acme.test" || tk.Routing != "unassigned" {
		t.Errorf("ticket c-2: unknown assignee recorded? assignee %v, original %q, routing %q, err %v", tk.Assignee, tk.Props, tk.Routing, err)
	}
	if n := s.count(`SELECT count(*) FROM tickets WHERE channel_id = $1 AND status = 'closed'`, ch); n != 3 {
		t.Errorf("%d closed tickets, want 3 (c-3 has no ticket line and is history)", n)
	}
	if n := s.count(`SELECT count(*) FROM messages WHERE channel_id = $1 AND delivered_at IS NULL`, ch); n != 0 {
		t.Errorf("%d history messages left for delivery to a workflow", n)
	}
	if n := s.count(`SELECT count(*) FROM messages WHERE channel_id = $1 AND external_id = 'c-1-m2' AND sent_at = '2023-01-02T15:40:00Z' AND direction = 'outbound' AND status = 'sent'`, ch); n != 1 {
		t.Error("outbound message not stored with its original time")
	}
	if n := s.count(`SELECT count(*) FROM contacts c WHERE c.email = 'grace@example.org' AND c.properties->>'phone' = '+15550100'`); n != 1 {
		t.Error("contact grace not created with her phone")
	}
	time.Sleep(time.Second) // anything history set off would have started by now
	noWorkflows(t, s, ch)
	if got := len(s.mail.Received()); got != 0 {
		t.Errorf("history sent %d mails", got)
	}

	testenv.RecordHistory(t, s.tc, imports.WorkflowID(v.ID), "import_ndjson_completed")
	if r := s.do(http.MethodGet, "/v1/imports?limit=1", token, nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), v.ID) || !strings.Contains(string(r.Body), `"next_cursor":`) {
		t.Errorf("list imports: %d %s", r.Status, r.Body)
	}
	if n := s.count(`SELECT count(*) FROM import_chunks WHERE import_id = $1`, v.ID); n != 0 {
		t.Errorf("the finished import's file is still stored (%d chunks)", n)
	}

	// The same file again creates nothing.
	before := snapshot(s, ch)
	v = s.run(token, ch, "", ndjson, file)
	if v.State != store.ImportCompleted || v.Imported != 3 || v.Skipped != 3 {
		t.Fatalf("second import = %+v", v)
	}
	if after := snapshot(s, ch); after != before {
		t.Errorf("second import changed the data: %s -> %s", before, after)
	}
}

// snapshot counts what an import creates on a channel.
func snapshot(s *stack, ch string) string {
	return fmt.Sprintf("conversations=%d messages=%d tickets=%d contacts=%d events=%d",
		s.count(`SELECT count(*) FROM conversations WHERE channel_id = $1`, ch),
		s.count(`SELECT count(*) FROM messages WHERE channel_id = $1`, ch),
		s.count(`SELECT count(*) FROM tickets WHERE channel_id = $1`, ch),
		s.count(`SELECT count(*) FROM contacts WHERE account_id = (SELECT account_id FROM channels WHERE id = $1)`, ch),
		s.count(`SELECT count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE t.channel_id = $1`, ch))
}

// noWorkflows fails when a conversation workflow runs for the channel.
func noWorkflows(t *testing.T, s *stack, ch string) {
	t.Helper()
	rows, err := s.st.DB().Query(`SELECT workflow_id FROM conversations WHERE channel_id = $1`, ch)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := s.tc.DescribeWorkflowExecution(context.Background(), id, ""); err == nil {
			t.Errorf("history started conversation workflow %s", id)
		}
	}
}

func testDryRun(t *testing.T, s *stack) {
	token := s.account("dry")
	if r := s.do(http.MethodPost, "/v1/users", token, map[string]any{"email": "ada@acme.test", "name": "Ada"}); r.Status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.Status, r.Body)
	}
	ch := s.channel(token, map[string]any{"type": "chat", "name": "Dry"})
	file := readFile(t, "good_and_bad.ndjson")
	file = append(file, file...) // every conversation twice: counted once
	v := s.run(token, ch, "?dry_run=true", ndjson, file)
	want := store.WouldCreate{Conversations: 3, Messages: 4, Tickets: 3, NewContacts: 3, UnknownAssignees: 1}
	if v.State != store.ImportCompleted || v.WouldCreate == nil || *v.WouldCreate != want || v.Imported != 6 || v.Skipped != 6 {
		t.Fatalf("dry run = %+v, would create %+v, want %+v", v, v.WouldCreate, want)
	}
	if got := snapshot(s, ch); got != "conversations=0 messages=0 tickets=0 contacts=0 events=0" {
		t.Errorf("dry run wrote: %s", got)
	}
}

func testMbox(t *testing.T, s *stack) {
	token := s.account("mbox")
	ch := s.channel(token, map[string]any{"type": "email", "name": "Support", "config": map[string]any{"address": "support@acme.test"}})
	dry := s.run(token, ch, "?dry_run=true", "application/mbox", readFile(t, "thunderbird.mbox"))
	if want := (store.WouldCreate{Conversations: 2, Messages: 4, Tickets: 2, NewContacts: 2}); dry.WouldCreate == nil || *dry.WouldCreate != want {
		t.Errorf("mbox dry run would create %+v, want %+v", dry.WouldCreate, want)
	}
	v := s.run(token, ch, "", "application/mbox", readFile(t, "thunderbird.mbox"))
	if v.State != store.ImportCompleted || v.Total != 5 || v.Imported != 4 || v.Skipped != 1 || len(v.Errors) != 1 || v.Errors[0].Line != 92 && !strings.Contains(v.Errors[0].Message, "bounce") {
		t.Fatalf("thunderbird import = %+v", v)
	}
	// first@example.org, out-1 (ours, outbound) and the Gmail reply are one conversation, oldest first.
	rows, err := s.st.DB().Query(`SELECT m.external_id, m.direction FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE c.channel_id = $1 AND c.thread_key = $2 ORDER BY m.sent_at`, ch, imports.MailThreadKey("first@example.org"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var id, dir string
		_ = rows.Scan(&id, &dir)
		got = append(got, id+"/"+dir)
	}
	rows.Close()
	if strings.Join(got, " ") != "first@example.org/inbound out-1@acme.test/outbound CAB1x2y3=reply@mail.gmail.com/inbound" {
		t.Errorf("thread = %v", got)
	}
	// A forwarded mail belongs to its original sender.
	if n := s.count(`SELECT count(*) FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE t.channel_id = $1 AND c.email = 'barbara@example.com'`, ch); n != 1 {
		t.Error("forwarded mail's ticket is not Barbara's")
	}
	v = s.run(token, ch, "", "application/mbox", readFile(t, "gmail_takeout.mbox"))
	if v.State != store.ImportCompleted || v.Imported != 3 || v.Skipped != 0 {
		t.Fatalf("gmail import = %+v", v)
	}
	v = s.run(token, ch, "", "application/mbox", readFile(t, "apple_mail.mbox"))
	if v.State != store.ImportCompleted || v.Imported != 1 || v.Skipped != 1 {
		t.Fatalf("apple mail import = %+v", v)
	}
	if n := s.count(`SELECT count(*) FROM messages WHERE channel_id = $1 AND external_id = 'first@example.org' AND text LIKE '%'||E'\n'||'From what I can see%'`, ch); n != 1 {
		t.Error(">From line of the Thunderbird export not unquoted")
	}
	before := snapshot(s, ch)
	if !strings.HasPrefix(before, "conversations=6 messages=8 tickets=6") {
		t.Errorf("after three mbox files: %s", before)
	}
	for _, f := range []string{"thunderbird.mbox", "gmail_takeout.mbox", "apple_mail.mbox"} {
		s.run(token, ch, "", "application/mbox", readFile(t, f))
	}
	if after := snapshot(s, ch); after != before {
		t.Errorf("importing the mbox files again changed the data: %s -> %s", before, after)
	}
	noWorkflows(t, s, ch)
}

func testRecent(t *testing.T, s *stack) {
	token := s.account("recent")
	ch := s.channel(token, map[string]any{"type": "chat", "name": "Live chat"})
	now := time.Now().UTC()
	line := func(id string, sent time.Time, ticket string) string {
		return fmt.Sprintf(`{"external_id":%q,"contact":{"email":"%s@example.com"},"messages":[{"external_id":"%s-1","direction":"inbound","text":"help","sent_at":%q}]%s}`,
			id, id, id, sent.Format(time.RFC3339), ticket)
	}
	file := strings.Join([]string{
		line("open-recent", now.Add(-time.Hour), `,"ticket":{"subject":"Still waiting","status":"new","priority":"high"}`),
		line("closed-recent", now.Add(-time.Hour), `,"ticket":{"status":"closed"}`),
		line("old", now.Add(-48*time.Hour), ""),
	}, "\n")
	v := s.run(token, ch, "", ndjson, []byte(file))
	if v.State != store.ImportCompleted || v.Imported != 3 {
		t.Fatalf("import = %+v", v)
	}
	var wf string
	if err := s.st.DB().Get(&wf, `SELECT workflow_id FROM conversations WHERE channel_id = $1 AND thread_key = 't:open-recent'`, ch); err != nil {
		t.Fatal(err)
	}
	// The redrive loop delivers the open conversation's last message; its workflow routes the imported ticket.
	testenv.Eventually(t, 30*time.Second, "the recent open conversation routed", func() bool {
		var state string
		err := s.st.DB().Get(&state, `SELECT routing_state FROM tickets t JOIN conversations c ON c.id = t.conversation_id WHERE c.workflow_id = $1`, wf)
		return err == nil && state != "routing"
	})
	var subject, priority string
	if err := s.st.DB().QueryRow(`SELECT subject, priority FROM tickets t JOIN conversations c ON c.id = t.conversation_id WHERE c.workflow_id = $1`, wf).Scan(&subject, &priority); err != nil || subject != "Still waiting" || priority != "high" {
		t.Errorf("routed ticket lost its imported fields: %q %q %v", subject, priority, err)
	}
	for _, key := range []string{"t:closed-recent", "t:old"} {
		var id string
		if err := s.st.DB().Get(&id, `SELECT workflow_id FROM conversations WHERE channel_id = $1 AND thread_key = $2`, ch, key); err != nil {
			t.Fatal(err)
		}
		if _, err := s.tc.DescribeWorkflowExecution(context.Background(), id, ""); err == nil {
			t.Errorf("%s started a workflow", key)
		}
	}
	if n := s.count(`SELECT count(*) FROM tickets WHERE channel_id = $1 AND status = 'closed'`, ch); n != 2 {
		t.Errorf("%d closed tickets, want 2", n)
	}
}

func testBadRequests(t *testing.T, s *stack) {
	token := s.account("bad")
	chat := s.channel(token, map[string]any{"type": "chat", "name": "Chat"})
	for _, tc := range []struct {
		name, query, ctype, body string
		status                   int
		field                    string
	}{
		{"media type", "", "text/csv", "a,b\n", http.StatusUnsupportedMediaType, ""},
		{"mbox on chat", "", "application/mbox", "From a\n\nhi\n", http.StatusUnprocessableEntity, "Content-Type"},
		{"dry_run", "?dry_run=maybe", ndjson, "{}\n", http.StatusUnprocessableEntity, "dry_run"},
		{"recent_hours", "?recent_hours=-1", ndjson, "{}\n", http.StatusUnprocessableEntity, "recent_hours"},
		{"empty", "", ndjson, "", http.StatusUnprocessableEntity, "body"},
	} {
		r := s.upload(token, chat, tc.query, tc.ctype, []byte(tc.body))
		if r.Status != tc.status || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") || !strings.Contains(string(r.Body), tc.field) {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	// Import files are limited by ImportMaxBytes, not by the 1 MiB limit of other bodies.
	big := generated("big", 8000) // ≈ 2.3 MiB
	if len(big) <= 1<<20 || len(big) >= importLimit {
		t.Fatalf("the file is %d bytes; the test needs between 1 MiB and the import limit", len(big))
	}
	r := s.upload(token, chat, "?include_history=false", ndjson, big)
	if r.Status != http.StatusAccepted {
		t.Fatalf("a %d-byte file: %d %s", len(big), r.Status, r.Body)
	}
	id := r.Map(t)["import_id"].(string)
	if r := s.do(http.MethodDelete, "/v1/imports/"+id, token, nil); r.Status != http.StatusAccepted && r.Status != http.StatusConflict {
		t.Errorf("cancel: %d %s", r.Status, r.Body)
	}
	s.wait(token, id, 60*time.Second)
	r = s.upload(token, chat, "", ndjson, append(big, big...))
	if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(string(r.Body), fmt.Sprint(importLimit)) {
		t.Errorf("a file over the limit: %d %s", r.Status, r.Body)
	}
	if n := s.count(`SELECT count(*) FROM imports WHERE channel_id = $1`, chat); n != 1 {
		t.Errorf("%d imports, want only the one accepted (refused uploads are removed)", n)
	}
	if n := s.count(`SELECT count(*) FROM import_chunks c JOIN imports i ON i.id = c.import_id WHERE i.channel_id = $1`, chat); n != 0 {
		t.Errorf("%d chunks of refused or ended uploads left", n)
	}
	if r := s.do(http.MethodGet, "/v1/imports/imp_nope", token, nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown import: %d", r.Status)
	}
}
