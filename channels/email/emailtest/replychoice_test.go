package emailtest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/domain"
)

// TestReplyChannelChosenByChannelID: the agent names the channel a reply goes out on
// with channel_id. On a form's ticket a second email channel (Billing) is chosen over
// the default one and the mail reaches the submitter from Billing's address; on a
// call's ticket, with no reply channel configured on the line, WhatsApp is chosen and
// the caller's number gets the message. Each reply records the channel it used.
func TestReplyChannelChosenByChannelID(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	host, port := splitHostPort(t, d.Mail.Addr)
	billing := d.createChannel(t, map[string]any{"type": "email", "name": "Billing", "config": map[string]any{"address": "billing@acme.test",
		"smtp": map[string]any{"host": host, "port": port, "tls": "none"}}})
	form := d.createChannel(t, map[string]any{"type": "form", "name": "Contact us", "config": map[string]any{"form_id": "contact",
		"fields":            []map[string]any{{"name": "email", "type": "email", "required": true}, {"name": "message", "type": "textarea", "required": true}},
		"description_field": "message"}})
	if sub := d.Do(http.MethodPost, "/v1/channels/"+form+"/submissions", d.token, map[string]any{"external_id": "s-1",
		"fields": map[string]any{"email": "ada@example.com", "message": "My invoice is wrong."}}); sub.Status != http.StatusAccepted {
		t.Fatalf("submission: %d %s", sub.Status, sub.Body)
	}
	tk := d.onlyTicket(t, form)
	rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "Billing fixed your invoice.", "channel_id": billing})
	if rep.Status != http.StatusCreated || rep.Map(t)["channel_id"] != billing {
		t.Fatalf("reply through Billing: %d %s", rep.Status, rep.Body)
	}
	mail, parsed := d.sent(t, "Billing fixed your invoice.")
	if len(mail.To) != 1 || !strings.EqualFold(mail.To[0], "ada@example.com") || mail.From != "billing@acme.test" ||
		parsed.From.Email != "billing@acme.test" {
		t.Fatalf("reply mailed from %s (%+v) to %v", mail.From, parsed.From, mail.To)
	}
	if out := d.outbound(t, tk.ID, 10*time.Second, domain.MessageSent); out.ChannelID != billing {
		t.Fatalf("reply stored on channel %s, want %s", out.ChannelID, billing)
	}

	line := d.createChannel(t, map[string]any{"type": "calling", "name": "Line", "config": map[string]any{"phone_number": "+46850001234"}})
	wa := d.createChannel(t, map[string]any{"type": "whatsapp", "name": "WhatsApp", "config": map[string]any{
		"phone_number_id": "1066", "access_token": "wa-token", "app_secret": "wa-secret"}})
	if call := d.Do(http.MethodPost, "/v1/channels/"+line+"/calls", d.token, map[string]any{"call_id": "c1", "from_number": "+46701234567",
		"to_number": "+46850001234", "status": "missed"}); call.Status != http.StatusAccepted {
		t.Fatalf("call: %d %s", call.Status, call.Body)
	}
	call := d.onlyTicket(t, line)
	rep = d.Do(http.MethodPost, "/v1/tickets/"+call.ID+"/replies", d.agentToken, map[string]any{"text": "Sorry we missed you.", "channel_id": wa})
	if rep.Status != http.StatusCreated || rep.Map(t)["status"] != domain.MessageSent || rep.Map(t)["channel_id"] != wa {
		t.Fatalf("reply by WhatsApp: %d %s", rep.Status, rep.Body)
	}
	var toCaller bool
	for _, g := range d.Graph.Requests() {
		if strings.Contains(g.Path, "1066/messages") && g.Body["to"] == "46701234567" {
			toCaller = true
		}
	}
	if !toCaller {
		t.Fatalf("no WhatsApp message to the caller's number in %+v", d.Graph.Requests())
	}
}
