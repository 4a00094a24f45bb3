package emailtest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/domain"
	"github.com/routedesk/routedesk/internal/testenv"
)

// desk is a test stack with one account, an agent and an email channel whose replies go to an SMTP sink.
type desk struct {
	*testenv.Stack
	token, agentToken, channelID string
}

func newDesk(t *testing.T, set email.Settings, config map[string]any) *desk {
	t.Helper()
	s := testenv.NewStack(t, testenv.WithEmail(set))
	_, token := s.Account("Acme", "professional")
	d := &desk{Stack: s, token: token}
	u := s.Do(http.MethodPost, "/v1/users", token, map[string]any{"email": "ada@acme.test", "name": "Ada Lovelace",
		"availability": "available"}).Map(t)
	tok := s.Do(http.MethodPost, "/v1/users/"+u["id"].(string)+"/tokens", token, nil)
	if tok.Status != http.StatusCreated {
		t.Fatalf("agent token: %d %s", tok.Status, tok.Body)
	}
	d.agentToken = tok.Map(t)["token"].(string)
	host, port := splitHostPort(t, s.Mail.Addr)
	cfg := map[string]any{"address": "support@acme.test", "from_name_mode": "agent_and_company", "company_name": "Acme",
		"signature": map[string]any{"body": "Kind regards,\n{{full_name}} ({{first_name}})"},
		"smtp":      map[string]any{"host": host, "port": port, "tls": "none"}}
	for k, v := range config {
		cfg[k] = v
	}
	r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "email", "name": "Support", "config": cfg})
	if r.Status != http.StatusCreated {
		t.Fatalf("create email channel: %d %s", r.Status, r.Body)
	}
	d.channelID = r.Map(t)["id"].(string)
	return d
}

func splitHostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	var port int
	if _, err := fmt.Sscanf(addr[i+1:], "%d", &port); err != nil {
		t.Fatal(err)
	}
	return addr[:i], port
}

// postRaw posts a raw mail to the channel's email endpoint.
func (d *desk) postRaw(t *testing.T, raw string) testenv.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, d.HTTP.URL+"/v1/channels/"+d.channelID+"/email", strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "message/rfc822")
	req.Header.Set("Authorization", "Bearer "+d.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return testenv.Response{Status: resp.StatusCode, Header: resp.Header, Body: b.Bytes()}
}

// ticketOf waits for the ticket of a conversation and returns it.
func (d *desk) ticketOf(t *testing.T, conversationID string) domain.Ticket {
	t.Helper()
	var found domain.Ticket
	testenv.Eventually(t, 20*time.Second, "ticket of "+conversationID, func() bool {
		var l struct{ Items []domain.Ticket }
		d.Do(http.MethodGet, "/v1/tickets?limit=100", d.token, nil).JSON(t, &l)
		for _, tk := range l.Items {
			if tk.ConversationID == conversationID {
				found = tk
				return true
			}
		}
		return false
	})
	return found
}

// tickets returns the account's tickets.
func (d *desk) tickets(t *testing.T) []domain.Ticket {
	var l struct{ Items []domain.Ticket }
	d.Do(http.MethodGet, "/v1/tickets?limit=100", d.token, nil).JSON(t, &l)
	return l.Items
}

// contactEmail returns the email of the ticket's contact.
func (d *desk) contactEmail(t *testing.T, tk domain.Ticket) string {
	t.Helper()
	if tk.ContactID == nil {
		t.Fatalf("ticket %s has no contact", tk.ID)
	}
	return d.Do(http.MethodGet, "/v1/contacts/"+*tk.ContactID, d.token, nil).Map(t)["email"].(string)
}

// messages returns the ticket's messages.
func (d *desk) messages(t *testing.T, ticketID string) []domain.Message {
	var l struct{ Items []domain.Message }
	d.Do(http.MethodGet, "/v1/tickets/"+ticketID+"/messages?limit=100", d.token, nil).JSON(t, &l)
	return l.Items
}

// sent waits for the mail at the SMTP sink whose data holds text, and returns it with its parse.
func (d *desk) sent(t *testing.T, text string) (testenv.Mail, *email.Mail) {
	t.Helper()
	var got testenv.Mail
	testenv.Eventually(t, 20*time.Second, "the reply at the SMTP sink", func() bool {
		for _, m := range d.Mail.Received() {
			if strings.Contains(m.Data, text) {
				got = m
				return true
			}
		}
		return false
	})
	parsed, err := email.Parse([]byte(got.Data))
	if err != nil {
		t.Fatal(err)
	}
	return got, parsed
}

