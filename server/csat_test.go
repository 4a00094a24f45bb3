package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/channels/chat"
	"github.com/routedesk/routedesk/internal/testenv"
)

// TestCSATSettings: the account's survey is on with a one-hour delay by default; admins change it, and
// bad values are 422s naming the field.
func TestCSATSettings(t *testing.T) {
	d := newDesk(t)
	got := d.s.Do(http.MethodGet, "/v1/account/settings", d.token, nil).Map(t)
	require.Equal(t, true, got["csat_enabled"])
	require.Equal(t, float64(3600), got["csat_delay_seconds"])
	for field, bad := range map[string][]any{"csat_delay_seconds": {0, -1, 2592001, 1.5, "60"}, "csat_enabled": {"yes", 1}} {
		for _, v := range bad {
			r := d.s.Do(http.MethodPatch, "/v1/account/settings", d.token, map[string]any{field: v})
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s=%v: %s", field, v, r.Body)
			require.Contains(t, fieldErrors(t, r), field, "%s=%v", field, v)
		}
	}
	r := d.s.Do(http.MethodPatch, "/v1/account/settings", d.token, map[string]any{"csat_enabled": false, "csat_delay_seconds": 600})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, false, r.Map(t)["csat_enabled"])
	require.Equal(t, float64(600), r.Map(t)["csat_delay_seconds"])
	require.Equal(t, float64(4*24*3600), r.Map(t)["solved_close_after_seconds"], "a setting not given stays")
}

