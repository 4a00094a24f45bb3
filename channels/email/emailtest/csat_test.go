package emailtest_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/routedesk/routedesk/channels/email"
	"github.com/routedesk/routedesk/internal/testenv"
)

// csatLink finds the rating link in an invitation's text.
var csatLink = regexp.MustCompile(`http://[^\s]+/csat/rcs1\.[A-Za-z0-9_.-]+`)

// TestCSATInvitationByEmail: an email ticket solved with a 1 s delay gets its satisfaction survey's
// invitation through the channel's SMTP relay, threaded as a reply, on the conversation workflow's timer;
// the link in it opens the rating page and its answer lands on the ticket.
func TestCSATInvitationByEmail(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	if r := d.Do(http.MethodPatch, "/v1/account/settings", d.token, map[string]any{"csat_delay_seconds": 1}); r.Status != http.StatusOK {
		t.Fatalf("settings: %d %s", r.Status, r.Body)
	}
	tk := d.ticketOf(t, d.postRaw(t, firstMail).Map(t)["conversation_id"].(string))
	if r := d.Do(http.MethodPatch, "/v1/tickets/"+tk.ID, d.agentToken, map[string]any{"status": "solved"}); r.Status != http.StatusOK {
		t.Fatalf("solve: %d %s", r.Status, r.Body)
	}
	var invitation testenv.Mail
	deadline := time.Now().Add(60 * time.Second)
	testenv.Eventually(t, 61*time.Second, "the invitation at the SMTP sink", func() bool {
		if time.Now().After(deadline) {
			t.Fatalf("no invitation: ticket %s; messages %+v", d.Do(http.MethodGet, "/v1/tickets/"+tk.ID, d.token, nil).Body, d.messages(t, tk.ID))
		}
		for _, m := range d.Mail.Received() {
			if strings.Contains(strings.ToLower(strings.Join(m.To, ",")), "grace@example.org") {
				invitation = m
				return true
			}
		}
		return false
	})
	parsed, err := email.Parse([]byte(invitation.Data))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(parsed.Subject, "Where is my order?") || len(parsed.InReplyTo) == 0 {
		t.Fatalf("the invitation is not threaded on the ticket: subject %q, in-reply-to %v", parsed.Subject, parsed.InReplyTo)
	}
	link := csatLink.FindString(parsed.Text)
	if link == "" {
		t.Fatalf("no rating link in the invitation: %q", parsed.Text)
	}
	testenv.Eventually(t, 10*time.Second, "the survey sent", func() bool {
		c, _ := d.Do(http.MethodGet, "/v1/tickets/"+tk.ID, d.token, nil).Map(t)["csat"].(map[string]any)
		return c != nil && c["state"] == "sent" && c["sent_at"] != nil
	})

	page, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != http.StatusOK || !strings.Contains(string(b), "How would you rate") {
		t.Fatalf("rating page: %d %s", page.StatusCode, b)
	}
	resp, err := http.PostForm(link, url.Values{"rating": {"5"}, "comment": {"Fast and friendly"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Thank you") {
		t.Fatalf("answer: %d %s", resp.StatusCode, b)
	}
	c := d.Do(http.MethodGet, "/v1/tickets/"+tk.ID, d.token, nil).Map(t)["csat"].(map[string]any)
	if c["state"] != "answered" || c["rating"] != float64(5) || c["comment"] != "Fast and friendly" || c["answered_at"] == nil {
		t.Fatalf("survey after the answer: %v", c)
	}
}

// TestCSATFormTicketByEmailOrFailed: a form's ticket has no channel that writes back, so its survey goes
// by email to the contact through the account's email channel; a form ticket whose contact has no email
// address fails with the reason, visible on the ticket.
func TestCSATFormTicketByEmailOrFailed(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	if r := d.Do(http.MethodPatch, "/v1/account/settings", d.token, map[string]any{"csat_delay_seconds": 1}); r.Status != http.StatusOK {
		t.Fatalf("settings: %d %s", r.Status, r.Body)
	}
	form := d.createChannel(t, map[string]any{"type": "form", "name": "Contact us", "config": map[string]any{"form_id": "contact",
		"fields": []map[string]any{{"name": "email", "type": "email"}, {"name": "name"},
			{"name": "message", "type": "textarea", "required": true}}, "description_field": "message"}})
	submit := func(id string, fields map[string]any) {
		if sub := d.Do(http.MethodPost, "/v1/channels/"+form+"/submissions", d.token, map[string]any{"external_id": id, "fields": fields}); sub.Status != http.StatusAccepted {
			t.Fatalf("submission: %d %s", sub.Status, sub.Body)
		}
	}
	submit("s-1", map[string]any{"email": "ada@example.com", "name": "Ada", "message": "My invoice is wrong."})
	tk := d.onlyTicket(t, form)
	if r := d.Do(http.MethodPatch, "/v1/tickets/"+tk.ID, d.agentToken, map[string]any{"status": "solved"}); r.Status != http.StatusOK {
		t.Fatalf("solve: %d %s", r.Status, r.Body)
	}
	mail, parsed := d.sent(t, "/csat/rcs1.")
	if len(mail.To) != 1 || !strings.EqualFold(mail.To[0], "ada@example.com") || csatLink.FindString(parsed.Text) == "" {
		t.Fatalf("invitation to %v: %q", mail.To, parsed.Text)
	}
	testenv.Eventually(t, 10*time.Second, "the form ticket's survey sent", func() bool {
		c, _ := d.Do(http.MethodGet, "/v1/tickets/"+tk.ID, d.token, nil).Map(t)["csat"].(map[string]any)
		return c != nil && c["state"] == "sent"
	})

	// No email address: nothing reaches the customer.
	submit("s-2", map[string]any{"name": "Anon", "message": "Just a remark."})
	var anon string
	testenv.Eventually(t, 20*time.Second, "the second form ticket", func() bool {
		var l struct{ Items []struct{ ID string } }
		d.Do(http.MethodGet, "/v1/tickets?channel_id="+form, d.token, nil).JSON(t, &l)
		for _, it := range l.Items {
			if it.ID != tk.ID {
				anon = it.ID
			}
		}
		return anon != ""
	})
	if r := d.Do(http.MethodPatch, "/v1/tickets/"+anon, d.agentToken, map[string]any{"status": "solved"}); r.Status != http.StatusOK {
		t.Fatalf("solve: %d %s", r.Status, r.Body)
	}
	var c map[string]any
	testenv.Eventually(t, 60*time.Second, "the survey failed", func() bool {
		c, _ = d.Do(http.MethodGet, "/v1/tickets/"+anon, d.token, nil).Map(t)["csat"].(map[string]any)
		return c != nil && c["state"] == "failed"
	})
	if c["reason"] != "no channel reaches the customer" {
		t.Fatalf("failed survey's reason %q", c["reason"])
	}
}
