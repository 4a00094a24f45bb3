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
)

// createChannel creates a channel on the desk's account and returns its id.
func (d *desk) createChannel(t *testing.T, body map[string]any) string {
	t.Helper()
	r := d.Do(http.MethodPost, "/v1/channels", d.token, body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create %v channel: %d %s", body["type"], r.Status, r.Body)
	}
	return r.Map(t)["id"].(string)
}

// onlyTicket waits for the account's single ticket on channel and returns it.
func (d *desk) onlyTicket(t *testing.T, channelID string) domain.Ticket {
	t.Helper()
	var tk domain.Ticket
	testenv.Eventually(t, 20*time.Second, "the ticket on "+channelID, func() bool {
		for _, x := range d.tickets(t) {
			if x.ChannelID == channelID {
				tk = x
				return true
			}
		}
		return false
	})
	return tk
}

// countOutbound counts the outbound messages stored for the account.
func (d *desk) countOutbound(t *testing.T) int {
	t.Helper()
	var n int
	if err := d.Store.DB().Get(&n, `SELECT count(*) FROM messages WHERE direction = 'outbound'`); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFormReplyGoesByEmailAndTheAnswerThreadsBack: a reply to a form submission goes out by
// email (the account's email channel, by default) to the submitter's address and ends sent; the
// customer's answer to that mail lands in the same ticket, on the form's conversation.
func TestFormReplyGoesByEmailAndTheAnswerThreadsBack(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	form := d.createChannel(t, map[string]any{"type": "form", "name": "Contact us", "config": map[string]any{"form_id": "contact",
		"fields": []map[string]any{{"name": "email", "type": "email", "required": true}, {"name": "name"},
			{"name": "message", "type": "textarea", "required": true}}, "description_field": "message"}})
	sub := d.Do(http.MethodPost, "/v1/channels/"+form+"/submissions", d.token, map[string]any{"external_id": "s-1",
		"fields": map[string]any{"email": "ada@example.com", "name": "Ada", "message": "My invoice is wrong."}})
	if sub.Status != http.StatusAccepted {
		t.Fatalf("submission: %d %s", sub.Status, sub.Body)
	}
	tk := d.onlyTicket(t, form)
	rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "We fixed your invoice."})
	if rep.Status != http.StatusCreated || rep.Map(t)["channel_id"] != d.channelID {
		t.Fatalf("reply: %d %s", rep.Status, rep.Body)
	}
	mail, parsed := d.sent(t, "We fixed your invoice.")
	if len(mail.To) != 1 || !strings.EqualFold(mail.To[0], "ada@example.com") {
		t.Fatalf("reply mailed to %v", mail.To)
	}
	if len(parsed.InReplyTo) != 0 || len(parsed.References) != 0 {
		t.Fatalf("a form's reply refers to no mail, got In-Reply-To %v References %v", parsed.InReplyTo, parsed.References)
	}
	out := d.outbound(t, tk.ID, 10*time.Second, domain.MessageSent)
	if out.ChannelID != d.channelID || out.ConversationID != tk.ConversationID {
		t.Fatalf("reply stored on channel %s conversation %s", out.ChannelID, out.ConversationID)
	}

	answer := fmt.Sprintf("From: Ada <ada@example.com>\r\nTo: support@acme.test\r\nSubject: %s\r\n"+
		"Message-ID: <ada-2@example.com>\r\nIn-Reply-To: <%s>\r\n\r\nThanks, all good now.\r\n", parsed.Subject, parsed.MessageID)
	r := d.postRaw(t, answer)
	if r.Status != http.StatusAccepted || r.Map(t)["conversation_id"] != tk.ConversationID {
		t.Fatalf("answer: %d %s, want conversation %s", r.Status, r.Body, tk.ConversationID)
	}
	testenv.Eventually(t, 10*time.Second, "the answer on the form's ticket", func() bool {
		for _, m := range d.messages(t, tk.ID) {
			if m.Direction == domain.DirectionInbound && strings.Contains(m.Text, "all good now") {
				return true
			}
		}
		return false
	})
	if n := len(d.tickets(t)); n != 1 {
		t.Fatalf("%d tickets, want 1", n)
	}
	// The next reply threads on the customer's answer.
	if rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Glad to hear."}); rep.Status != http.StatusCreated {
		t.Fatalf("second reply: %d %s", rep.Status, rep.Body)
	}
	_, second := d.sent(t, "Glad to hear.")
	if len(second.InReplyTo) != 1 || second.InReplyTo[0] != "ada-2@example.com" {
		t.Fatalf("second reply In-Reply-To %v", second.InReplyTo)
	}
}