func corpus(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const firstMail = "From: Grace Hopper <Grace@Example.org>\r\nTo: support@acme.test\r\nSubject: Where is my order?\r\n" +
	"Message-ID: <order-1@example.org>\r\nDate: Mon, 23 Jan 2023 09:00:00 +0000\r\n\r\nHello, my order 42 has not arrived.\r\n"

// TestRawMailTicketReplyAndAnswer: a raw mail becomes a ticket for its sender (a
// repeat is a duplicate); the agent's reply reaches the SMTP sink with the From
// name, signature and threading headers; the customer's answer to it, and an
// answer naming only the ticket reference, land in the same ticket.
func TestRawMailTicketReplyAndAnswer(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	r := d.postRaw(t, firstMail)
	if r.Status != http.StatusAccepted {
		t.Fatalf("raw mail: %d %s", r.Status, r.Body)
	}
	first := r.Map(t)
	again := d.postRaw(t, firstMail)
	if again.Status != http.StatusOK || again.Map(t)["duplicate"] != true || again.Map(t)["message_id"] != first["message_id"] {
		t.Fatalf("same Message-ID again: %d %s", again.Status, again.Body)
	}
	tk := d.ticketOf(t, first["conversation_id"].(string))
	if got := d.contactEmail(t, tk); got != "grace@example.org" || tk.Subject != "Where is my order?" {
		t.Fatalf("ticket contact %q subject %q", got, tk.Subject)
	}

	rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "It ships today."})
	if rep.Status >= 300 {
		t.Fatalf("reply: %d %s", rep.Status, rep.Body)
	}
	sent, parsed := d.sent(t, "It ships today.")
	ref := "[#T-" + strings.Replace(tk.ID, "_", "-", 1) + "]"
	switch {
	case parsed.From.Email != "support@acme.test" || parsed.From.Name != "Ada Lovelace, Acme":
		t.Errorf("From %+v", parsed.From)
	case len(sent.To) != 1 || !strings.EqualFold(sent.To[0], "grace@example.org"):
		t.Errorf("RCPT TO %v", sent.To)
	case parsed.Subject != "Re: Where is my order? "+ref:
		t.Errorf("Subject %q", parsed.Subject)
	case len(parsed.InReplyTo) != 1 || parsed.InReplyTo[0] != "order-1@example.org":
		t.Errorf("In-Reply-To %v", parsed.InReplyTo)
	case !strings.Contains(parsed.Text, "Kind regards,\nAda Lovelace (Ada)"):
		t.Errorf("signature missing from %q", parsed.Text)
	case parsed.Header("Auto-Submitted") != "":
		t.Errorf("an agent's reply marked Auto-Submitted")
	}
	testenv.Eventually(t, 10*time.Second, "the reply marked sent", func() bool {
		for _, m := range d.messages(t, tk.ID) {
			if m.Direction == "outbound" {
				return m.Status == domain.MessageSent
			}
		}
		return false
	})

	answer := fmt.Sprintf("From: Grace Hopper <grace@example.org>\r\nTo: support@acme.test\r\nSubject: %s\r\n"+
		"Message-ID: <order-2@example.org>\r\nIn-Reply-To: <%s>\r\nReferences: <order-1@example.org> <%s>\r\n\r\n"+
		"Thanks!\r\n\r\nOn Mon, 23 Jan 2023 Ada Lovelace wrote:\r\n> It ships today.\r\n", parsed.Subject, parsed.MessageID, parsed.MessageID)
	r = d.postRaw(t, answer)
	if r.Status != http.StatusAccepted || r.Map(t)["conversation_id"] != first["conversation_id"] {
		t.Fatalf("answer by In-Reply-To: %d %s, want conversation %s", r.Status, r.Body, first["conversation_id"])
	}
	byRef := "From: Grace Hopper <grace@example.org>\r\nTo: support@acme.test\r\nSubject: One more thing " + ref +
		"\r\nMessage-ID: <order-3@example.org>\r\n\r\nAlso the invoice.\r\n"
	r = d.postRaw(t, byRef)
	if r.Status != http.StatusAccepted || r.Map(t)["conversation_id"] != first["conversation_id"] {
		t.Fatalf("answer by ticket reference: %d %s", r.Status, r.Body)
	}
	testenv.Eventually(t, 10*time.Second, "three inbound messages on the ticket", func() bool {
		n := 0
		for _, m := range d.messages(t, tk.ID) {
			if m.Direction == "inbound" {
				n++
				if m.ExternalID == "order-2@example.org" && m.Text != "Thanks!" {
					t.Fatalf("new text of the answer: %q", m.Text)
				}
			}
		}
		return n == 3
	})
	if n := len(d.tickets(t)); n != 1 {
		t.Fatalf("%d tickets, want 1", n)
	}
}

