package emailtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/routedesk/routedesk/channels/email"
)

// shopMail is a web shop's contact form mail: from its noreply address, Reply-To the customer, a colleague in Cc.
const shopMail = "From: Shop <noreply@shop.example>\r\nReply-To: Carla Customer <carla@example.org>\r\n" +
	"To: support@acme.test\r\nCc: Colleague <colleague@example.org>, support+billing@acme.test\r\nSubject: Order 77 question\r\n" +
	"Message-ID: <form-77@shop.example>\r\n\r\nWhere is my order 77?\r\n"

// TestReplyGoesToReplyToKeepsCc: an answer to a contact form's mail goes to its
// Reply-To (the customer, the ticket's contact), keeps its Cc (reply-all, never the
// channel's own addresses); the reply API's to/cc/bcc replace them, validated.
func TestReplyGoesToReplyToKeepsCc(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	r := d.postRaw(t, shopMail)
	if r.Status != http.StatusAccepted {
		t.Fatalf("raw mail: %d %s", r.Status, r.Body)
	}
	tk := d.ticketOf(t, r.Map(t)["conversation_id"].(string))
	if got := d.contactEmail(t, tk); got != "carla@example.org" {
		t.Fatalf("ticket contact %q, want the Reply-To customer", got)
	}

	if rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Order 77 ships today."}); rep.Status >= 300 {
		t.Fatalf("reply: %d %s", rep.Status, rep.Body)
	}
	sent, parsed := d.sent(t, "Order 77 ships today.")
	if strings.Join(sent.To, ",") != "carla@example.org,colleague@example.org" {
		t.Errorf("envelope recipients %v", sent.To)
	}
	if len(parsed.To) != 1 || parsed.To[0].Email != "carla@example.org" || parsed.To[0].Name != "Carla Customer" {
		t.Errorf("To %+v", parsed.To)
	}
	if len(parsed.Cc) != 1 || parsed.Cc[0].Email != "colleague@example.org" {
		t.Errorf("Cc %+v", parsed.Cc)
	}
	if strings.Contains(strings.ToLower(sent.Data), "noreply@shop.example") {
		t.Errorf("the answer names the noreply address")
	}

	// The agent's recipients replace the defaults; Bcc goes in the envelope only.
	body := map[string]any{"text": "Forwarding to billing.", "to": []string{"Boss <boss@example.org>"}, "cc": []string{}, "bcc": []string{"audit@acme-archive.example"}}
	if rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, body); rep.Status >= 300 {
		t.Fatalf("reply with recipients: %d %s", rep.Status, rep.Body)
	}
	sent, parsed = d.sent(t, "Forwarding to billing.")
	if strings.Join(sent.To, ",") != "boss@example.org,audit@acme-archive.example" {
		t.Errorf("envelope recipients %v", sent.To)
	}
	if len(parsed.To) != 1 || parsed.To[0].Email != "boss@example.org" || len(parsed.Cc) != 0 || strings.Contains(sent.Data, "audit@") {
		t.Errorf("To %+v Cc %+v; Bcc in the mail: %v", parsed.To, parsed.Cc, strings.Contains(sent.Data, "audit@"))
	}

	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"text": "x", "to": []string{"carla@example.org", "not an address"}}, "to[1]"},
		{map[string]any{"text": "x", "cc": []string{"a@b\r\nBcc: evil@x"}}, "cc[0]"},
		{map[string]any{"text": "x", "to": []string{}}, "to"},
		{map[string]any{"text": "x", "bcc": "audit@example.org"}, "bcc"},
	} {
		rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, c.body)
		if rep.Status != http.StatusUnprocessableEntity || !strings.Contains(string(rep.Body), `"field":"`+c.field+`"`) {
			t.Errorf("%v: %d %s, want 422 naming %s", c.body, rep.Status, rep.Body, c.field)
		}
	}
}
