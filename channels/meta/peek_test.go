package meta

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMessengerPageIDs(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []string
		wantErr string
	}{
		{"batch fixture", string(fixture(t, "messenger_batch.json")), []string{"104871234567890", "209988776655443"}, ""},
		{"no entries", `{"object":"page","entry":[]}`, nil, ""},
		{"entry without events still listed", `{"object":"page","entry":[{"id":"7"}]}`, []string{"7"}, ""},
		{"wrong object", `{"object":"whatsapp_business_account","entry":[{"id":"7"}]}`, nil, "meta: object: want \"page\""},
		{"id number", `{"object":"page","entry":[{"id":"7"},{"id":7}]}`, nil, "meta: entry[1].id: want string, got number"},
		{"id empty", `{"object":"page","entry":[{"id":""}]}`, nil, "meta: entry[0].id: missing or empty"},
		{"not JSON", `{`, nil, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, err := MessengerPageIDs([]byte(tt.body))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Nil(t, ids)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, ids)
		})
	}
}

func TestWhatsAppPhoneNumberIDs(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []string
		wantErr string
	}{
		{"messages fixture", string(fixture(t, "whatsapp_messages.json")), []string{"106540352242922"}, ""},
		{"statuses fixture", string(fixture(t, "whatsapp_statuses.json")), []string{"106540352242922", "118700112233445"}, ""},
		{"template update only", `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"message_template_status_update","value":{"event":"APPROVED"}}]}]}`, nil, ""},
		{"wrong object", `{"object":"page","entry":[]}`, nil, "meta: object: want \"whatsapp_business_account\""},
		{"missing phone number id", `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{}}}]}]}`, nil,
			"meta: entry[0].changes[0].value.metadata.phone_number_id: missing or empty"},
		{"phone number id number", `{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":1}}}]}]}`, nil,
			"meta: entry[0].changes[0].value.metadata.phone_number_id: want string, got number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids, err := WhatsAppPhoneNumberIDs([]byte(tt.body))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Nil(t, ids)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, ids)
		})
	}
}