// TestCallReplyByWhatsAppOrRefused: a caller with only a phone number cannot be reached by the
// email channel: the reply answers 422 naming channel_id and nothing is stored. With a WhatsApp
// channel named as the line's reply channel the reply goes to the caller's number through Graph;
// a channel_id naming a channel of no use is 422 too.
func TestCallReplyByWhatsAppOrRefused(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	line := d.createChannel(t, map[string]any{"type": "calling", "name": "Line", "config": map[string]any{"phone_number": "+46850001234"}})
	call := d.Do(http.MethodPost, "/v1/channels/"+line+"/calls", d.token, map[string]any{"call_id": "c1", "from_number": "+46701234567",
		"to_number": "+46850001234", "status": "missed"})
	if call.Status != http.StatusAccepted {
		t.Fatalf("call: %d %s", call.Status, call.Body)
	}
	tk := d.onlyTicket(t, line)
	before := d.countOutbound(t)
	rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Sorry we missed you."})
	if rep.Status != http.StatusUnprocessableEntity || !strings.Contains(string(rep.Body), `"field":"channel_id"`) ||
		!strings.Contains(string(rep.Body), "no email address") {
		t.Fatalf("reply to an unreachable caller: %d %s", rep.Status, rep.Body)
	}
	if rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "x", "channel_id": line}); rep.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(rep.Body), `"field":"channel_id"`) {
		t.Fatalf("reply through the phone line itself: %d %s", rep.Status, rep.Body)
	}
	if n := d.countOutbound(t); n != before {
		t.Fatalf("%d outbound messages stored by refused replies", n-before)
	}

	wa := d.createChannel(t, map[string]any{"type": "whatsapp", "name": "WhatsApp", "config": map[string]any{
		"phone_number_id": "1055", "access_token": "wa-token", "app_secret": "wa-secret"}})
	for _, bad := range []string{"ch_nope", line} {
		if r := d.Do(http.MethodPatch, "/v1/channels/"+line, d.token, map[string]any{"config": map[string]any{"reply_channel_id": bad}}); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(string(r.Body), `"config.reply_channel_id"`) {
			t.Fatalf("reply_channel_id %s: %d %s", bad, r.Status, r.Body)
		}
	}
	if r := d.Do(http.MethodPatch, "/v1/channels/"+line, d.token, map[string]any{"config": map[string]any{"reply_channel_id": wa}}); r.Status != http.StatusOK {
		t.Fatalf("set the line's reply channel: %d %s", r.Status, r.Body)
	}
	rep = d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Sorry we missed you."})
	if rep.Status != http.StatusCreated || rep.Map(t)["status"] != domain.MessageSent || rep.Map(t)["channel_id"] != wa {
		t.Fatalf("reply by WhatsApp: %d %s", rep.Status, rep.Body)
	}
	var toCaller bool
	for _, g := range d.Graph.Requests() {
		if strings.Contains(g.Path, "1055/messages") && g.Body["to"] == "46701234567" {
			toCaller = true
		}
	}
	if !toCaller {
		t.Fatalf("no WhatsApp message to the caller's number in %+v", d.Graph.Requests())
	}
}