// TestRawMailRefusals: a wrong Content-Type is 415, an empty body 422; the
// route's own body limit (ROUTEDESK_SMTP_MAX_BYTES) replaces the API's: a mail
// over the API's 64 KB is taken, one over the limit is 413.
func TestRawMailRefusals(t *testing.T) {
	d := newDesk(t, email.Settings{SMTPMaxBytes: 256 << 10}, nil)
	body := strings.Replace(firstMail, "order-1@", "big-1@", 1) + strings.Repeat("0123456789abcdef\r\n", 8<<10)
	if r := d.postRaw(t, body); r.Status != http.StatusAccepted {
		t.Fatalf("a 144 KB mail: %d %s", r.Status, r.Body)
	}
	body = strings.Replace(firstMail, "order-1@", "big-2@", 1) + strings.Repeat("0123456789abcdef\r\n", 16<<10)
	if r := d.postRaw(t, body); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 288 KB mail: %d %s", r.Status, r.Body)
	}
	r := d.Do(http.MethodPost, "/v1/channels/"+d.channelID+"/email", d.token, map[string]string{"a": "b"})
	if r.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("JSON body: %d %s", r.Status, r.Body)
	}
	if r := d.postRaw(t, ""); r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
		t.Fatalf("empty mail: %d %s", r.Status, r.Body)
	}
}

