package emailtest_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/routedesk/routedesk/channels/email"
)

// TestListMailMakesTicketsIgnoredIsVisible: mail that only asks for no automatic
// answers (a Google Group's Precedence: list, Exchange's X-Auto-Response-Suppress)
// opens a ticket; what is still dropped (an auto-reply to no thread, mail from our
// own address, a bounce) is listed by GET /v1/channels/{id}/ignored with its reason
// (the bounce on the conversation of the reply it returns) and counted in /metrics.
func TestListMailMakesTicketsIgnoredIsVisible(t *testing.T) {
	d := newDesk(t, email.Settings{}, nil)
	for _, h := range []string{"Precedence: list\r\nList-Id: <support.groups.example>", "X-Auto-Response-Suppress: All"} {
		raw := "From: Grace <grace@example.org>\r\nTo: support@acme.test\r\nSubject: first contact\r\nMessage-ID: <" +
			strings.Fields(h)[0] + "@example.org>\r\n" + h + "\r\n\r\nHello, a question.\r\n"
		r := d.postRaw(t, raw)
		if r.Status != http.StatusAccepted || r.Map(t)["outcome"] != email.OutcomeStored {
			t.Fatalf("%s: %d %s", h, r.Status, r.Body)
		}
		d.ticketOf(t, r.Map(t)["conversation_id"].(string))
	}

	r := d.postRaw(t, firstMail)
	tk := d.ticketOf(t, r.Map(t)["conversation_id"].(string))
	if rep := d.Do(http.MethodPost, "/v1/tickets/"+tk.ID+"/replies", d.agentToken, map[string]any{"text": "On its way."}); rep.Status >= 300 {
		t.Fatalf("reply: %d %s", rep.Status, rep.Body)
	}
	_, ours := d.sent(t, "On its way.")

	dropped := []string{
		"From: Grace <grace@example.org>\r\nTo: support@acme.test\r\nSubject: Out of office\r\nMessage-ID: <ooo@example.org>\r\nAuto-Submitted: auto-replied\r\n\r\nI am away.\r\n",
		"From: Support <support@acme.test>\r\nTo: support@acme.test\r\nSubject: loop\r\nMessage-ID: <own@acme.test>\r\n\r\nours\r\n",
		"From: MAILER-DAEMON@mx.example.org\r\nTo: support@acme.test\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn@mx.example.org>\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n" +
			"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; grace@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user\r\n" +
			"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <" + ours.MessageID + ">\r\n--b--\r\n",
	}
	for _, raw := range dropped {
		if r := d.postRaw(t, raw); r.Status != http.StatusOK {
			t.Fatalf("dropped mail: %d %s", r.Status, r.Body)
		}
		d.postRaw(t, raw) // a redelivery is recorded once
	}
	var page struct {
		Items []struct {
			Reason, Detail, Subject string
			ExternalID              string  `json:"external_id"`
			ConversationID          *string `json:"conversation_id"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	d.Do(http.MethodGet, "/v1/channels/"+d.channelID+"/ignored?limit=2", d.agentToken, nil).JSON(t, &page)
	if len(page.Items) != 2 || page.NextCursor == nil || page.Items[0].Reason != email.IgnoredBounce ||
		page.Items[0].ConversationID == nil || *page.Items[0].ConversationID != tk.ConversationID || !strings.Contains(page.Items[0].Detail, "no such user") ||
		page.Items[1].Reason != email.IgnoredOwnAddress {
		t.Fatalf("first page %+v", page)
	}
	d.Do(http.MethodGet, "/v1/channels/"+d.channelID+"/ignored?limit=2&cursor="+*page.NextCursor, d.agentToken, nil).JSON(t, &page)
	if len(page.Items) != 1 || page.Items[0].Reason != email.IgnoredAutoReply || page.Items[0].ExternalID != "ooo@example.org" ||
		!strings.Contains(page.Items[0].Detail, "Auto-Submitted: auto-replied") || page.NextCursor != nil {
		t.Fatalf("second page %+v", page)
	}
	resp, err := http.Get(d.HTTP.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metrics, _ := io.ReadAll(resp.Body)
	for _, reason := range []string{"auto_reply", "bounce", "own_address"} {
		if !strings.Contains(string(metrics), `routedesk_inbound_ignored_total{channel_type="email",reason="`+reason+`"}`) {
			t.Errorf("metric for %s missing", reason)
		}
	}
	other := d.Do(http.MethodGet, "/v1/channels/ch_nope/ignored", d.token, nil)
	if other.Status != http.StatusNotFound {
		t.Errorf("unknown channel: %d", other.Status)
	}
}

// TestOversizedAttachmentListedAsOmitted: an attachment over 10 MB is listed
// (name, type, size, omitted: true) beside the kept ones, in the API's list shape;
// its download says it was not kept.
func TestOversizedAttachmentListedAsOmitted(t *testing.T) {
	d := newDesk(t, email.Settings{SMTPMaxBytes: 20 << 20}, nil)
	big := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("A", email.MaxAttachmentBytes+1)))
	var folded strings.Builder
	for len(big) > 76 {
		folded.WriteString(big[:76] + "\r\n")
		big = big[76:]
	}
	folded.WriteString(big + "\r\n")
	raw := "From: Grace <grace@example.org>\r\nTo: support@acme.test\r\nSubject: video\r\nMessage-ID: <video@example.org>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the files.\r\n" +
		"--b\r\nContent-Type: text/csv; name=\"order.csv\"\r\nContent-Disposition: attachment; filename=\"order.csv\"\r\n\r\nid,qty\r\n77,1\r\n" +
		"--b\r\nContent-Type: video/mp4; name=\"unboxing.mp4\"\r\nContent-Disposition: attachment; filename=\"unboxing.mp4\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		folded.String() + "--b--\r\n"
	r := d.postRaw(t, raw)
	if r.Status != http.StatusAccepted {
		t.Fatalf("raw mail: %d %.300s", r.Status, r.Body)
	}
	msg := r.Map(t)["message_id"].(string)
	var list struct {
		Items []struct {
			N           int    `json:"n"`
			Name        string `json:"name"`
			ContentType string `json:"content_type"`
			Size        int    `json:"size"`
			Omitted     bool   `json:"omitted"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	d.Do(http.MethodGet, "/v1/messages/"+msg+"/attachments", d.agentToken, nil).JSON(t, &list)
	if len(list.Items) != 2 || list.Items[0].Name != "order.csv" || list.Items[0].Omitted ||
		list.Items[1].Name != "unboxing.mp4" || list.Items[1].ContentType != "video/mp4" || list.Items[1].Size != email.MaxAttachmentBytes+1 || !list.Items[1].Omitted {
		t.Fatalf("attachments %+v", list)
	}
	if got := d.Do(http.MethodGet, "/v1/messages/"+msg+"/attachments/1", d.agentToken, nil); got.Status != http.StatusGone {
		t.Errorf("download of the omitted attachment: %d", got.Status)
	}
	if got := d.Do(http.MethodGet, "/v1/messages/"+msg+"/attachments/0", d.agentToken, nil); got.Status != http.StatusOK || string(got.Body) != "id,qty\r\n77,1" && string(got.Body) != "id,qty\r\n77,1\r\n" {
		t.Errorf("download of the kept attachment: %d %q", got.Status, got.Body)
	}
	d.Do(http.MethodGet, "/v1/messages/"+msg+"/attachments?limit=1", d.agentToken, nil).JSON(t, &list)
	if len(list.Items) != 1 || list.NextCursor == nil {
		t.Fatalf("page of 1: %+v", list)
	}
	d.Do(http.MethodGet, "/v1/messages/"+msg+"/attachments?limit=1&cursor="+*list.NextCursor, d.agentToken, nil).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "unboxing.mp4" {
		t.Fatalf("second page: %+v", list)
	}
}
