package server_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/routedesk/routedesk/internal/testenv"
)

// TestContactPhoneAndEmailMatch: a phone or email saved on a contact through the
// API identifies it: a call from that number lands on it, and WhatsApp contacts
// get their number as phone and identity, so they meet the same contact. An
// identity another contact holds is a 409 naming that contact and the merge route.
func TestContactPhoneAndEmailMatch(t *testing.T) {
	s := testenv.NewStack(t)
	_, token := s.Account("A", "professional")
	r := s.Do(http.MethodPost, "/v1/contacts", token, map[string]any{"name": "Kim", "email": "kim@example.org"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	kim := r.Map(t)["id"].(string)
	r = s.Do(http.MethodPatch, "/v1/contacts/"+kim, token, map[string]any{"phone": "070-123 45 67", "country": "SE"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	require.Equal(t, "+46701234567", r.Map(t)["phone"])

	// A call from that number is Kim's.
	line := createChannel(t, s, token, map[string]any{"type": "calling", "name": "Line", "config": map[string]any{"phone_number": "+46850001234"}})
	r = s.Do(http.MethodPost, "/v1/channels/"+line+"/calls", token, map[string]any{"call_id": "c1", "from_number": "+46701234567",
		"to_number": "+46850001234", "status": "missed"})
	require.Equal(t, http.StatusAccepted, r.Status, string(r.Body))
	ticketContact := func(channelID string) string {
		var contact string
		testenv.Eventually(t, 15*time.Second, "the ticket of "+channelID, func() bool {
			items := s.Do(http.MethodGet, "/v1/tickets?channel_id="+channelID, token, nil).Map(t)["items"].([]any)
			if len(items) == 1 {
				contact, _ = items[0].(map[string]any)["contact_id"].(string)
			}
			return contact != ""
		})
		return contact
	}
	require.Equal(t, kim, ticketContact(line), "a call from the contact's saved phone makes a second contact")

	// A WhatsApp message from the same number is Kim's too, and a new WhatsApp contact gets its phone.
	r = s.Do(http.MethodPost, "/v1/channels", token, map[string]any{"type": "whatsapp", "name": "WA",
		"config": map[string]any{"phone_number_id": "106540352242922", "access_token": "wa-token", "app_secret": "wa-secret"}})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Body))
	wa := r.Map(t)["id"].(string)
	waMessage := func(from, id string) {
		body := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{
		  "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},
		  "contacts":[{"profile":{"name":"Someone"},"wa_id":%q}],
		  "messages":[{"from":%q,"id":%q,"timestamp":"%d","type":"text","text":{"body":"Hello"}}]}}]}]}`, from, from, id, time.Now().Unix())
		r := postWebhook(t, s, "/webhooks/whatsapp", body, sign(body, "wa-secret"))
		require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	}
	waMessage("46701234567", "wamid.kim")
	require.Equal(t, kim, ticketContact(wa))
	waMessage("4915123456789", "wamid.new")
	var newcomer map[string]any
	testenv.Eventually(t, 15*time.Second, "the new WhatsApp contact", func() bool {
		for _, it := range s.Do(http.MethodGet, "/v1/tickets?channel_id="+wa, token, nil).Map(t)["items"].([]any) {
			if id := it.(map[string]any)["contact_id"].(string); id != kim {
				newcomer = s.Do(http.MethodGet, "/v1/contacts/"+id, token, nil).Map(t)
			}
		}
		return newcomer != nil
	})
	require.Equal(t, "+4915123456789", newcomer["phone"])

	// Kim's phone or email given to another contact is refused, pointing at Kim and the merge route.
	other := newcomer["id"].(string)
	for field, value := range map[string]any{"phone": "+46 70 123 45 67", "email": "KIM@example.org"} {
		r = s.Do(http.MethodPatch, "/v1/contacts/"+other, token, map[string]any{field: value})
		require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
		p := r.Map(t)
		require.Equal(t, kim, p["contact_id"], field)
		require.Equal(t, "/v1/contacts/"+kim+"/merge", p["merge_url"], field)
		require.Equal(t, field, p["errors"].([]any)[0].(map[string]any)["field"])
	}
	r = s.Do(http.MethodPost, "/v1/contacts", token, map[string]any{"name": "Copy", "phone": "+4915123456789"})
	require.Equal(t, http.StatusConflict, r.Status, string(r.Body))
	require.Equal(t, other, r.Map(t)["contact_id"])
}
