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
