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

// TestReplyOpensThreadForChannellessTicket: a ticket without a channel has no thread until an
// agent replies through an email channel: the reply goes to the contact's address, the ticket
// gets the conversation, and the customer's answer to the reply threads into it.
func TestReplyOpensThreadForChannellessTicket(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	r := d.Do(http.MethodPost, "/v1/tickets", d.token, map[string]any{"subject": "Your warranty claim", "description": "Opened by phone",
		"contact": map[string]any{"email": "linus@example.org", "name": "Linus"}, "channel_id": nil})
	if r.Status != http.StatusCreated || !strings.Contains(string(r.Body), `"conversation_id":null`) {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := r.Map(t)["id"].(string)
	if rep := d.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", d.agentToken, map[string]any{"text": "We got it."}); rep.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(rep.Body), `"channel_id"`) {
		t.Fatalf("reply without channel_id: %d %s", rep.Status, rep.Body)
	}
	rep := d.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", d.agentToken, map[string]any{"text": "We got your claim.", "channel_id": d.channelID})
	if rep.Status != http.StatusCreated {
		t.Fatalf("reply: %d %s", rep.Status, rep.Body)
	}
	var tk domain.Ticket
	d.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).JSON(t, &tk)
	if tk.ChannelID != d.channelID || tk.ConversationID == "" || tk.WorkflowID == "ticket:"+id {
		t.Fatalf("ticket after the reply: %+v", tk)
	}
	sent, parsed := d.sent(t, "We got your claim.")
	if len(sent.To) != 1 || !strings.EqualFold(sent.To[0], "linus@example.org") || !strings.Contains(parsed.Subject, "Your warranty claim") {
		t.Fatalf("sent to %v with subject %q", sent.To, parsed.Subject)
	}
	testenv.Eventually(t, 10*time.Second, "the reply marked sent", func() bool {
		for _, m := range d.messages(t, id) {
			if m.Direction == "outbound" {
				return m.Status == domain.MessageSent
			}
		}
		return false
	})
	answer := fmt.Sprintf("From: Linus <linus@example.org>\r\nTo: support@acme.test\r\nSubject: Re: Your warranty claim\r\n"+
		"Message-ID: <claim-2@example.org>\r\nIn-Reply-To: <%s>\r\n\r\nThanks, here is the receipt.\r\n", parsed.MessageID)
	r = d.postRaw(t, answer)
	if r.Status != http.StatusAccepted || r.Map(t)["conversation_id"] != tk.ConversationID {
		t.Fatalf("answer: %d %s, want conversation %s", r.Status, r.Body, tk.ConversationID)
	}
	testenv.Eventually(t, 10*time.Second, "the answer on the ticket", func() bool {
		for _, m := range d.messages(t, id) {
			if m.Direction == "inbound" && strings.Contains(m.Text, "here is the receipt") {
				return true
			}
		}
		return false
	})
	if n := len(d.tickets(t)); n != 1 {
		t.Fatalf("%d tickets, want 1", n)
	}
	// A second reply goes on the same thread, channel_id or not.
	if rep := d.Do(http.MethodPost, "/v1/tickets/"+id+"/replies", d.agentToken, map[string]any{"text": "Received, thanks."}); rep.Status != http.StatusCreated {
		t.Fatalf("second reply: %d %s", rep.Status, rep.Body)
	}
}