// TestForwardsToggle: a forwarded mail is the original sender's, unless the channel turns that off.
func TestForwardsToggle(t *testing.T) {
	for _, tc := range []struct {
		toggle bool
		want   string
	}{{true, "ada@example.com"}, {false, "sam@acme.test"}} {
		t.Run(fmt.Sprint(tc.toggle), func(t *testing.T) {
			d := newDesk(t, email.Settings{}, map[string]any{"original_sender_for_forwards": tc.toggle})
			r := d.postRaw(t, corpus(t, "fwd_gmail_en.eml"))
			if r.Status != http.StatusAccepted {
				t.Fatalf("forward: %d %s", r.Status, r.Body)
			}
			tk := d.ticketOf(t, r.Map(t)["conversation_id"].(string))
			if got := d.contactEmail(t, tk); got != tc.want {
				t.Fatalf("contact %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAutoRepliesBouncesAndLoops: an auto-reply on no thread is no ticket, one
// on a thread is stored there without a new ticket; a bounce of our reply
// marks it failed with the reason; mail from our own address is ignored.
func TestAutoRepliesBouncesAndLoops(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	if r := d.postRaw(t, corpus(t, "auto_outlook_oof.eml")); r.Status != http.StatusOK || r.Map(t)["outcome"] != email.OutcomeAutoReplyIgnored {
		t.Fatalf("unthreaded auto-reply: %d %s", r.Status, r.Body)
	}
	own := "From: Support <support@acme.test>\r\nTo: support@acme.test\r\nSubject: loop\r\nMessage-ID: <loop@acme.test>\r\n\r\nx\r\n"
	if r := d.postRaw(t, own); r.Map(t)["outcome"] != email.OutcomeOwnAddress {
		t.Fatalf("own address: %d %s", r.Status, r.Body)
	}
	r := d.postRaw(t, firstMail)
	tk := d.ticketOf(t, r.Map(t)["conversation_id"].(string))
	d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "On its way."})
	_, ours := d.sent(t, "On its way.")
	ourID := ours.MessageID
	oof := strings.Replace(corpus(t, "auto_outlook_oof.eml"), "Message-ID: <oof-1@example.com>",
		"Message-ID: <oof-2@example.com>\r\nIn-Reply-To: <"+ourID+">", 1)
	if r := d.postRaw(t, oof); r.Map(t)["outcome"] != email.OutcomeAutoReply || r.Map(t)["conversation_id"] != tk.ConversationID {
		t.Fatalf("threaded auto-reply: %d %s", r.Status, r.Body)
	}
	bounce := strings.Replace(corpus(t, "bounce_postfix_dsn.eml"), "<reply-77.abc@acme.test>", "<"+ourID+">", 1)
	if r := d.postRaw(t, bounce); r.Map(t)["outcome"] != email.OutcomeBounce {
		t.Fatalf("bounce: %d %s", r.Status, r.Body)
	}
	testenv.Eventually(t, 10*time.Second, "the bounced reply failed with the reason", func() bool {
		for _, m := range d.messages(t, tk.ID) {
			if m.Direction == "outbound" && m.Status == domain.MessageFailed && strings.Contains(m.FailureReason, "5.1.1") {
				return true
			}
		}
		return false
	})
	d.Settled(10 * time.Second)
	if n := len(d.tickets(t)); n != 1 {
		t.Fatalf("%d tickets, want 1 (auto-replies, bounces and loops make none)", n)
	}
	var autoStored bool
	for _, m := range d.messages(t, tk.ID) {
		autoStored = autoStored || m.ExternalID == "oof-2@example.com"
	}
	if !autoStored {
		t.Fatal("the threaded auto-reply is not on the ticket")
	}
}

// TestAttachmentsServed: a mail's attachments are stored and served to the
// account's admins and agents as downloads, never to another account.
func TestAttachmentsServed(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	r := d.postRaw(t, corpus(t, "inline_image.eml"))
	if r.Status != http.StatusAccepted {
		t.Fatalf("raw: %d %s", r.Status, r.Body)
	}
	msgID := r.Map(t)["message_id"].(string)
	parsed, err := email.Parse([]byte(corpus(t, "inline_image.eml")))
	if err != nil || len(parsed.Attachments) != 1 {
		t.Fatalf("corpus: %v %d", err, len(parsed.Attachments))
	}
	list := d.Do(http.MethodGet, "/v1/messages/"+msgID+"/attachments", d.agentToken, nil)
	if list.Status != http.StatusOK || !strings.Contains(string(list.Body), parsed.Attachments[0].SHA256) {
		t.Fatalf("list: %d %s", list.Status, list.Body)
	}
	a := d.Do(http.MethodGet, "/v1/messages/"+msgID+"/attachments/0", d.agentToken, nil)
	if a.Status != http.StatusOK || !bytes.Equal(a.Body, parsed.Attachments[0].Content) {
		t.Fatalf("download: %d (%d bytes)", a.Status, len(a.Body))
	}
	if cd := a.Header.Get("Content-Disposition"); cd != `attachment; filename=error.png` || a.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("headers: %q %q", cd, a.Header.Get("Content-Type"))
	}
	if r := d.Do(http.MethodGet, "/v1/messages/"+msgID+"/attachments/1", d.token, nil); r.Status != http.StatusNotFound {
		t.Fatalf("missing attachment: %d", r.Status)
	}
	if r := d.Do(http.MethodGet, "/v1/messages/"+msgID+"/attachments/x", d.token, nil); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad n: %d %s", r.Status, r.Body)
	}
	_, other := d.Account("Other", "starter")
	if r := d.Do(http.MethodGet, "/v1/messages/"+msgID+"/attachments/0", other, nil); r.Status != http.StatusNotFound {
		t.Fatalf("another account: %d", r.Status)
	}
}

// TestAnswerToClosedTicketOpensFollowUp: the customer's answer to a closed ticket's thread opens a
// follow-up linked to it (closed is final); a later answer to the closed ticket's first mail goes to the
// follow-up too, not to a third ticket.
func TestAnswerToClosedTicketOpensFollowUp(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	r := d.postRaw(t, firstMail)
	tk := d.ticketOf(t, r.Map(t)["conversation_id"].(string))
	if c := d.Do(http.MethodPatch, "/v1/tickets/"+tk.ID, d.token, map[string]any{"status": "closed"}); c.Status != http.StatusOK {
		t.Fatalf("close: %d %s", c.Status, c.Body)
	}
	answer := func(id, text string) {
		raw := "From: Grace Hopper <grace@example.org>\r\nTo: support@acme.test\r\nSubject: Re: Where is my order?\r\n" +
			"Message-ID: <" + id + "@example.org>\r\nIn-Reply-To: <order-1@example.org>\r\n\r\n" + text + "\r\n"
		if r := d.postRaw(t, raw); r.Status != http.StatusAccepted || r.Map(t)["conversation_id"] != tk.ConversationID {
			t.Fatalf("answer: %d %s", r.Status, r.Body)
		}
	}
	get := func(id string) domain.Ticket {
		var got domain.Ticket
		d.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).JSON(t, &got)
		return got
	}
	answer("order-9", "Still nothing.")
	var old domain.Ticket
	testenv.Eventually(t, 20*time.Second, "a follow-up", func() bool { old = get(tk.ID); return len(old.FollowUps) == 1 })
	if old.Status != "closed" {
		t.Fatalf("the closed ticket is %s", old.Status)
	}
	fu := get(old.FollowUps[0])
	if fu.FollowUpOf == nil || *fu.FollowUpOf != tk.ID || fu.ConversationID != tk.ConversationID || fu.Subject != tk.Subject {
		t.Fatalf("follow-up %+v", fu)
	}
	answer("order-10", "Hello?")
	d.Settled(20 * time.Second)
	if n := len(d.tickets(t)); n != 2 {
		t.Fatalf("%d tickets, want 2", n)
	}
	var l struct{ Items []domain.Message }
	d.Do(http.MethodGet, "/v1/tickets/"+fu.ID+"/messages", d.token, nil).JSON(t, &l)
	if len(l.Items) != 2 {
		t.Fatalf("%d messages on the follow-up, want 2", len(l.Items))
	}
	d.Do(http.MethodGet, "/v1/tickets/"+tk.ID+"/messages", d.token, nil).JSON(t, &l)
	if len(l.Items) != 1 {
		t.Fatalf("%d messages on the closed ticket, want 1", len(l.Items))
	}
}
