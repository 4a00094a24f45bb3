package consoletest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/routedesk/routedesk/internal/browsertest"
	"github.com/routedesk/routedesk/internal/testenv"
)

// post sends a raw body with headers and fails the test unless it is accepted (202 or 200).
func post(t *testing.T, url string, headers map[string]string, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusAccepted && res.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %d %s", url, res.StatusCode, b)
	}
}

// ticketsOf waits until the contact has n tickets and returns their ids by channel id.
func ticketsOf(t *testing.T, st *testenv.Stack, token, contact string, n int) map[string]string {
	t.Helper()
	out := map[string]string{}
	testenv.Eventually(t, 30*time.Second, fmt.Sprintf("%d tickets of %s", n, contact), func() bool {
		var l struct {
			Items []struct {
				ID        string `json:"id"`
				ChannelID string `json:"channel_id"`
			}
		}
		st.Do(http.MethodGet, "/v1/tickets?contact_id="+contact, token, nil).JSON(t, &l)
		for _, it := range l.Items {
			out[it.ChannelID] = it.ID
		}
		return len(l.Items) == n
	})
	return out
}

// TestConsoleContactTimelineMergeUndo: one customer writes by email (raw route), chat, a form and WhatsApp (signed
// webhook); her ticket's contact panel shows one timeline with each entry's channel and jumps between tickets. The
// agent gives her a company, the panel suggests the same-name contact at that company as a duplicate, previews the
// merge side by side, merges, and undoes it: the duplicate and its ticket are back on their own.
func TestConsoleContactTimelineMergeUndo(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	ctx := browser(t)
	st := testenv.NewStack(t)
	_, admin := st.Account("Story Co", "enterprise")
	channel := func(body map[string]any) string {
		r := st.Do(http.MethodPost, "/v1/channels", admin, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("channel %v: %d %s", body["type"], r.Status, r.Body)
		}
		return r.Map(t)["id"].(string)
	}
	email := channel(map[string]any{"type": "email", "name": "Support mail", "config": map[string]any{"address": "support@story.test"}})
	chat := channel(map[string]any{"type": "chat", "name": "Website chat"})
	form := channel(map[string]any{"type": "form", "name": "Contact form", "config": map[string]any{"form_id": "contact-us",
		"fields": []map[string]any{{"name": "email", "label": "Email", "type": "email", "required": true}, {"name": "name", "label": "Name"},
			{"name": "phone", "label": "Phone", "type": "phone"}, {"name": "message", "label": "Message", "type": "textarea", "required": true}},
		"description_field": "message"}})
	wa := channel(map[string]any{"type": "whatsapp", "name": "WhatsApp", "config": map[string]any{"phone_number_id": "1098765",
		"access_token": "wa-token", "app_secret": "wa-secret"}})

	base := st.HTTP.URL
	post(t, base+"/v1/channels/"+email+"/email", map[string]string{"Authorization": "Bearer " + admin, "Content-Type": "message/rfc822"},
		strings.ReplaceAll("From: Ada Lovelace <ada@example.com>\nTo: support@story.test\nSubject: My invoice is wrong\nMessage-ID: <inv-1@example.com>\n\nThe invoice says 42 instead of 24.\n", "\n", "\r\n"))
	ada := ""
	testenv.Eventually(t, 30*time.Second, "the mail's contact", func() bool {
		var l struct {
			Items []struct {
				ContactID string `json:"contact_id"`
			}
		}
		st.Do(http.MethodGet, "/v1/tickets?channel_id="+email, admin, nil).JSON(t, &l)
		if len(l.Items) == 1 {
			ada = l.Items[0].ContactID
		}
		return ada != ""
	})
	r := st.Do(http.MethodPost, "/v1/channels/"+chat+"/messages", admin, map[string]any{"external_id": "c-1", "thread_id": "visitor-1",
		"from": map[string]any{"email": "ada@example.com", "name": "Ada Lovelace", "external_user_id": "visitor-1"}, "text": "Did you get my mail?"})
	if r.Status != http.StatusAccepted {
		t.Fatalf("chat: %d %s", r.Status, r.Body)
	}
	r = st.Do(http.MethodPost, "/v1/channels/"+form+"/submissions", admin, map[string]any{"external_id": "f-1",
		"fields": map[string]any{"email": "ada@example.com", "name": "Ada Lovelace", "phone": "+46701234567", "message": "Please call me back"}})
	if r.Status != http.StatusAccepted {
		t.Fatalf("form: %d %s", r.Status, r.Body)
	}
	ticketsOf(t, st, admin, ada, 3) // the form gives her the phone WhatsApp finds her by
	body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{
	  "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"1098765"},
	  "contacts":[{"profile":{"name":"Ada"},"wa_id":"46701234567"}],
	  "messages":[{"from":"46701234567","id":"wamid.ada","timestamp":"%d","type":"text","text":{"body":"Sent from my phone"}}]}}]}]}`, time.Now().Unix())
	mac := hmac.New(sha256.New, []byte("wa-secret"))
	mac.Write([]byte(body))
	post(t, base+"/webhooks/whatsapp", map[string]string{"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + hex.EncodeToString(mac.Sum(nil))}, body)
	tickets := ticketsOf(t, st, admin, ada, 4)

	// The duplicate: the same name, another address, a ticket of her own.
	r = st.Do(http.MethodPost, "/v1/contacts", admin, map[string]any{"name": "Ada Lovelace", "email": "ada.l@engines.example", "company": "Analytical Engines"})
	if r.Status != http.StatusCreated {
		t.Fatalf("duplicate: %d %s", r.Status, r.Body)
	}
	dup := r.Map(t)["id"].(string)
	r = st.Do(http.MethodPost, "/v1/channels/"+chat+"/messages", admin, map[string]any{"external_id": "c-2", "thread_id": "visitor-2",
		"from": map[string]any{"email": "ada.l@engines.example", "name": "Ada L."}, "text": "Work account here"})
	if r.Status != http.StatusAccepted {
		t.Fatalf("chat 2: %d %s", r.Status, r.Body)
	}
	dupTicket := ticketsOf(t, st, admin, dup, 1)[chat]

	p := page{Page: browsertest.Page{T: t, Ctx: ctx, Dir: browsertest.ArtefactDir(t)}, base: base + "/console/"}
	p.login(admin)
	p.open("#/tickets/"+tickets[email], "My invoice is wrong")
	p.Until("one timeline over four channels", `(() => { const tl = document.querySelector('#contact-panel #contact-timeline'); if (!tl) return false;
		const chans = new Set([...tl.querySelectorAll('li[data-type="message"], li[data-type="submission"]')].map((li) => li.dataset.channel));
		return ['email', 'chat', 'form', 'whatsapp'].every((c) => chans.has(c)) && tl.querySelectorAll('li[data-type="ticket"]').length === 4
			&& !!tl.querySelector('li.here') && document.querySelector('#contact-panel .contact-identities').textContent.includes('+46701234567'); })()`)
	p.Screenshot("contact-panel")

	// Jump to the WhatsApp ticket from the timeline, and back.
	p.Do("jump to the WhatsApp ticket", chromedp.Click(chromedp.CSS(`#contact-timeline li[data-type="message"][data-channel="whatsapp"] a.jump`)))
	p.Until("the WhatsApp ticket", `location.hash === '#/tickets/`+tickets[wa]+`' && !!document.querySelector('#contact-timeline li.here[data-channel="whatsapp"]')`)
	p.open("#/tickets/"+tickets[email], "My invoice is wrong")

	// The agent gives her a company: the same-name contact there is suggested; preview, merge, undo.
	p.Until("the profile form", `!!document.querySelector('#contact-company')`)
	p.Do("open the editor", chromedp.Click(chromedp.CSS(`.contact-edit summary`)))
	p.Do("set the company", chromedp.SendKeys(chromedp.CSS(`#contact-company`), "Analytical Engines"),
		chromedp.Click(chromedp.CSS(`form.contact-profile button[type=submit]`)))
	p.Until("the duplicate suggested", `(() => { const li = document.querySelector('#contact-duplicates li[data-contact="`+dup+`"]');
		return li && li.textContent.includes('same name and company'); })()`)
	p.Do("compare", chromedp.Click(chromedp.CSS(`#contact-duplicates li[data-contact="`+dup+`"] button.compare`)))
	p.Until("the side-by-side preview", `(() => { const pv = document.getElementById('merge-preview'); return pv
		&& pv.querySelector('tr[data-field="email"]').textContent.includes('ada.l@engines.example')
		&& !!pv.querySelector('.merge-moves li[data-ticket="`+dupTicket+`"]'); })()`)
	p.Screenshot("contact-merge-preview")
	p.Do("merge", chromedp.Click(chromedp.CSS(`#merge-confirm`)))
	p.Until("the merge in the timeline with its undo", `(() => { const tl = document.getElementById('contact-timeline');
		return tl && !!tl.querySelector('li[data-type="merge"] button.undo-merge') && !!tl.querySelector('li[data-ticket="`+dupTicket+`"]'); })()`)
	if r := st.Do(http.MethodGet, "/v1/contacts/"+dup, admin, nil); r.Status != http.StatusNotFound {
		t.Fatalf("the merged contact: %d %s", r.Status, r.Body)
	}
	p.Do("undo", chromedp.Click(chromedp.CSS(`#contact-timeline li[data-type="merge"] button.undo-merge`)))
	p.Until("the merge undone", `(() => { const tl = document.getElementById('contact-timeline');
		return tl && !tl.querySelector('li[data-type="merge"]') && !tl.querySelector('li[data-ticket="`+dupTicket+`"]')
			&& document.getElementById('status').textContent.startsWith('Merge undone'); })()`)
	var tk struct {
		ContactID string `json:"contact_id"`
	}
	st.Do(http.MethodGet, "/v1/tickets/"+dupTicket, admin, nil).JSON(t, &tk)
	if r := st.Do(http.MethodGet, "/v1/contacts/"+dup, admin, nil); r.Status != http.StatusOK || tk.ContactID != dup {
		t.Fatalf("after the undo: contact %d %s, ticket's contact %s", r.Status, r.Body, tk.ContactID)
	}
}