// TestCSATChatSurveyAnsweredFromWidget: a chat ticket solved with a 1 s delay gets its survey invitation in
// the widget (with its rating link) on the workflow's timer; the widget's rating lands on the ticket. The
// rating link: tampered 404, expired 410, bad answers 422 naming the field, the last answer wins, a form
// post from the HTML page works, and past the 7 days the survey answers 410.
func TestCSATChatSurveyAnsweredFromWidget(t *testing.T) {
	d := newDesk(t)
	require.Equal(t, http.StatusOK, d.s.Do(http.MethodPatch, "/v1/account/settings", d.token, map[string]any{"csat_delay_seconds": 1}).Status)
	agent := d.user("agent@acme.test", nil)
	ch := createChannel(t, d.s, d.token, map[string]any{"type": "chat", "name": "Site",
		"routing": map[string]any{"assign_to": "users_and_teams", "users": []string{agent}}})
	sess := d.s.Do(http.MethodPost, "/chat/v1/"+ch+"/sessions", "", map[string]any{})
	require.Equal(t, http.StatusCreated, sess.Status, string(sess.Body))
	vt := sess.Map(t)["visitor_token"].(string)
	r := d.s.Do(http.MethodPost, "/chat/v1/"+ch+"/messages", vt, map[string]any{"client_id": "c1", "text": "Where is my order?"})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	var tk map[string]any
	testenv.Eventually(t, 30*time.Second, "the chat's ticket assigned", func() bool {
		items := d.s.Do(http.MethodGet, "/v1/tickets?channel_id="+ch, d.token, nil).Map(t)["items"].([]any)
		if len(items) == 1 {
			tk = items[0].(map[string]any)
			return tk["routing_state"] == "assigned"
		}
		return false
	})
	id, wf := tk["id"].(string), tk["workflow_id"].(string)
	require.Nil(t, d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["csat"], "no survey before the solve")
	r = d.s.Do(http.MethodPatch, "/v1/tickets/"+id, d.token, map[string]any{"status": "solved"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))

	// Nothing else happens on the conversation: the survey's timer alone sends the invitation.
	var rating chat.RatingPrompt
	testenv.Eventually(t, 60*time.Second, "the invitation in the widget", func() bool {
		var list chat.MessageList
		d.s.Do(http.MethodGet, "/chat/v1/"+ch+"/messages", vt, nil).JSON(t, &list)
		for _, m := range list.Items {
			if m.Rating != nil {
				rating = *m.Rating
				return true
			}
		}
		return false
	})
	survey := d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["csat"].(map[string]any)
	require.Equal(t, "sent", survey["state"])
	require.Nil(t, survey["rating"])
	tok := strings.TrimPrefix(rating.URL, "/csat/")

	// The widget's button posts JSON from the customer's site.
	req, err := http.NewRequest(http.MethodOptions, d.s.HTTP.URL+rating.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "https://shop.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	pre, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	pre.Body.Close()
	require.Equal(t, http.StatusNoContent, pre.StatusCode)
	require.Equal(t, "https://shop.example", pre.Header.Get("Access-Control-Allow-Origin"))
	r = d.s.Do(http.MethodPost, rating.URL, "", map[string]any{"rating": 2})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, "answered", r.Map(t)["state"])
	r = d.s.Do(http.MethodPost, rating.URL, "", map[string]any{"rating": 4, "comment": "Quick, thanks"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	survey = d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["csat"].(map[string]any)
	require.Equal(t, "answered", survey["state"])
	require.Equal(t, float64(4), survey["rating"], "the last answer wins")
	require.Equal(t, "Quick, thanks", survey["comment"])
	require.NotNil(t, survey["answered_at"])

	// Bad answers are 422s naming the field.
	for body, field := range map[string]string{`{"rating": 6}`: "rating", `{"rating": 0}`: "rating", `{}`: "rating", `{"rating": "5"}`: "rating",
		`{"rating": 3, "comment": "` + strings.Repeat("x", 2001) + `"}`: "comment"} {
		r := d.s.Do(http.MethodPost, rating.URL, "", body)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%.40s: %s", body, r.Body)
		require.Contains(t, fieldErrors(t, r), field, body)
	}
	form := func(v url.Values) (int, string) {
		resp, err := http.PostForm(d.s.HTTP.URL+rating.URL, v)
		require.NoError(t, err)
		defer resp.Body.Close()
		b := new(strings.Builder)
		_, _ = io.Copy(b, resp.Body)
		return resp.StatusCode, b.String()
	}
	st, body := form(url.Values{"rating": {"9"}})
	require.Equal(t, http.StatusUnprocessableEntity, st, body)

	// The HTML page: no login, the answer so far, a form post answered with the page.
	page := d.s.Do(http.MethodGet, rating.URL, "", nil)
	require.Equal(t, http.StatusOK, page.Status, string(page.Body))
	require.True(t, strings.HasPrefix(page.Header.Get("Content-Type"), "text/html"))
	require.Contains(t, string(page.Body), "You rated 4 of 5")
	require.Contains(t, string(page.Body), "Quick, thanks")
	st, body = form(url.Values{"rating": {"5"}, "comment": {"<script>alert(1)</script>"}})
	require.Equal(t, http.StatusOK, st, body)
	require.Contains(t, body, "Thank you")
	require.NotContains(t, body, "<script>alert(1)", "the comment is escaped")
	survey = d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["csat"].(map[string]any)
	require.Equal(t, float64(5), survey["rating"])

	// Tampered, foreign and expired links.
	links := testenv.CSATLinks(t)
	for _, bad := range []string{tok[:len(tok)-2] + "xx", "rcs1.e30.AAAA", "nonsense", links.Sign("acc_other", id, time.Now().Add(time.Hour))} {
		r := d.s.Do(http.MethodPost, "/csat/"+bad, "", map[string]any{"rating": 1})
		require.Equal(t, http.StatusNotFound, r.Status, "%s: %s", bad, r.Body)
		require.Equal(t, "application/problem+json", r.Header.Get("Content-Type"))
	}
	acc := accountOf(t, d)
	expired := links.Sign(acc, id, time.Now().Add(-time.Minute))
	require.Equal(t, http.StatusGone, d.s.Do(http.MethodGet, "/csat/"+expired, "", nil).Status)
	require.Equal(t, http.StatusGone, d.s.Do(http.MethodPost, "/csat/"+expired, "", map[string]any{"rating": 1}).Status)

	testenv.RecordHistory(t, d.s.Temporal, wf, "conversation_csat_chat")

	// Past the 7 days after the invitation, the survey takes no more answers.
	_, err = d.s.Store.DB().ExecContext(context.Background(), `UPDATE csat_surveys SET sent_at = now() - interval '8 days' WHERE ticket_id = $1`, id)
	require.NoError(t, err)
	r = d.s.Do(http.MethodPost, rating.URL, "", map[string]any{"rating": 1})
	require.Equal(t, http.StatusGone, r.Status, string(r.Body))
	require.Equal(t, float64(5), d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["csat"].(map[string]any)["rating"])
}

// TestCSATCancelledByReopen: the customer writes before the delay is over: the survey is cancelled with
// the reason and no invitation goes out.
func TestCSATCancelledByReopen(t *testing.T) {
	d := newDesk(t)
	require.Equal(t, http.StatusOK, d.s.Do(http.MethodPatch, "/v1/account/settings", d.token, map[string]any{"csat_delay_seconds": 3}).Status)
	agent := d.user("agent@acme.test", nil)
	ch := d.channel(map[string]any{"assign_to": "users_and_teams", "users": []string{agent}})
	d.message(ch, "r", map[string]any{"email": "r@x.test"})
	tk := d.ticketOf(ch, "r", "assigned")
	id := tk["id"].(string)
	require.Equal(t, http.StatusOK, d.s.Do(http.MethodPatch, "/v1/tickets/"+id, d.token, map[string]any{"status": "solved"}).Status)
	require.Equal(t, "scheduled", d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["csat"].(map[string]any)["state"])
	d.message(ch, "r", map[string]any{"email": "r@x.test"})
	testenv.Eventually(t, 30*time.Second, "the survey cancelled", func() bool {
		c, _ := d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["csat"].(map[string]any)
		return c != nil && c["state"] == "cancelled"
	})
	time.Sleep(4 * time.Second) // past the delay: still no invitation
	c := d.s.Do(http.MethodGet, "/v1/tickets/"+id, d.token, nil).Map(t)["csat"].(map[string]any)
	require.Equal(t, "cancelled", c["state"])
	require.Contains(t, c["reason"], "before the invitation went out")
	var n int
	require.NoError(t, d.s.Store.DB().Get(&n, `SELECT count(*) FROM messages WHERE external_id = 'csat:'||$1`, id))
	require.Zero(t, n)
}

// accountOf is the desk's account id.
func accountOf(t *testing.T, d desk) string {
	return d.s.Do(http.MethodGet, "/v1/me", d.token, nil).Map(t)["account_id"].(string)
}

// TestCSATWhatsAppListAnswered: a WhatsApp ticket's invitation goes out as an interactive list of the five
// ratings; the customer's tap comes back signed by Meta and is the survey's rating, not a message (the
// solved ticket stays solved). A tap naming another conversation's ticket is dropped.
func TestCSATWhatsAppListAnswered(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	require.Equal(t, http.StatusOK, s.Do(http.MethodPatch, "/v1/account/settings", token, map[string]any{"csat_delay_seconds": 1}).Status)
	r := s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "whatsapp", "name": "WA",
		"config": map[string]any{"phone_number_id": "106540352242922", "access_token": "wa-token", "app_secret": "wa-secret", "verify_token": "wa-verify"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	inbound := func(from, wamid, message string) testenv.Response {
		body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{
		  "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},
		  "contacts":[{"profile":{"name":"Kim"},"wa_id":"%s"}],
		  "messages":[{"from":"%s","id":"%s","timestamp":"%d",%s}]}}]}]}`, from, from, wamid, time.Now().Unix(), message)
		return postWebhook(t, s, "/webhooks/whatsapp", body, sign(body, "wa-secret"))
	}
	require.Equal(t, http.StatusOK, inbound("46701234567", "wamid.A", `"type":"text","text":{"body":"Where is my order?"}`).Status)
	var ticket map[string]any
	testenv.Eventually(t, 15*time.Second, "the ticket", func() bool {
		items := s.Do(http.MethodGet, "/v1/tickets", token, nil).Map(t)["items"].([]any)
		if len(items) == 1 {
			ticket = items[0].(map[string]any)
		}
		return ticket != nil
	})
	id := ticket["id"].(string)
	r = s.Do(http.MethodPatch, "/v1/tickets/"+id, token, map[string]any{"status": "solved"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))

	var list map[string]any
	testenv.Eventually(t, 60*time.Second, "the invitation's list at the Graph API", func() bool {
		for _, req := range s.Graph.Requests() {
			if req.Body["type"] == "interactive" {
				list = req.Body
				return true
			}
		}
		return false
	})
	require.Equal(t, "46701234567", list["to"])
	rows := list["interactive"].(map[string]any)["action"].(map[string]any)["sections"].([]any)[0].(map[string]any)["rows"].([]any)
	require.Len(t, rows, 5)
	require.Equal(t, "csat:4:"+id, rows[3].(map[string]any)["id"])
	testenv.Eventually(t, 10*time.Second, "the survey sent", func() bool {
		c, _ := s.Do(http.MethodGet, "/v1/tickets/"+id, token, nil).Map(t)["csat"].(map[string]any)
		return c != nil && c["state"] == "sent"
	})
	before := countMessages(t, s)

	// Another customer cannot rate this ticket with a crafted id.
	r = inbound("46709999999", "wamid.X", `"type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"csat:1:`+id+`","title":"1 ★"}}`)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, "sent", s.Do(http.MethodGet, "/v1/tickets/"+id, token, nil).Map(t)["csat"].(map[string]any)["state"],
		"a tap from another conversation rates nothing")
	r = inbound("46701234567", "wamid.B", `"type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"csat:4:`+id+`","title":"4 ★"}}`)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	got := s.Do(http.MethodGet, "/v1/tickets/"+id, token, nil).Map(t)
	require.Equal(t, "answered", got["csat"].(map[string]any)["state"])
	require.Equal(t, float64(4), got["csat"].(map[string]any)["rating"])
	require.Equal(t, "solved", got["status"], "the tap did not reopen the ticket")
	require.Equal(t, before, countMessages(t, s), "a rating is not a message")
}
